import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { configPlatform, imageManifest, OCI_CONFIG, OCI_LAYER_GZIP, OCI_MANIFEST, type BlobDescriptor, type PlatformImage } from '../core/build/image-index';
import { UserError } from '../core/errors';
import { sha256 } from '../core/evidence/oci-artifact';
import { run } from './exec';
import type { FullRegistryClient } from './registry/oci-client';

/**
 * Pushes an image of the engine by digest only: no tag is written, so no
 * tag moves. `docker push` needs a tag; the engine's BuildKit (Docker 20.10)
 * cannot push by digest; so the image is saved, each layer gzipped and
 * uploaded, and its OCI manifest PUT by digest. What the index lists later.
 */
export async function pushByDigest(docker: string, imageId: string, client: FullRegistryClient, repoPath: string, scratch: string): Promise<PlatformImage> {
  const dir = join(scratch, `save-${imageId.replace(/^sha256:/, '').slice(0, 12)}`);
  await mkdir(dir, { recursive: true });
  try {
    const archive = join(dir, 'image.tar');
    await run({ command: docker, args: ['image', 'save', '--output', archive, imageId] });
    await run({ command: 'tar', args: ['-x', '-f', archive, '-C', dir] });
    await rm(archive, { force: true });
    const [entry] = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as { Config?: string; Layers?: string[] }[];
    if (!entry?.Config || !Array.isArray(entry.Layers)) {
      throw new UserError({ subject: `image ${imageId.slice(0, 19)}`, problem: 'docker image save wrote no manifest.json with Config and Layers', fix: 'check the Docker engine, then build again' });
    }
    const configBytes = await readFile(join(dir, entry.Config));
    const platform = configPlatform(JSON.parse(configBytes.toString('utf8')) as unknown);
    if (!platform) throw new UserError({ subject: `image ${imageId.slice(0, 19)}`, problem: 'its config names no os and architecture', fix: 'build it again with --platform' });
    const layers: BlobDescriptor[] = [];
    for (const layer of entry.Layers) layers.push(await pushLayer(client, repoPath, join(dir, layer)));
    const config: BlobDescriptor = { mediaType: OCI_CONFIG, digest: await client.putBlob(repoPath, configBytes), size: configBytes.length };
    const bytes = imageManifest(config, layers);
    const { digest } = await client.writeManifest(repoPath, sha256(bytes), { bytes, mediaType: OCI_MANIFEST });
    return { mediaType: OCI_MANIFEST, digest, size: bytes.length, platform };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** One layer gzipped to a file beside it (hashed as it is written), then uploaded unless the repository has it. */
async function pushLayer(client: FullRegistryClient, repoPath: string, path: string): Promise<BlobDescriptor> {
  const gzipped = `${path}.gz`;
  const hash = createHash('sha256');
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  await pipeline(createReadStream(path), createGzip(), hashing, createWriteStream(gzipped));
  const digest = `sha256:${hash.digest('hex')}`;
  const { size } = await stat(gzipped);
  if (!(await client.hasBlob(repoPath, digest))) {
    await client.putBlobStream(repoPath, digest, Readable.toWeb(createReadStream(gzipped)) as ReadableStream<Uint8Array>);
  }
  await rm(gzipped, { force: true });
  return { mediaType: OCI_LAYER_GZIP, digest, size };
}
