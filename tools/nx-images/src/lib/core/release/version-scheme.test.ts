import { describe, expect, it } from 'vitest';
import { UserError, type Problem } from '../errors';
import { CALVER, compareVersions, otherSchemeOf, parseVersion, resolveVersionScheme, runVersionScheme, SEMVER, type VersionScheme } from './version-scheme';

const NX = { where: 'nx.json: @fornax/nx-images option', scheme: 'versionScheme', pattern: 'versionPattern' };
const RELEASE = { name: 'pattern', pattern: '^release-(\\d+)-(\\d+)$' } as const;
const OPTIONAL_PATCH = { name: 'pattern', pattern: '^r(\\d+)\\.(\\d+)(?:\\.(\\d+))?$' } as const;
const WORDS = { name: 'pattern', pattern: '^(\\w+)-(\\d+)$' } as const;
const UNANCHORED = { name: 'pattern', pattern: 'build(\\d+)' } as const;

describe('parseVersion', () => {
  it.each<[VersionScheme, string, string[] | string | undefined]>([
    // semver: the normal form, as the semver package orders it
    [SEMVER, 'v1.2.3', '1.2.3'],
    [SEMVER, '1.2.3', '1.2.3'],
    [SEMVER, 'v2.0.0-rc.1', '2.0.0-rc.1'],
    [SEMVER, '2026.6.30', '2026.6.30'],
    [SEMVER, 'v01.2.3', undefined],
    [SEMVER, 'v1.2', undefined],
    [SEMVER, '26.0630', undefined],
    [SEMVER, 'V1.2.3', undefined],
    [SEMVER, 'v1.2.3.4', undefined],
    [SEMVER, 'stable', undefined],
    [SEMVER, '', undefined],
    // calver: a 2- or 4-digit year, then 1 to 3 numbers; leading zeros do not count
    [CALVER, '26.0630', ['26', '630']],
    [CALVER, 'v26.0630', ['26', '630']],
    [CALVER, '2026.06.30', ['2026', '6', '30']],
    [CALVER, '2026.6.30.1', ['2026', '6', '30', '1']],
    [CALVER, '06.0101', ['6', '101']],
    [CALVER, '26.000', ['26', '0']],
    [CALVER, `26.${'9'.repeat(40)}`, ['26', '9'.repeat(40)]],
    [CALVER, 'v1.2.3', undefined],
    [CALVER, '126.1', undefined],
    [CALVER, '20266.1', undefined],
    [CALVER, '2026', undefined],
    [CALVER, '2026.', undefined],
    [CALVER, '2026..1', undefined],
    [CALVER, '2026.1.2.3.4', undefined],
    [CALVER, '26.0630-rc1', undefined],
    [CALVER, 'vv26.0630', undefined],
    [CALVER, ' 26.0630', undefined],
    [CALVER, '26.06३0', undefined],
    [CALVER, 'main', undefined],
    // pattern: the whole tag matches, each group a number; a group left out is 0
    [RELEASE, 'release-3-1', ['3', '1']],
    [RELEASE, 'release-03-001', ['3', '1']],
    [RELEASE, 'release-3', undefined],
    [RELEASE, 'release-3-1-hotfix', undefined],
    [RELEASE, 'v1.2.3', undefined],
    [OPTIONAL_PATCH, 'r1.2', ['1', '2', '0']],
    [OPTIONAL_PATCH, 'r1.2.7', ['1', '2', '7']],
    [WORDS, 'abc-1', undefined],
    [WORDS, '12-1', ['12', '1']],
    [UNANCHORED, 'build7', ['7']],
    [UNANCHORED, 'nightly-build7', undefined],
  ])('%j %j -> %j', (scheme, tag, expected) => {
    const version = parseVersion(scheme, tag);
    if (expected === undefined) expect(version).toBeUndefined();
    else if (typeof expected === 'string') expect(version?.display).toBe(expected);
    else expect(version?.key).toEqual({ kind: 'numbers', numbers: expected });
  });
});

describe('compareVersions', () => {
  it.each<[VersionScheme, string, '<' | '=' | '>', string]>([
    [SEMVER, 'v0.1.1', '<', '0.2.0'],
    [SEMVER, '0.10.0', '>', 'v0.9.0'],
    [SEMVER, 'v2.0.0-rc.1', '<', 'v2.0.0'],
    [SEMVER, 'v1.2.3', '=', '1.2.3'],
    [CALVER, '26.0630', '<', '26.1001'],
    [CALVER, '26.0715', '<', '26.1001'],
    [CALVER, '26.0715', '>', '26.0630'],
    [CALVER, '2026.06.30', '<', '2026.7.1'],
    [CALVER, '2026.6.30', '<', '2026.6.30.1'],
    [CALVER, '2026.6.30', '=', '2026.06.30.0'],
    [CALVER, '26.0630', '=', 'v26.630'],
    [CALVER, '25.1231', '<', '26.0101'],
    [CALVER, '26.0630', '<', '2026.01.01'],
    [CALVER, `26.${'9'.repeat(30)}`, '<', `26.1${'0'.repeat(30)}`],
    [RELEASE, 'release-1-9', '<', 'release-1-10'],
    [RELEASE, 'release-2-0', '>', 'release-1-99'],
    [RELEASE, 'release-01-02', '=', 'release-1-2'],
    [OPTIONAL_PATCH, 'r1.2', '<', 'r1.2.1'],
  ])('%j: %s %s %s', (scheme, a, relation, b) => {
    const left = parseVersion(scheme, a);
    const right = parseVersion(scheme, b);
    if (!left || !right) throw new Error(`${a} or ${b} is no version`);
    const sign = Math.sign(compareVersions(left, right));
    expect(sign).toBe({ '<': -1, '=': 0, '>': 1 }[relation]);
    expect(Math.sign(compareVersions(right, left)) || 0).toBe(-sign || 0);
  });
});

describe('otherSchemeOf', () => {
  it.each<[VersionScheme, string, string | undefined]>([
    [CALVER, 'v1.2.3', 'semver'],
    [SEMVER, '26.0630', 'calver'],
    [RELEASE, 'v1.2.3', 'semver'],
    [RELEASE, '2026.06.30', 'calver'],
    [SEMVER, 'main', undefined],
    [CALVER, 'develop', undefined],
    [SEMVER, 'release-1-2', undefined],
  ])('%j %j -> %j', (scheme, tag, expected) => {
    expect(otherSchemeOf(scheme, tag)?.name).toBe(expected);
  });
});

describe('resolveVersionScheme', () => {
  it.each<[unknown, unknown, VersionScheme]>([
    [undefined, undefined, SEMVER],
    ['', '', SEMVER],
    ['semver', undefined, SEMVER],
    ['calver', undefined, CALVER],
    ['pattern', '^release-(\\d+)-(\\d+)$', RELEASE],
    ['pattern', '^(?<year>\\d+)\\.(?<n>\\d+)$', { name: 'pattern', pattern: '^(?<year>\\d+)\\.(?<n>\\d+)$' }],
    ['pattern', 'a(\\d+)|b(\\d+)', { name: 'pattern', pattern: 'a(\\d+)|b(\\d+)' }],
  ])('%j with %j', (name, pattern, expected) => {
    expect(resolveVersionScheme(name, pattern, NX)).toEqual(expected);
  });

  const SCHEME = 'nx.json: @fornax/nx-images option versionScheme';
  const PATTERN = 'nx.json: @fornax/nx-images option versionPattern';
  const like = (pattern: RegExp) => expect.stringMatching(pattern) as unknown as string;
  const NEEDS = { subject: SCHEME, problem: '"pattern" needs versionPattern', fix: like(/^give versionPattern, a regular expression whose capture groups are the version's numbers, e\.g\. "\^release-/) };
  it.each<[unknown, unknown, Partial<Problem>]>([
    ['calendar', undefined, { subject: SCHEME, problem: '"calendar" is not a version scheme', fix: 'use "semver" (v1.2.3), "calver" (26.0630, 2026.06.30) or "pattern" (with versionPattern)' }],
    ['SemVer', undefined, { subject: SCHEME, problem: '"SemVer" is not a version scheme' }],
    [3, undefined, { subject: SCHEME, problem: '3 is not a version scheme' }],
    [['calver'], undefined, { subject: SCHEME, problem: '["calver"] is not a version scheme' }],
    ['pattern', undefined, NEEDS],
    ['pattern', '', NEEDS],
    ['pattern', 42, NEEDS],
    ['pattern', '^release-\\d+$', { subject: PATTERN, problem: '"^release-\\\\d+$" has no capture group, so no number to compare', fix: like(/^put each number in parentheses/) }],
    ['pattern', '^(?:\\d+)\\.(?:\\d+)$', { subject: PATTERN, problem: like(/has no capture group/) }],
    ['pattern', '^release-(\\d+$', { subject: PATTERN, problem: like(/^"\^release-\(\\\\d\+\$" is not a regular expression \(.*\)$/), fix: like(/^fix it/) }],
    ['pattern', '[', { subject: PATTERN, problem: like(/is not a regular expression/) }],
    ['pattern', '(?<n>\\d+)(?<n>\\d+)', { subject: PATTERN, problem: like(/is not a regular expression/) }],
    ['semver', '^v(\\d+)$', { subject: PATTERN, problem: 'it is only read with versionScheme "pattern"', fix: 'set versionScheme to "pattern", or remove versionPattern' }],
    [undefined, '^v(\\d+)$', { subject: PATTERN, problem: 'it is only read with versionScheme "pattern"' }],
  ])('%j with %j is refused', (name, pattern, fields) => {
    expect(() => resolveVersionScheme(name, pattern, NX)).toThrow(UserError);
    expect(() => resolveVersionScheme(name, pattern, NX)).toThrow(expect.objectContaining(fields));
  });
});

describe('runVersionScheme', () => {
  it.each<[{ versionScheme?: string; versionPattern?: string }, VersionScheme, VersionScheme]>([
    [{}, CALVER, CALVER],
    [{ versionScheme: '', versionPattern: '' }, RELEASE, RELEASE],
    [{ versionScheme: 'semver' }, RELEASE, SEMVER],
    [{ versionScheme: ' calver ' }, SEMVER, CALVER],
    [{ versionPattern: '^release-(\\d+)-(\\d+)$' }, SEMVER, RELEASE],
    [{ versionScheme: 'pattern', versionPattern: '^release-(\\d+)-(\\d+)$' }, CALVER, RELEASE],
  ])('%j over %j -> %j', (option, workspace, expected) => {
    expect(runVersionScheme(option, workspace, 'release option')).toEqual(expected);
  });

  it('names the run options in its errors', () => {
    expect(() => runVersionScheme({ versionScheme: 'pattern' }, RELEASE, 'release option')).toThrow(expect.objectContaining({ subject: 'release option --versionScheme', problem: '"pattern" needs --versionPattern' }));
    expect(() => runVersionScheme({ versionScheme: 'calver', versionPattern: '(\\d+)' }, SEMVER, 'release option')).toThrow(
      expect.objectContaining({ subject: 'release option --versionPattern', problem: 'it is only read with --versionScheme "pattern"' }),
    );
  });
});
