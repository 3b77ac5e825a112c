import { describe, expect, it } from 'vitest';
import { CHANGES_END, CHANGES_START, notesWithChanges, previousVersionTag, renderReleaseChanges } from './release-changes';
import { CALVER, parseVersion, SEMVER, type VersionScheme } from './version-scheme';

describe('previousVersionTag', () => {
  it.each([
    ['the highest semver below', SEMVER, ['v1.0.0', 'v1.2.0', 'v1.1.9', 'v2.0.0', 'main', 'stable'], 'v1.2.1', 'v1.2.0'],
    ['none: the first release', SEMVER, ['main', 'stable', 'v9.0.0'], 'v1.0.0', undefined],
    ['not itself', SEMVER, ['v1.0.0', 'v0.9.0'], 'v1.0.0', 'v0.9.0'],
    ['a prerelease is below its release', SEMVER, ['v1.0.0-rc.1', 'v0.9.0'], 'v1.0.0', 'v1.0.0-rc.1'],
    ['calver by numbers, not text', CALVER, ['26.0630', '26.1231', '27.0101'], '26.1231', '26.0630'],
    ['another scheme\'s versions do not count', CALVER, ['v1.0.0', '25.0101'], '26.0101', '25.0101'],
  ])('%s', (_name, scheme: VersionScheme, tags, current, expected) => {
    const version = parseVersion(scheme, current);
    if (!version) throw new Error(`${current} is no version`);
    expect(previousVersionTag(tags, version, scheme)).toBe(expected);
  });
});

describe('renderReleaseChanges', () => {
  it('says first release, unchanged, or not compared, per image in order', () => {
    const digest = `sha256:${'b'.repeat(64)}`;
    const text = renderReleaseChanges('v2.0.0', [
      { image: 'zeta', compressedSize: 2048, changes: { release: 'v2.0.0', previous: { tag: 'v1.0.0', digest, compressedSize: 2048 } } },
      { image: 'alpha', compressedSize: 1024, changes: { release: 'v2.0.0' } },
      { image: 'mid|dle', changes: { release: 'v2.0.0', note: 'no version among the release tags' } },
    ]);
    expect(text.indexOf('`alpha`')).toBeLessThan(text.indexOf('`zeta`'));
    expect(text).toContain('## `alpha`\n\nFirst release (1.0 KiB compressed): nothing to compare with.');
    expect(text).toContain('Unchanged since `v1.0.0`: the same image (digest `sha256:bbbbbbbbbbbb`). Size: 2.0 KiB in `v1.0.0`, 2.0 KiB in `v2.0.0` (±0 B).');
    expect(text).toContain('## `mid\\|dle`\n\nNot compared: no version among the release tags.');
  });
});

describe('notesWithChanges', () => {
  it('keeps the release\'s own notes and replaces an earlier copy of the changes', () => {
    const once = notesWithChanges('Hello **world**', '# Changes in v1\n\nA');
    expect(once).toBe(`Hello **world**\n\n${CHANGES_START}\n# Changes in v1\n\nA\n${CHANGES_END}\n`);
    expect(notesWithChanges(once, '# Changes in v1\n\nB')).toBe(`Hello **world**\n\n${CHANGES_START}\n# Changes in v1\n\nB\n${CHANGES_END}\n`);
    expect(notesWithChanges('', 'x')).toBe(`${CHANGES_START}\nx\n${CHANGES_END}\n`);
  });
});
