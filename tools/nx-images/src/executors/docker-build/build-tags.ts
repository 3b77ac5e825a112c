import { UserError } from '../../lib/core/errors';
import { imageName } from '../../lib/core/naming/refs';
import type { BuildTagRecord } from '../../lib/io/build-record';
import type { RegistryClient } from '../../lib/io/registry/oci-client';
import { log } from '../outcome';
import type { NormalizedBuild } from './normalize';

/**
 * Writes each per-build tag inside the registry as a copy of the pushed
 * manifest's bytes, only where the tag is absent, and reads each back: a
 * per-build tag names one build forever, so one that exists (the same commit
 * rebuilt, a run in the same minute) is left alone.
 */
export async function writeBuildTags(build: NormalizedBuild, client: RegistryClient, digest: string): Promise<BuildTagRecord[]> {
  if (build.buildTags.length === 0) return [];
  const repoPath = `${build.repository}/${build.image}`;
  const manifest = await client.getManifest(repoPath, digest);
  const records: BuildTagRecord[] = [];
  for (const tag of build.buildTags) {
    const reference = `${imageName(build)}:${tag}`;
    const existing = await client.resolve(repoPath, tag);
    if (existing) {
      const whose = existing.digest === digest ? 'this same image' : 'another build';
      log.info(`${build.project}: ${reference} already exists (${existing.digest}, ${whose}); left alone: a per-build tag is never moved`);
      records.push({ tag, digest: existing.digest, written: false });
      continue;
    }
    await client.retag(repoPath, manifest, tag);
    const after = await client.resolve(repoPath, tag);
    if (after?.digest !== digest) {
      throw new UserError(`${build.project}: ${reference} reads back as ${after?.digest ?? 'nothing'}, not ${digest}: another build wrote it at the same time; check which build it names, then build again if it should be this one.`);
    }
    log.info(`${build.project}: ${reference} written (${digest}), once: it will not move`);
    records.push({ tag, digest, written: true });
  }
  return records;
}
