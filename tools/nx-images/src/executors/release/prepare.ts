import { LABEL } from '../../lib/core/conventions';
import { UserError } from '../../lib/core/errors';
import { changedFiles, hasCommit, isAncestor, resolveCommit } from '../../lib/io/git';
import type { RegistryClient } from '../../lib/io/registry/oci-client';
import {
  STABLE_TAG,
  higherVersionTags,
  planRelease,
  releaseVersion,
  revisionProblem,
  type ReleasePlan,
  type RevisionFacts,
} from '../../lib/core/release-plan';
import type { NormalizedReleaseOptions } from './normalize';

/**
 * Every read-only check of one image's release, then its plan: the source
 * exists, was built from the release commit, the credentials may push, and
 * which tags move. Shared by release-check (all images, before any write)
 * and release (which checks again in case it runs alone).
 */
export async function prepareRelease(options: NormalizedReleaseOptions, client: RegistryClient): Promise<ReleasePlan> {
  const { image, repoPath, sourceTag, name } = options;
  const source = await client.resolve(repoPath, sourceTag);
  if (!source) {
    throw new UserError(
      `${image}: ${name}:${sourceTag} does not exist, so no image is released: build and push ${image} first (nx run ${options.project}:docker-build), or check --sourceTag, --registry and --repository.`,
    );
  }
  // Read by digest, so the labels are those of the manifest checked and copied.
  const labels = (await client.readLabels(repoPath, source.digest)) ?? {};
  const revision = labels[LABEL.revision]?.trim() || undefined;
  const problem = revisionProblem(image, sourceTag, revision, options.commit, await revisionFacts(options, revision));
  if (problem) throw new UserError(problem);
  if (options.tags.length === 0) return planRelease({ image, name, sourceTag, source, tags: [], current: {} });
  await client.checkPushAccess(repoPath);
  const current: Record<string, string | undefined> = {};
  for (const tag of options.tags) current[tag] = (await client.resolve(repoPath, tag))?.digest;
  let stableHeldBy: string | undefined;
  const version = releaseVersion(options.tags);
  if (options.tags.includes(STABLE_TAG) && version && current[STABLE_TAG] !== undefined) {
    for (const tag of higherVersionTags(await client.listTags(repoPath), version)) {
      if ((await client.resolve(repoPath, tag))?.digest === current[STABLE_TAG]) {
        stableHeldBy = tag;
        break;
      }
    }
  }
  return planRelease({ image, name, sourceTag, source, tags: options.tags, current, ...(stableHeldBy ? { stableHeldBy } : {}) });
}

async function revisionFacts(options: NormalizedReleaseOptions, revision: string | undefined): Promise<RevisionFacts> {
  if (!revision) return { kind: 'no-label' };
  const cwd = options.workspaceRoot;
  if (!(await hasCommit(cwd, revision))) return { kind: 'unknown-commit' };
  const sha = await resolveCommit(cwd, revision);
  if (!sha) return { kind: 'unknown-commit' };
  if (sha === options.commit) return { kind: 'same' };
  if (!(await isAncestor(cwd, sha, options.commit))) return { kind: 'not-ancestor' };
  return { kind: 'ancestor', changedFiles: await changedFiles(cwd, sha, options.commit, options.projectRoot) };
}
