import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage } from '../core/errors';
import { tagOfVariant, variantTag } from '../core/naming/refs';
import { previousVersionTag, renderReleaseChanges, type ReleaseChanges } from '../core/release/release-changes';
import { releaseRecordDir, type ReleaseRecord } from './build-record';
import { differencesOf, registrySide } from './image-differences';
import type { FullRegistryClient } from './registry/oci-client';
import type { NormalizedReleaseOptions } from './release-options';

/** `dist/release/changes.md`: what each image of the release changed since the previous one. */
export function changesPath(workspaceRoot: string): string {
  return join(releaseRecordDir(workspaceRoot), 'changes.md');
}

/**
 * One image's changes against the previous release of its scheme, read from
 * the registry (inventories and sizes); a failed read is a note, never a
 * failed release: the tags are written by now.
 */
export async function releaseChanges(options: NormalizedReleaseOptions, client: FullRegistryClient, digest: string): Promise<ReleaseChanges> {
  const { version, variant, repoPath, image } = options;
  if (!version) return { release: options.tags[0] ?? '', note: 'no version among the release tags, so no previous release to compare with' };
  try {
    const versions = (await client.listTags(repoPath)).flatMap((tag) => tagOfVariant(variant, tag) ?? []);
    const previousTag = previousVersionTag(versions, version, options.versionScheme);
    if (!previousTag) return { release: version.tag };
    const older = await registrySide(client, repoPath, variantTag(variant, previousTag));
    if (!older) return { release: version.tag };
    const previous = { tag: previousTag, digest: older.digest, compressedSize: 'total' in older.size ? older.size.total : 0 };
    if (older.digest === digest) return { release: version.tag, previous };
    const newer = await registrySide(client, repoPath, digest);
    if (!newer) return { release: version.tag, previous, note: `${digest.slice(0, 19)} could not be read back` };
    return { release: version.tag, previous, differences: differencesOf(image, { ...older, label: previousTag }, { ...newer, label: version.tag }) };
  } catch (error) {
    return { release: version.tag, note: `the previous release could not be read (${errorMessage(error)})` };
  }
}

/** Writes changes.md from every record of this release in dist/release (a batch writes it once per image, each time whole). */
export async function writeReleaseChanges(workspaceRoot: string, release: string): Promise<string> {
  const dir = releaseRecordDir(workspaceRoot);
  const names = (await readdir(dir).catch(() => [] as string[])).filter((name) => name.endsWith('.json')).sort();
  const records: ReleaseRecord[] = [];
  for (const name of names) {
    const record = JSON.parse(await readFile(join(dir, name), 'utf8')) as ReleaseRecord;
    if (record.changes?.release === release) records.push(record);
  }
  const file = changesPath(workspaceRoot);
  await mkdir(dir, { recursive: true });
  await writeFile(file, renderReleaseChanges(release, records));
  return file;
}
