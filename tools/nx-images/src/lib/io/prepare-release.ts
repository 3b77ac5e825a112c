import { readBasesLabel } from '../core/dockerfile/bases';
import type { RevisionObservation } from '../core/ci/compare-commits';
import { UserError } from '../core/errors';
import { tagOfVariant, variantTag } from '../core/naming/refs';
import { changedFiles } from './git';
import { isArtifactOf, LEGACY_TEST_ARTIFACT_TYPES, LEGACY_TEST_RESULT_ANNOTATIONS, ownValue, TEST_ARTIFACT_TYPE, TEST_RESULT_ANNOTATION, TEST_TIME_ANNOTATION } from '../core/naming/conventions';
import { LEGACY_LOCK_FILES_ANNOTATIONS, LEGACY_LOCKS_ARTIFACT_TYPES, LOCK_FILES_ANNOTATION, LOCKS_ARTIFACT_TYPE, locksProblem } from '../core/evidence/locks';
import { isIndexMediaType, type FullRegistryClient } from './registry/oci-client';
import { indexPlatforms } from '../core/build/image-index';
import { platformOf } from '../core/naming/platforms';
import { observeRevision } from './revision';
import {
  STABLE_TAG,
  higherVersionTags,
  planRelease,
  revisionProblem,
  testStanding,
  type LocksStanding,
  type ReleasePlan,
  type RevisionFacts,
} from '../core/release/release-plan';
import type { NormalizedReleaseOptions } from './release-options';

/**
 * Every read-only check of one image's release, then its plan: the source
 * exists, was built from the release commit, the credentials may push, and
 * which tags move. Shared by release-check (all images, before any write)
 * and release (which checks again in case it runs alone).
 */
export async function prepareRelease(options: NormalizedReleaseOptions, client: FullRegistryClient): Promise<ReleasePlan> {
  const { image, repoPath, name } = options;
  // The plan speaks of the release's tags; a variant keeps each in the registry as <variant>-<tag>.
  const inRegistry = (tag: string) => variantTag(options.variant, tag);
  const sourceTag = inRegistry(options.sourceTag);
  const source = await client.resolve(repoPath, sourceTag);
  if (!source) {
    throw new UserError({
      subject: image,
      problem: `${name}:${sourceTag} does not exist, so no image is released`,
      fix: `build and push ${image} first (nx run ${options.project}:docker-build), or check --sourceTag, --registry and --repository`,
    });
  }
  // Read by digest, so the labels are those of the manifest checked and copied.
  const observed = await observeRevision(client, options.workspaceRoot, repoPath, source.digest, options.commit);
  if (observed.kind === 'unreadable') {
    throw new UserError({ subject: image, problem: `the labels of ${name}:${sourceTag} could not be read (${observed.reason.replace(/\.$/, '')})`, fix: 'run the release again once the registry answers' });
  }
  const revision = observed.kind === 'present' ? observed.revision : undefined;
  const problem = revisionProblem(image, sourceTag, revision, options.commit, await revisionFacts(options, observed));
  if (problem) throw new UserError(problem);
  const bases = readBasesLabel(observed.kind === 'present' ? observed.labels : undefined);
  // An index's evidence is attached to each platform's manifest (each platform is tested on its own): every platform must stand.
  const standings = [];
  const subjects = await evidenceSubjects(client, repoPath, source);
  // What is attached to an index itself counts for every platform: a retest's result (a retest attaches to what the tag names; the newest result decides), and the evidence of an index pushed whole by buildx.
  const onIndex = subjects.some((subject) => subject.platform) ? await client.referrers(repoPath, source.digest) : [];
  for (const subject of subjects) {
    const at = `${name}:${sourceTag}${subject.platform ? ` ${subject.platform}` : ''} (${subject.digest.slice(0, 19)})`;
    // Every type at once, so results and lock sets attached under the legacy names count too.
    const referrers = [...(await client.referrers(repoPath, subject.digest)), ...onIndex];
    const attached = options.hasTests ? referrers.filter((entry) => isArtifactOf(entry.artifactType, TEST_ARTIFACT_TYPE, LEGACY_TEST_ARTIFACT_TYPES)) : [];
    const { standing, problem: untested } = testStanding({
      image,
      project: options.project,
      at,
      hasTests: options.hasTests,
      attached: attached.map((entry) => ({ result: ownValue(entry.annotations, TEST_RESULT_ANNOTATION, LEGACY_TEST_RESULT_ANNOTATIONS), at: entry.annotations?.[TEST_TIME_ANNOTATION] })),
      allowUntested: options.allowUntested,
    });
    if (untested) throw new UserError(untested);
    const lockSets = referrers.filter((entry) => isArtifactOf(entry.artifactType, LOCKS_ARTIFACT_TYPE, LEGACY_LOCKS_ARTIFACT_TYPES));
    const missingLocks = locksProblem({ image, at, project: options.project, attached: lockSets.length > 0, allowMissingLocks: options.allowMissingLocks });
    if (missingLocks) throw new UserError(missingLocks);
    const newest = lockSets.at(-1);
    const locks: LocksStanding = newest ? { kind: 'attached', files: Number(ownValue(newest.annotations, LOCK_FILES_ANNOTATION, LEGACY_LOCK_FILES_ANNOTATIONS) ?? '0') || 0 } : { kind: 'missing' };
    standings.push({ tests: standing, locks });
  }
  // The weakest platform speaks for the image: an untested one (allowed) before a passing one, a missing lock set before one attached.
  const tests = standings.map((entry) => entry.tests).find((entry) => entry.kind === 'untested') ?? standings[0]?.tests ?? { kind: 'none' as const };
  const locks = standings.map((entry) => entry.locks).find((entry) => entry.kind === 'missing') ?? standings[0]?.locks ?? { kind: 'missing' as const };
  if (options.tags.length === 0) return planRelease({ image, name, sourceTag, source, tags: [], current: {}, bases, tests, locks });
  const tags = options.tags.map(inRegistry);
  await client.checkPushAccess(repoPath);
  const current: Record<string, string | undefined> = {};
  for (const tag of tags) current[tag] = (await client.resolve(repoPath, tag))?.digest;
  const stable = inRegistry(STABLE_TAG);
  let stableHeldBy: string | undefined;
  const { version, versionScheme: scheme } = options;
  if (tags.includes(stable) && version && current[stable] !== undefined) {
    // A variant's versions are its own tags, without the prefix: another variant's or the image's do not count.
    const versions = (await client.listTags(repoPath)).flatMap((tag) => tagOfVariant(options.variant, tag) ?? []);
    for (const tag of higherVersionTags(versions, version, scheme)) {
      if ((await client.resolve(repoPath, inRegistry(tag)))?.digest === current[stable]) {
        stableHeldBy = inRegistry(tag);
        break;
      }
    }
  }
  return planRelease({ image, name, sourceTag, source, tags, scheme, current, bases, tests, locks, stableTag: stable, ...(version ? { version: version.display } : {}), ...(stableHeldBy ? { stableHeldBy } : {}) });
}

async function revisionFacts(options: NormalizedReleaseOptions, observed: RevisionObservation): Promise<RevisionFacts> {
  if (observed.kind !== 'present' || !observed.revision) return { kind: 'no-label' };
  const { commit } = observed;
  if (!commit) return { kind: 'unknown-commit' };
  if (commit === options.commit) return { kind: 'same' };
  if (!observed.isAncestor) return { kind: 'not-ancestor' };
  return { kind: 'ancestor', changedFiles: await changedFiles(options.workspaceRoot, commit, options.commit, options.projectRoot) };
}

/** Where an image's evidence is attached: the manifest itself, or each platform's manifest of an index. */
async function evidenceSubjects(client: FullRegistryClient, repoPath: string, source: { digest: string; mediaType: string }): Promise<{ digest: string; platform?: string }[]> {
  if (!isIndexMediaType(source.mediaType)) return [{ digest: source.digest }];
  const index = await client.getManifest(repoPath, source.digest);
  const platforms = indexPlatforms(JSON.parse(index.bytes.toString('utf8')) as unknown);
  return platforms.length === 0 ? [{ digest: source.digest }] : platforms.map((entry) => ({ digest: entry.digest, platform: platformOf(entry.platform) }));
}
