import type { BaseRecord } from '../dockerfile/bases';
import { LABEL } from '../naming/conventions';
import { UserError, type Problem } from '../errors';
import { PLUGIN_NAME } from '../graph/plugin-options';
import { assertValidTag } from '../naming/tags';
import { compareVersions, describeScheme, otherSchemeOf, parseVersion, SEMVER, type Version, type VersionScheme } from './version-scheme';

/** The symbolic tag that only moves forward. */
export const STABLE_TAG = 'stable';

/** Release tags from an array or a comma-separated string: trimmed, deduplicated, validated. */
export function parseReleaseTags(option: string | readonly string[] | undefined): string[] {
  const raw = (typeof option === 'string' ? [option] : option ?? []).flatMap((entry) => entry.split(','));
  const tags: string[] = [];
  for (const entry of raw) {
    const tag = entry.trim();
    if (tag === '') continue;
    assertValidTag(tag, 'release tag');
    if (!tags.includes(tag)) tags.push(tag);
  }
  if (tags.length === 0) {
    throw new UserError({ subject: 'release', problem: 'no tag to add', fix: 'pass --tags=v1.2.3,stable (an array or a comma-separated string)' });
  }
  return tags;
}

/**
 * The version among the release tags: the one tag (not `stable`) that is a
 * version of the scheme; the others are names (`main`, `latest`). Refused:
 * two versions, a tag that is another scheme's version, and `stable` with
 * no version to order it by.
 */
export function releaseVersion(tags: readonly string[], scheme: VersionScheme = SEMVER): Version | undefined {
  const versions: Version[] = [];
  for (const tag of tags) {
    if (tag === STABLE_TAG) continue;
    const version = parseVersion(scheme, tag);
    if (version) {
      versions.push(version);
      continue;
    }
    const other = otherSchemeOf(scheme, tag);
    if (other) {
      throw new UserError({
        subject: 'release tag',
        problem: `${JSON.stringify(tag)} is not a ${describeScheme(scheme)}`,
        fix: `name the release that way, or set "versionScheme": "${other.name}" in the ${PLUGIN_NAME} options of nx.json (or pass --versionScheme=${other.name})`,
      });
    }
  }
  if (versions.length > 1) {
    throw new UserError({
      subject: 'release tags',
      problem: `${versions.map((version) => JSON.stringify(version.tag)).join(' and ')} are all ${scheme.name} versions`,
      fix: 'release one version at a time; the other tags may be names such as stable or main',
    });
  }
  if (versions.length === 0 && tags.includes(STABLE_TAG)) {
    throw new UserError({ subject: 'release tags', problem: `${tags.join(',')} move stable but hold no ${describeScheme(scheme)}`, fix: 'stable only moves forward, so add the release\'s version to --tags' });
  }
  return versions[0];
}

/** Tags in the repository whose version is above `version`, highest first: the ones `stable` may already carry. */
export function higherVersionTags(existingTags: readonly string[], version: Version, scheme: VersionScheme = SEMVER): string[] {
  return existingTags
    .map((tag) => parseVersion(scheme, tag))
    .filter((other): other is Version => other !== undefined && compareVersions(other, version) > 0)
    .sort((a, b) => compareVersions(b, a) || a.tag.localeCompare(b.tag))
    .map((other) => other.tag);
}

export type RevisionFacts =
  | { kind: 'no-label' }
  | { kind: 'same' }
  | { kind: 'unknown-commit' }
  | { kind: 'not-ancestor' }
  | { kind: 'ancestor'; changedFiles: readonly string[] };

/** Whether an image built at `revision` is the one of the release commit; the problem, naming the image, when not. */
export function revisionProblem(image: string, sourceTag: string, revision: string | undefined, commit: string, facts: RevisionFacts): Problem | undefined {
  const short = (sha: string | undefined) => (sha ?? '').slice(0, 12);
  switch (facts.kind) {
    case 'same':
      return undefined;
    case 'ancestor':
      if (facts.changedFiles.length === 0) return undefined;
      return {
        subject: image,
        problem: `${sourceTag} was built from ${short(revision)}, and ${facts.changedFiles.length} file(s) of ${image} changed before the release commit ${short(commit)} (e.g. ${facts.changedFiles[0]})`,
        fix: `${image} is out of date; wait for its build of the release commit, or rebuild it, then release again`,
      };
    case 'no-label':
      return { subject: image, problem: `${sourceTag} has no ${LABEL.revision} label, so it cannot be tied to the release commit ${short(commit)}`, fix: 'rebuild it with the docker-build target, then release again' };
    case 'unknown-commit':
      return { subject: image, problem: `${sourceTag} was built from ${short(revision)}, which this clone does not have`, fix: 'check out with fetch-depth: 0 (or fetch that commit), then release again' };
    case 'not-ancestor':
      return {
        subject: image,
        problem: `${sourceTag} was built from ${short(revision)}, which is not the release commit ${short(commit)} nor an ancestor of it (a push after the release was cut, or a build still running)`,
        fix: `${image} is out of date; rebuild it from the release commit or release a later commit`,
      };
  }
}

export interface TagWrite {
  tag: string;
  /** create: the tag is new; move: it points elsewhere now; keep: it already points at the source. */
  action: 'create' | 'move' | 'keep';
  /** The digest the tag points to now, if any. */
  current?: string;
}

export interface ReleasePlan {
  image: string;
  /** `registry/repository/image`. */
  name: string;
  sourceTag: string;
  sourceDigest: string;
  sourceMediaType: string;
  writes: TagWrite[];
  /** Tags asked for but left alone, and why. */
  skipped: { tag: string; reason: string }[];
  /** The images of this repository the source was built from, as its bases label records them. */
  bases: BaseRecord[];
  /** What the test results attached to the source say. */
  tests: TestStanding;
  /** The lock set attached to the source. */
  locks: LocksStanding;
}

/** An image's lock set as the release sees it: attached (with how many files), or missing and allowed. */
export type LocksStanding = { kind: 'attached'; files: number } | { kind: 'missing' };

/** One line for an image's lock set in the release's plan. */
export function describeLocks(standing: LocksStanding): string {
  return standing.kind === 'attached' ? `${standing.files} lock file(s) attached` : 'no lock set attached, released with --allowMissingLocks';
}

/** An image's tests as the release sees them: no tests, a passing result attached, or released without one (allowed). */
export type TestStanding = { kind: 'none' } | { kind: 'passed' } | { kind: 'untested'; found: string };

/**
 * Whether an image may be released as far as its tests go: one with tests
 * needs a passing result attached to the digest released; `allowUntested`
 * lets it go without. The problem, one line naming the image and the fix.
 */
export function testStanding(input: {
  image: string;
  project: string;
  at: string;
  hasTests: boolean;
  /** The results attached to the source digest: their result annotation, and when they were attached (results attached before that was recorded have none). */
  attached: readonly { result?: string | undefined; at?: string | undefined }[];
  allowUntested: boolean;
}): { standing: TestStanding; problem?: Problem } {
  if (!input.hasTests) return { standing: { kind: 'none' } };
  // The newest result decides, so tests that failed against the image since it passed (a retest) stop it until they pass again.
  const newest = [...input.attached].filter((entry) => entry.at !== undefined).sort((a, b) => (a.at ?? '').localeCompare(b.at ?? '')).at(-1);
  const results = input.attached.map((entry) => entry.result);
  if (newest?.result === 'failed') return untested(input, `its newest tests, run ${newest.at ?? ''}, failed`);
  if (results.includes('passed')) return { standing: { kind: 'passed' } };
  const found = results.includes('failed')
    ? 'its tests failed'
    : results.includes('skipped')
      ? 'its tests were skipped'
      : 'no test result is attached (built before its tests ran, or pushed without them)';
  return untested(input, found);
}

function untested(input: { image: string; project: string; at: string; allowUntested: boolean }, found: string): { standing: TestStanding; problem?: Problem } {
  if (input.allowUntested) return { standing: { kind: 'untested', found } };
  return {
    standing: { kind: 'untested', found },
    problem: {
      subject: input.image,
      problem: `${input.at} has no passing test result (${found})`,
      fix: `push it again with its tests run (nx run ${input.project}:docker-build --test --push, as CI does), or release with --allowUntested`,
    },
  };
}

export interface PlanInput {
  image: string;
  name: string;
  sourceTag: string;
  source: { digest: string; mediaType: string };
  tags: readonly string[];
  /** What each requested tag points to now (undefined: absent). */
  current: Readonly<Record<string, string | undefined>>;
  /** A higher version tag `stable` points to now, if any. */
  stableHeldBy?: string;
  bases?: readonly BaseRecord[];
  tests?: TestStanding;
  locks?: LocksStanding;
  /** How the version among the tags is read; default semver. */
  scheme?: VersionScheme;
  /** The tag that only moves forward: `stable`, or a variant's `<variant>-stable`. */
  stableTag?: string;
  /** The release's version as a person reads it, when the tags carry a variant's prefix. */
  version?: string;
}

/** What a release of one image will write; also what --dry-run prints. */
export function planRelease(input: PlanInput): ReleasePlan {
  const writes: TagWrite[] = [];
  const skipped: { tag: string; reason: string }[] = [];
  const stable = input.stableTag ?? STABLE_TAG;
  const version = input.version ?? releaseVersion(input.tags, input.scheme)?.display;
  for (const tag of input.tags) {
    if (tag === input.sourceTag) {
      skipped.push({ tag, reason: 'it is the source tag' });
      continue;
    }
    const current = input.current[tag];
    if (tag === stable && input.stableHeldBy && current !== input.source.digest) {
      skipped.push({ tag, reason: `it carries ${input.stableHeldBy}, which is newer than ${version ?? 'this release'}; stable only moves forward` });
      continue;
    }
    const action = current === undefined ? 'create' : current === input.source.digest ? 'keep' : 'move';
    writes.push({ tag, action, ...(current === undefined ? {} : { current }) });
  }
  return {
    image: input.image,
    name: input.name,
    sourceTag: input.sourceTag,
    sourceDigest: input.source.digest,
    sourceMediaType: input.source.mediaType,
    writes,
    skipped,
    bases: [...(input.bases ?? [])],
    tests: input.tests ?? { kind: 'none' },
    locks: input.locks ?? { kind: 'missing' },
  };
}

/** One line for an image's tests in the release's plan and summary. */
export function describeStanding(standing: TestStanding): string {
  if (standing.kind === 'none') return 'no tests';
  if (standing.kind === 'passed') return 'passed';
  return `untested, released with --allowUntested: ${standing.found}`;
}

/** The plan as the lines a user reads: one per tag. */
export function formatPlan(plan: ReleasePlan, dryRun: boolean): string[] {
  const verb = (action: TagWrite['action']) =>
    dryRun ? { create: 'would create', move: 'would move', keep: 'already at' }[action] : { create: 'create', move: 'move', keep: 'already at' }[action];
  const lines = [`${plan.name}:${plan.sourceTag} is ${plan.sourceDigest} (${plan.sourceMediaType})`];
  for (const write of plan.writes) {
    const from = write.action === 'move' ? ` (from ${write.current?.slice(0, 19)})` : '';
    lines.push(`  ${write.tag}: ${verb(write.action)} ${plan.sourceDigest.slice(0, 19)}${from}`);
  }
  for (const skip of plan.skipped) lines.push(`  ${skip.tag}: left as is, ${skip.reason}`);
  for (const base of plan.bases) lines.push(`  built from ${base.reference}${base.digest ? ` (${base.digest})` : ''}`);
  lines.push(`  tests: ${describeStanding(plan.tests)}`);
  lines.push(`  locks: ${describeLocks(plan.locks)}`);
  return lines;
}
