import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';
import { errorMessage } from '../core/errors';
import type { Inventory } from '../core/evidence/inventory';
import { diffInventories } from '../core/evidence/inventory-diff';
import type { ImageDifferences, NotCompared } from '../core/evidence/inventory-diff-report';
import { diffIdsOf, diffSizes, imageSizeOf, platformManifestDigest, type ImageSize } from '../core/evidence/size-diff';
import { run } from './exec';
import { readInventory } from './inventory';
import { isIndexMediaType, type FullRegistryClient } from './registry/oci-client';
import { indexPlatforms } from '../core/build/image-index';
import { platformOf } from '../core/naming/platforms';

/**
 * The two sides of an image's differences read from where they are: the
 * registry (a tag or digest: its inventory and compressed size, no engine),
 * or the local engine and dist/ for an image that was built and not pushed.
 */

/** One side: its inventory (or why none) and its size (or why none). */
export interface ImageSide {
  label: string;
  inventory: Inventory | NotCompared;
  size: ImageSize | NotCompared;
}

/** What a pull downloads of a manifest: its platform's config and layers, with the config's diff_ids. */
export async function readImageSize(client: FullRegistryClient, repoPath: string, digest: string): Promise<ImageSize> {
  let manifest = await client.getManifest(repoPath, digest);
  if (isIndexMediaType(manifest.mediaType)) {
    const chosen = platformManifestDigest(JSON.parse(manifest.bytes.toString('utf8')));
    if (!chosen) return { total: 0, layers: [] };
    manifest = await client.getManifest(repoPath, chosen);
  }
  const parsed = JSON.parse(manifest.bytes.toString('utf8')) as { config?: { digest?: unknown } };
  const configDigest = typeof parsed.config?.digest === 'string' ? parsed.config.digest : undefined;
  const config = configDigest ? (JSON.parse((await client.getBlob(repoPath, configDigest, 4 * 1024 * 1024)).toString('utf8')) as unknown) : undefined;
  return imageSizeOf(parsed, diffIdsOf(config));
}

/** A tag or digest of an image in the registry, as one side; undefined when the registry has no such manifest. */
export async function registrySide(client: FullRegistryClient, repoPath: string, reference: string): Promise<(ImageSide & { digest: string }) | undefined> {
  const found = await client.resolve(repoPath, reference);
  if (!found) return undefined;
  const label = reference === found.digest ? found.digest.slice(0, 19) : reference;
  const inventory = await readInventory(client, repoPath, found.digest).catch((error: unknown) => ({ note: errorMessage(error) }));
  return {
    label,
    digest: found.digest,
    inventory: inventory ?? { note: `${label} has no inventory attached (pushed before inventories were made)` },
    size: await readImageSize(client, repoPath, found.digest),
  };
}

/** Two sides as one image's differences; a side without an inventory or a size says so. */
export function differencesOf(image: string, from: ImageSide, to: ImageSide, sizeMeasure?: string): ImageDifferences {
  const note = (side: ImageSide, what: NotCompared) => ({ note: what.note.startsWith(side.label) ? what.note : `${side.label}: ${what.note}` });
  const packages = 'note' in from.inventory ? note(from, from.inventory) : 'note' in to.inventory ? note(to, to.inventory) : diffInventories(from.inventory, to.inventory);
  const size = 'note' in from.size ? note(from, from.size) : 'note' in to.size ? note(to, to.size) : diffSizes(from.size, to.size);
  return { image, from: from.label, to: to.label, packages, size, ...(sizeMeasure ? { sizeMeasure } : {}) };
}

/** How a size measured in the engine is counted, for the summary. */
export const LOCAL_SIZE_MEASURE = 'compressed; not pushed, so each layer the registry does not hold was gzip-compressed here as a push would';

/**
 * The size an image in the local engine would have in the registry: the
 * layers the registry already holds (same diff_id) at their stored size, the
 * others gzip-compressed here. Read from `docker image save` in a scratch
 * folder, which is removed after.
 */
export async function measureLocalImage(docker: string, imageId: string, known: ImageSize): Promise<ImageSize> {
  const stored = new Map<string, { digest: string; size: number }>();
  for (const layer of known.layers) if (layer.diffId) stored.set(layer.diffId, layer);
  const dir = await mkdtemp(join(tmpdir(), 'nx-images-size-'));
  try {
    const file = join(dir, 'image.tar');
    await run({ command: docker, args: ['image', 'save', '--output', file, imageId] });
    const small = await readEntries(file, (path) => path === 'manifest.json' || path.endsWith('.json') || path.startsWith('blobs/'), 'json');
    const manifest = JSON.parse(small.get('manifest.json') ?? '[]') as { Config?: string; Layers?: string[] }[];
    const entry = manifest[0];
    const configText = entry?.Config ? small.get(entry.Config) : undefined;
    const diffIds = diffIdsOf(configText ? (JSON.parse(configText) as unknown) : undefined);
    const paths = entry?.Layers ?? [];
    const wanted = new Set(paths.filter((_path, index) => !stored.has(diffIds[index] ?? '')));
    const gzipped = await readEntries(file, (path) => wanted.has(path), 'gzip');
    const layers = paths.map((path, index) => {
      const diffId = diffIds[index] ?? path;
      const same = stored.get(diffId);
      return same ? { digest: same.digest, size: same.size, diffId } : { digest: diffId, size: Number(gzipped.get(path) ?? 0), diffId };
    });
    const configSize = Buffer.byteLength(configText ?? '');
    return { total: configSize + layers.reduce((sum, layer) => sum + layer.size, 0), layers };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The tar's entries `pick` chooses: small JSON files as text, or layers as their gzip-compressed size (a string of digits). */
async function readEntries(file: string, pick: (path: string) => boolean, how: 'json' | 'gzip'): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  const pending: Promise<void>[] = [];
  const parser = new Parser({
    filter: (path) => pick(path),
    onReadEntry: (entry: ReadEntry) => {
      if (how === 'json') {
        // A blob of an OCI layout may be a layer: only what is small enough to be a manifest or config is kept.
        if ((entry.size ?? 0) > 4 * 1024 * 1024) return entry.resume();
        const chunks: Buffer[] = [];
        entry.on('data', (chunk: Buffer) => chunks.push(chunk));
        entry.on('end', () => found.set(entry.path, Buffer.concat(chunks).toString('utf8')));
        return;
      }
      let bytes = 0;
      const counter = new Writable({
        write(chunk: Buffer, _encoding, done) {
          bytes += chunk.length;
          done();
        },
      });
      pending.push(pipeline(entry, createGzip(), counter).then(() => void found.set(entry.path, String(bytes))));
    },
  });
  await pipeline(createReadStream(file), parser);
  await Promise.all(pending);
  return found;
}

/** One side per platform: an index's every platform manifest (its inventory and size), else the one manifest with no platform. */
export async function registryPlatformSides(client: FullRegistryClient, repoPath: string, reference: string): Promise<{ platform?: string; side: ImageSide & { digest: string } }[] | undefined> {
  const found = await client.resolve(repoPath, reference);
  if (!found) return undefined;
  if (!isIndexMediaType(found.mediaType)) {
    const side = await registrySide(client, repoPath, found.digest);
    const label = reference === found.digest ? found.digest.slice(0, 19) : reference;
    return side ? [{ side: { ...side, label } }] : undefined;
  }
  const index = await client.getManifest(repoPath, found.digest);
  const platforms = indexPlatforms(JSON.parse(index.bytes.toString('utf8')) as unknown);
  return Promise.all(
    platforms.map(async (entry) => {
      const platform = platformOf(entry.platform);
      const side = await registrySide(client, repoPath, entry.digest);
      const label = `${reference === found.digest ? found.digest.slice(0, 19) : reference} ${platform}`;
      return { platform, side: { ...(side ?? { digest: entry.digest, inventory: { note: 'not readable' }, size: { note: 'not readable' } }), label } };
    }),
  );
}

/** Per-platform sides as registryPlatformSides reads them. */
export type PlatformSides = NonNullable<Awaited<ReturnType<typeof registryPlatformSides>>>;

/**
 * Two images compared platform by platform: each platform of `newer` with
 * the same platform of `older` (two single manifests with each other), and
 * each platform only one side has named as such.
 */
export function platformDifferences(image: string, older: PlatformSides, newer: PlatformSides, from: string, to: string): ({ differences: ImageDifferences } | { only: string })[] {
  const found: ({ differences: ImageDifferences } | { only: string })[] = newer.map(({ platform, side }) => {
    const before = older.find((entry) => entry.platform === platform) ?? (older.length === 1 && newer.length === 1 ? older[0] : undefined);
    if (!before) return { only: `${image} ${platform ?? ''}: only in ${to}, not in ${from}` };
    return { differences: differencesOf(platform ? `${image} ${platform}` : image, before.side, side) };
  });
  for (const { platform } of older) if (platform && !newer.some((entry) => entry.platform === platform)) found.push({ only: `${image} ${platform}: only in ${from}, not in ${to}` });
  return found;
}
