import { UserError } from '../../lib/core/errors';
import type { Inventory } from '../../lib/core/evidence/inventory';
import { imageName } from '../../lib/core/naming/refs';
import { finishInventoryTags, perBuildTags } from '../../lib/core/naming/templates';
import type { BuildTagRecord } from '../../lib/io/build-record';
import type { RegistryClient } from '../../lib/io/registry/oci-client';
import { writeTagsOnce } from '../../lib/io/tags-once';
import { log } from '../outcome';
import type { NormalizedBuild } from './normalize';

/**
 * Writes each per-build tag inside the registry as a copy of the pushed
 * manifest's bytes, only where the tag is absent, and reads each back: a
 * per-build tag names one build forever, so one that exists (the same commit
 * rebuilt, a run in the same minute) is left alone. Tags read from the
 * image's inventory are rendered first: one that cannot be (a package the
 * inventory does not hold) fails the task before any per-build tag is
 * written; the push itself stays.
 */
export async function writeBuildTags(build: NormalizedBuild, client: RegistryClient, digest: string, inventory?: Inventory): Promise<BuildTagRecord[]> {
  const tags = buildTagsAfterPush(build, digest, inventory);
  return writeTagsOnce({ project: build.project, name: imageName(build), repoPath: `${build.repository}/${build.image}`, tags, digest, client, log: (line) => log.info(line) });
}

/** Every per-build tag of a pushed build: those rendered before it, then those read from its inventory, each once and none a moving tag. */
export function buildTagsAfterPush(build: Pick<NormalizedBuild, 'project' | 'image' | 'registry' | 'repository' | 'tag' | 'extraTags' | 'revision' | 'buildTime' | 'buildTags' | 'inventoryTags'>, digest: string, inventory: Inventory | undefined): string[] {
  if (build.inventoryTags.length === 0) return build.buildTags;
  const values = { branch: build.tag, image: build.image, sha: build.revision, time: new Date(build.buildTime), inventory: inventory ?? null };
  let read: string[];
  try {
    read = finishInventoryTags(build.inventoryTags, values, { image: build.project, subject: 'tags template' });
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    // Its fix, then what the registry now holds.
    const { image, subject, problem, fix } = error;
    throw new UserError({ image, subject, problem, fix: `${fix.replace(/\.$/, '')} (${imageName(build)}@${digest} was pushed and stays; no per-build tag was written)` });
  }
  return perBuildTags([...build.buildTags, ...read], [build.tag, ...build.extraTags]);
}
