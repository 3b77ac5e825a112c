import type { Problem } from '../errors';
import { locksProblem } from '../evidence/locks';
import { describe, expect, test } from 'vitest';
import { CALVER, SEMVER, type VersionScheme } from './version-scheme';
import { describeStanding, formatPlan, higherVersionTags, parseReleaseTags, planRelease, releaseVersion, revisionProblem, testStanding, type RevisionFacts, type TestStanding } from './release-plan';

const A = `sha256:${'a'.repeat(64)}`;
const B = `sha256:${'b'.repeat(64)}`;

describe('parseReleaseTags', () => {
  test.each<[string | string[] | undefined, string[]]>([
    ['v0.1.1,stable', ['v0.1.1', 'stable']],
    [' v0.1.1 , stable ,', ['v0.1.1', 'stable']],
    [['v0.1.1', 'stable'], ['v0.1.1', 'stable']],
    [['v0.1.1,stable', 'stable'], ['v0.1.1', 'stable']],
    ['v1.0.0', ['v1.0.0']],
    ['_x', ['_x']],
    ['a'.repeat(128), ['a'.repeat(128)]],
  ])('%j -> %j', (option, expected) => {
    expect(parseReleaseTags(option)).toEqual(expected);
  });

  const none = { subject: 'release', problem: 'no tag to add', fix: 'pass --tags=v1.2.3,stable (an array or a comma-separated string)' };
  const invalid = (tag: string) => ({ subject: 'release tag', problem: `${JSON.stringify(tag)} is not a valid Docker tag` });
  test.each<[string | string[] | undefined, Partial<Problem>]>([
    [undefined, none],
    ['', none],
    [[' , '], none],
    ['v1/0', invalid('v1/0')],
    ['.v1', invalid('.v1')],
    ['-v1', invalid('-v1')],
    ['v1#1', invalid('v1#1')],
    ['vé1', invalid('vé1')],
    ['a'.repeat(129), invalid('a'.repeat(129))],
    ['v0.1.1,stable,bad tag', invalid('bad tag')],
  ])('%j is refused', (option, fields) => {
    expect(() => parseReleaseTags(option)).toThrow(expect.objectContaining(fields));
  });
});

describe('releaseVersion and higherVersionTags', () => {
  const pattern: VersionScheme = { name: 'pattern', pattern: '^release-(\\d+)-(\\d+)$' };
  test.each<[string[], VersionScheme, string | undefined]>([
    [['v0.1.1', 'stable'], SEMVER, '0.1.1'],
    [['stable', '1.2.3'], SEMVER, '1.2.3'],
    [['latest', 'v2.0.0-rc.1'], SEMVER, '2.0.0-rc.1'],
    [['nightly'], SEMVER, undefined],
    [['main', 'v1'], SEMVER, undefined],
    [['26.0630', 'main', 'stable'], CALVER, '26.0630'],
    [['develop', 'v2026.06.30'], CALVER, 'v2026.06.30'],
    [['release-3-1', 'stable'], pattern, 'release-3-1'],
    [['release-3', 'main'], pattern, undefined],
  ])('%j under %j -> %j', (tags, scheme, expected) => {
    expect(releaseVersion(tags, scheme)?.display).toBe(expected);
  });

  const like = (pattern: RegExp) => expect.stringMatching(pattern) as unknown as string;
  test.each<[string[], VersionScheme, Partial<Problem>]>([
    [
      ['v1.2.3', 'stable'],
      CALVER,
      { subject: 'release tag', problem: like(/^"v1\.2\.3" is not a calver version \(write it like 26\.0630 or 2026\.06\.30.*\)$/), fix: 'name the release that way, or set "versionScheme": "semver" in the @fornax/nx-images options of nx.json (or pass --versionScheme=semver)' },
    ],
    [['26.0630', 'main'], SEMVER, { subject: 'release tag', problem: '"26.0630" is not a semver version (write it like v1.2.3 or 1.2.3)', fix: like(/--versionScheme=calver\)$/) }],
    [['v1.2.3'], pattern, { subject: 'release tag', problem: like(/is not a version of the pattern \^release-\(\\d\+\)-\(\\d\+\)\$/), fix: like(/--versionScheme=semver/) }],
    [['v1.0.0', 'v1.1.0', 'stable'], SEMVER, { subject: 'release tags', problem: '"v1.0.0" and "v1.1.0" are all semver versions', fix: like(/^release one version at a time/) }],
    [['26.0630', '2026.06.30'], CALVER, { subject: 'release tags', problem: like(/are all calver versions$/) }],
    [['stable'], SEMVER, { subject: 'release tags', problem: like(/^stable move stable but hold no semver version /), fix: 'stable only moves forward, so add the release\'s version to --tags' }],
    [['main', 'stable'], CALVER, { problem: like(/hold no calver version/) }],
  ])('%j under %j is refused', (tags, scheme, fields) => {
    expect(() => releaseVersion(tags, scheme)).toThrow(expect.objectContaining(fields));
  });

  test('keeps only higher versions of the scheme, highest first', () => {
    const version = (scheme: VersionScheme, tag: string) => releaseVersion([tag], scheme) ?? expect.fail(tag);
    expect(higherVersionTags(['main', 'stable', 'v0.1.0', 'v0.2.0', '0.10.0', 'v0.1.1', 'v0.2.0-rc.1', 'garbage', '26.0630'], version(SEMVER, '0.1.1'))).toEqual([
      '0.10.0',
      'v0.2.0',
      'v0.2.0-rc.1',
    ]);
    expect(higherVersionTags(['v0.1.0'], version(SEMVER, '0.2.0'))).toEqual([]);
    expect(higherVersionTags(['main', 'stable', '26.0630', '26.1001', '25.1231', 'v1.2.3', '2026.1.1', '26.0715'], version(CALVER, '26.0715'), CALVER)).toEqual(['2026.1.1', '26.1001']);
    expect(higherVersionTags(['release-1-10', 'release-1-9', 'release-2-0', 'v3.0.0'], version(pattern, 'release-1-9'), pattern)).toEqual(['release-2-0', 'release-1-10']);
  });
});

describe('planRelease', () => {
  const base = { image: 'tractor', name: 'r/fornax/images/tractor', sourceTag: 'main', source: { digest: A, mediaType: 'application/vnd.oci.image.index.v1+json' } };
  test.each([
    ['new tags are created', { tags: ['v0.1.1', 'stable'], current: {} }, [{ tag: 'v0.1.1', action: 'create' }, { tag: 'stable', action: 'create' }], []],
    ['a tag at the source is kept (idempotent)', { tags: ['v0.1.1', 'stable'], current: { 'v0.1.1': A, stable: A } }, [{ tag: 'v0.1.1', action: 'keep', current: A }, { tag: 'stable', action: 'keep', current: A }], []],
    ['stable moves forward', { tags: ['v0.2.0', 'stable'], current: { stable: B } }, [{ tag: 'v0.2.0', action: 'create' }, { tag: 'stable', action: 'move', current: B }], []],
    ['stable held by a newer version stays', { tags: ['v0.1.0', 'stable'], current: { stable: B }, stableHeldBy: 'v0.2.0' }, [{ tag: 'v0.1.0', action: 'create' }], ['stable']],
    ['the source tag is never rewritten', { tags: ['main', 'v1'], current: { main: A } }, [{ tag: 'v1', action: 'create' }], ['main']],
  ])('%s', (_, input, writes, skipped) => {
    const plan = planRelease({ ...base, ...input });
    expect(plan.writes).toEqual(writes);
    expect(plan.skipped.map((s) => s.tag)).toEqual(skipped);
  });

  test('a dry run prints every tag with what would happen', () => {
    const bases = [{ image: 'base_image', reference: 'r/fornax/images/base_image:main', digest: B }, { image: 'local', reference: 'r/fornax/images/local:x', id: 'sha256:0' }];
    const plan = planRelease({ ...base, tags: ['v0.1.0', 'stable', 'extra'], current: { stable: B, extra: B }, stableHeldBy: 'v0.2.0', bases, locks: { kind: 'attached', files: 3 } });
    expect(formatPlan(plan, true)).toEqual([
      `r/fornax/images/tractor:main is ${A} (application/vnd.oci.image.index.v1+json)`,
      `  v0.1.0: would create ${A.slice(0, 19)}`,
      `  extra: would move ${A.slice(0, 19)} (from ${B.slice(0, 19)})`,
      '  stable: left as is, it carries v0.2.0, which is newer than 0.1.0; stable only moves forward',
      `  built from r/fornax/images/base_image:main (${B})`,
      '  built from r/fornax/images/local:x',
      '  tests: no tests',
      '  locks: 3 lock file(s) attached',
    ]);
    expect(formatPlan({ ...plan, locks: { kind: 'missing' } }, true).at(-1)).toBe('  locks: no lock set attached, released with --allowMissingLocks');
  });
});

describe('locksProblem', () => {
  const input = { image: 'tractor', at: 'r/tractor:main (sha256:aaaa)', project: 'tractor', attached: false, allowMissingLocks: false };
  test('refuses an image with no lock set, naming it and both fixes', () => {
    expect(locksProblem(input)).toEqual({
      subject: 'tractor',
      problem: 'r/tractor:main (sha256:aaaa) has no environment lock set attached (it was pushed before lock sets were made, or by another tool)',
      fix: 'push it again (nx run tractor:docker-build --push, as CI does), or release with --allowMissingLocks',
    });
  });
  test('lets it go with one attached, even an empty one, or when allowed', () => {
    expect(locksProblem({ ...input, attached: true })).toBeUndefined();
    expect(locksProblem({ ...input, allowMissingLocks: true })).toBeUndefined();
  });
});

describe('testStanding', () => {
  const input = { image: 'tractor', project: 'tractor', at: 'r/tractor:main (sha256:aaaa)', hasTests: true, attached: [] as { result?: string; at?: string }[], allowUntested: false };
  const untested = (found: string): Problem => ({
    subject: 'tractor',
    problem: `r/tractor:main (sha256:aaaa) has no passing test result (${found})`,
    fix: 'push it again with its tests run (nx run tractor:docker-build --test --push, as CI does), or release with --allowUntested',
  });
  const NONE_ATTACHED = 'no test result is attached (built before its tests ran, or pushed without them)';
  test.each<[string, Partial<typeof input>, TestStanding, Problem | undefined]>([
    ['an image without tests goes as today', { hasTests: false }, { kind: 'none' }, undefined],
    ['a passing result attached', { attached: [{ result: 'passed' }] }, { kind: 'passed' }, undefined],
    ['a pass among older results', { attached: [{ result: 'failed' }, { result: 'passed' }] }, { kind: 'passed' }, undefined],
    ['failed tests', { attached: [{ result: 'failed' }] }, { kind: 'untested', found: 'its tests failed' }, untested('its tests failed')],
    ['skipped tests', { attached: [{ result: 'skipped' }] }, { kind: 'untested', found: 'its tests were skipped' }, untested('its tests were skipped')],
    ['nothing attached', {}, { kind: 'untested', found: NONE_ATTACHED }, untested(NONE_ATTACHED)],
    ['a result without its annotation counts as none', { attached: [{}] }, { kind: 'untested', found: NONE_ATTACHED }, untested(NONE_ATTACHED)],
    ['allowed untested', { attached: [{ result: 'skipped' }], allowUntested: true }, { kind: 'untested', found: 'its tests were skipped' }, undefined],
    [
      'a retest failed after the build passed: the newest decides, whatever order the registry lists them in',
      { attached: [{ result: 'failed', at: '2026-12-03T10:00:00Z' }, { result: 'passed', at: '2026-12-02T09:00:00Z' }] },
      { kind: 'untested', found: 'its newest tests, run 2026-12-03T10:00:00Z, failed' },
      untested('its newest tests, run 2026-12-03T10:00:00Z, failed'),
    ],
    ['fixed: a retest passed after one failed', { attached: [{ result: 'passed', at: '2026-12-02T09:00:00Z' }, { result: 'failed', at: '2026-12-03T10:00:00Z' }, { result: 'passed', at: '2026-12-03T11:00:00Z' }] }, { kind: 'passed' }, undefined],
    ['a failure with no time (attached before times were) does not outweigh a timed pass', { attached: [{ result: 'passed', at: '2026-12-02T09:00:00Z' }, { result: 'failed' }] }, { kind: 'passed' }, undefined],
  ])('%s', (_case, overrides, standing, problem) => {
    const decided = testStanding({ ...input, ...overrides });
    expect(decided.standing).toEqual(standing);
    expect(decided.problem).toEqual(problem);
    expect(describeStanding(decided.standing)).toMatch(/^(no tests|passed|untested, released with --allowUntested: .+)$/);
  });
});

describe('revisionProblem', () => {
  const commit = 'c'.repeat(40);
  const like = (pattern: RegExp) => expect.stringMatching(pattern) as unknown as string;
  test.each<[RevisionFacts, Partial<Problem> | undefined]>([
    [{ kind: 'same' }, undefined],
    [{ kind: 'ancestor', changedFiles: [] }, undefined],
    [{ kind: 'ancestor', changedFiles: ['images/tractor/Dockerfile'] }, { subject: 'tractor', problem: like(/^main was built from dddddddddddd, and 1 file\(s\) of tractor changed .*images\/tractor\/Dockerfile/), fix: like(/^tractor is out of date/) }],
    [{ kind: 'not-ancestor' }, { subject: 'tractor', problem: like(/^main was built from dddddddddddd, which is not the release commit cccccccccccc nor an ancestor/), fix: like(/^tractor is out of date/) }],
    [{ kind: 'unknown-commit' }, { subject: 'tractor', problem: like(/this clone does not have$/), fix: like(/^check out with fetch-depth: 0/) }],
    [{ kind: 'no-label' }, { subject: 'tractor', problem: like(/^main has no org\.opencontainers\.image\.revision label/) }],
  ])('%j', (facts, expected) => {
    const problem = revisionProblem('tractor', 'main', 'd'.repeat(40), commit, facts);
    if (expected) expect(problem).toEqual(expect.objectContaining(expected));
    else expect(problem).toBeUndefined();
  });
});
