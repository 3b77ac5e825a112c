import * as semver from 'semver';
import { UserError } from '../errors';

/** How release versions are written and ordered: the one place that parses and compares them. */
export type VersionScheme = { name: 'semver' } | { name: 'calver' } | { name: 'pattern'; pattern: string };

export const VERSION_SCHEME_NAMES = ['semver', 'calver', 'pattern'] as const;
export type VersionSchemeName = (typeof VERSION_SCHEME_NAMES)[number];

export const SEMVER: VersionScheme = { name: 'semver' };
export const CALVER: VersionScheme = { name: 'calver' };

/** A tag read as a version of a scheme. */
export interface Version {
  tag: string;
  /** How messages name it: semver's normal form (`v0.1.1` -> `0.1.1`), else the tag. */
  display: string;
  /** semver: the normal form; calver and pattern: the numbers without leading zeros. */
  key: { kind: 'semver'; version: string } | { kind: 'numbers'; numbers: string[] };
}

/** A year of 2 or 4 digits, then 1 to 3 more numbers: `26.0630`, `2026.06.30`, `v2026.6.30.1`. */
const CALVER_TAG = /^v?(\d{2}|\d{4})((?:\.\d+){1,3})$/;

/** Where a scheme came from, for the messages: e.g. `nx.json: ... option` with `versionScheme`, or `release:` with `--versionScheme`. */
export interface SchemeSource {
  where: string;
  scheme: string;
  pattern: string;
}

const PATTERN_EXAMPLE = '"^release-(\\\\d+)-(\\\\d+)$"';

/** The scheme named by an option (and its pattern), checked; a mistake is one line naming the option and the fix. */
export function resolveVersionScheme(name: unknown, pattern: unknown, source: SchemeSource): VersionScheme {
  const { where, scheme: schemeOption, pattern: patternOption } = source;
  const hasPattern = pattern !== undefined && pattern !== '';
  if (name !== undefined && name !== '' && (typeof name !== 'string' || !(VERSION_SCHEME_NAMES as readonly string[]).includes(name))) {
    throw new UserError({ subject: `${where} ${schemeOption}`, problem: `${JSON.stringify(name)} is not a version scheme`, fix: `use "semver" (v1.2.3), "calver" (26.0630, 2026.06.30) or "pattern" (with ${patternOption})` });
  }
  if (name !== 'pattern') {
    if (hasPattern) throw new UserError({ subject: `${where} ${patternOption}`, problem: `it is only read with ${schemeOption} "pattern"`, fix: `set ${schemeOption} to "pattern", or remove ${patternOption}` });
    return name === 'calver' ? CALVER : SEMVER;
  }
  if (typeof pattern !== 'string' || pattern === '') {
    throw new UserError({ subject: `${where} ${schemeOption}`, problem: `"pattern" needs ${patternOption}`, fix: `give ${patternOption}, a regular expression whose capture groups are the version's numbers, e.g. ${PATTERN_EXAMPLE}` });
  }
  let regex: RegExp;
  try {
    regex = new RegExp(pattern);
  } catch (error) {
    throw new UserError({ subject: `${where} ${patternOption}`, problem: `${JSON.stringify(pattern)} is not a regular expression (${(error as Error).message})`, fix: `fix it, e.g. ${PATTERN_EXAMPLE}` });
  }
  if (groupCount(regex) === 0) {
    throw new UserError({ subject: `${where} ${patternOption}`, problem: `${JSON.stringify(pattern)} has no capture group, so no number to compare`, fix: `put each number in parentheses, e.g. ${PATTERN_EXAMPLE}` });
  }
  return { name: 'pattern', pattern };
}

function groupCount(regex: RegExp): number {
  // An alternative that matches the empty string reports every group, matched or not.
  return (new RegExp(`${regex.source}|`).exec('')?.length ?? 1) - 1;
}

/** The tag as a version of the scheme, or undefined when it is not one (`stable`, `main`, another scheme's version). */
export function parseVersion(scheme: VersionScheme, tag: string): Version | undefined {
  switch (scheme.name) {
    case 'semver': {
      const version = semver.valid(tag);
      return version ? { tag, display: version, key: { kind: 'semver', version } } : undefined;
    }
    case 'calver': {
      const match = CALVER_TAG.exec(tag);
      if (!match) return undefined;
      return { tag, display: tag, key: { kind: 'numbers', numbers: [match[1] ?? '', ...(match[2] ?? '').slice(1).split('.')].map(withoutLeadingZeros) } };
    }
    case 'pattern': {
      const match = new RegExp(scheme.pattern).exec(tag);
      // The whole tag must match, so `release-1-2-hotfix` is not `release-1-2`.
      if (!match || match[0] !== tag) return undefined;
      const groups = match.slice(1);
      // A group left out (an optional part) counts as 0; one that caught anything but digits is no number.
      if (!groups.every((group) => group === undefined || /^\d+$/.test(group))) return undefined;
      return { tag, display: tag, key: { kind: 'numbers', numbers: groups.map((group) => withoutLeadingZeros(group ?? '0')) } };
    }
  }
}

function withoutLeadingZeros(digits: string): string {
  return digits.replace(/^0+(?=\d)/, '');
}

/** Negative, zero or positive as `a` is lower than, equal to or higher than `b` (both of one scheme). */
export function compareVersions(a: Version, b: Version): number {
  if (a.key.kind === 'semver' && b.key.kind === 'semver') return semver.compare(a.key.version, b.key.version);
  const left = a.key.kind === 'numbers' ? a.key.numbers : [];
  const right = b.key.kind === 'numbers' ? b.key.numbers : [];
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    // A missing component is 0: 2026.6.30 < 2026.6.30.1. Numbers compare by length, then digits: no overflow.
    const x = left[i] ?? '0';
    const y = right[i] ?? '0';
    if (x.length !== y.length) return x.length - y.length;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** The scheme in a few words, with how to write a version of it. */
export function describeScheme(scheme: VersionScheme): string {
  switch (scheme.name) {
    case 'semver':
      return 'semver version (write it like v1.2.3 or 1.2.3)';
    case 'calver':
      return 'calver version (write it like 26.0630 or 2026.06.30: a 2- or 4-digit year, then 1 to 3 numbers, dot-separated)';
    case 'pattern':
      return `version of the pattern ${scheme.pattern} (the whole tag must match, each capture group a number)`;
  }
}

/** Another built-in scheme under which the tag is a version, if any: a tag that looks like a version but not of this scheme. */
export function otherSchemeOf(scheme: VersionScheme, tag: string): VersionScheme | undefined {
  return [SEMVER, CALVER].find((other) => other.name !== scheme.name && parseVersion(other, tag) !== undefined);
}

/** The scheme of one run: its own options when given (a pattern alone means "pattern"), else the workspace's. */
export function runVersionScheme(option: { versionScheme?: string | undefined; versionPattern?: string | undefined }, workspace: VersionScheme, where: string): VersionScheme {
  const name = option.versionScheme?.trim() || undefined;
  const pattern = option.versionPattern || undefined;
  if (name === undefined && pattern === undefined) return workspace;
  return resolveVersionScheme(name ?? 'pattern', pattern, { where, scheme: '--versionScheme', pattern: '--versionPattern' });
}
