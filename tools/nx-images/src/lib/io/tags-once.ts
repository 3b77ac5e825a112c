import { UserError } from '../core/errors';
import type { BuildTagRecord } from './build-record';
import type { RegistryClient } from './registry/oci-client';

/**
 * Writes each per-build tag of `repoPath` on the manifest `digest` inside
 * the registry, only where the tag is absent, and reads each back: a
 * per-build tag names one build forever, so one that exists (the same
 * commit rebuilt, a run in the same minute) is left alone. `name` is the
 * image's name without a tag, for the log.
 */
export async function writeTagsOnce(input: { project: string; name: string; repoPath: string; tags: readonly string[]; digest: string; client: RegistryClient; log: (line: string) => void }): Promise<BuildTagRecord[]> {
  const { project, name, repoPath, tags, digest, client, log } = input;
  if (tags.length === 0) return [];
  const manifest = await client.getManifest(repoPath, digest);
  const records: BuildTagRecord[] = [];
  for (const tag of tags) {
    const reference = `${name}:${tag}`;
    const existing = await client.resolve(repoPath, tag);
    if (existing) {
      const whose = existing.digest === digest ? 'this same image' : 'another build';
      log(`${project}: ${reference} already exists (${existing.digest}, ${whose}); left alone: a per-build tag is never moved`);
      records.push({ tag, digest: existing.digest, written: false });
      continue;
    }
    await client.retag(repoPath, manifest, tag);
    const after = await client.resolve(repoPath, tag);
    if (after?.digest !== digest) {
      throw new UserError({
        subject: project,
        problem: `${reference} reads back as ${after?.digest ?? 'nothing'}, not ${digest}`,
        fix: 'another build wrote it at the same time; check which build it names, then build again if it should be this one',
      });
    }
    log(`${project}: ${reference} written (${digest}), once: it will not move`);
    records.push({ tag, digest, written: true });
  }
  return records;
}
