import { gunzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { listTags as listRepositoryTags } from './seed';

const ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

export interface ImageInRegistry {
  /** sha256 of the manifest bytes, as the test computes it. */
  digest: string;
  mediaType: string;
  layers: string[];
  labels: Record<string, string>;
}

/**
 * Reads an image back from a registry over the plain Distribution API, with
 * no code of the plugin, so a test proves what really landed there.
 * Undefined when the tag does not exist.
 */
export async function readImage(registryUrl: string, path: string, reference: string): Promise<ImageInRegistry | undefined> {
  const response = await fetch(`${registryUrl}/v2/${path}/manifests/${reference}`, { headers: { Accept: ACCEPT } });
  if (response.status === 404) return undefined;
  if (!response.ok) throw new Error(`GET manifest ${path}:${reference}: HTTP ${response.status}`);
  const bytes = Buffer.from(await response.arrayBuffer());
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  const header = response.headers.get('docker-content-digest');
  if (header && header !== digest) throw new Error(`registry says ${header}, bytes hash to ${digest}`);
  const manifest = JSON.parse(bytes.toString('utf8')) as {
    mediaType?: string;
    config?: { digest: string };
    layers?: { digest: string }[];
    manifests?: { digest: string }[];
  };
  const mediaType = response.headers.get('content-type') ?? manifest.mediaType ?? '';
  if (!manifest.config) {
    const first = manifest.manifests?.[0];
    const inner = first ? await readImage(registryUrl, path, first.digest) : undefined;
    return { digest, mediaType, layers: inner?.layers ?? [], labels: inner?.labels ?? {} };
  }
  const blob = await fetch(`${registryUrl}/v2/${path}/blobs/${manifest.config.digest}`);
  if (!blob.ok) throw new Error(`GET config blob of ${path}:${reference}: HTTP ${blob.status}`);
  const config = (await blob.json()) as { config?: { Labels?: Record<string, string> | null } };
  return { digest, mediaType, layers: (manifest.layers ?? []).map((layer) => layer.digest), labels: config.config?.Labels ?? {} };
}

/** The image tags of a repository; referrers fallback tags and reuse records are left out unless `all` (one copy: harness/seed.ts). */
export async function listTags(registryUrl: string, path: string, all = false): Promise<string[]> {
  return listRepositoryTags(registryUrl, path, {}, all);
}

/**
 * One file of an image, read back from the registry's layers (topmost layer
 * first), with no engine: proves what the image holds. Undefined when no
 * layer has the file.
 */
export async function readImageFile(registryUrl: string, path: string, reference: string, file: string): Promise<string | undefined> {
  const image = await readImage(registryUrl, path, reference);
  if (!image) throw new Error(`${path}:${reference} is not in the registry`);
  const wanted = file.replace(/^\/+/, '');
  for (const layer of [...image.layers].reverse()) {
    const response = await fetch(`${registryUrl}/v2/${path}/blobs/${layer}`);
    if (!response.ok) throw new Error(`GET layer ${layer} of ${path}:${reference}: HTTP ${response.status}`);
    const bytes = Buffer.from(await response.arrayBuffer());
    const tar = bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes;
    const found = fileInTar(tar, wanted);
    if (found !== undefined) return found.toString('utf8');
  }
  return undefined;
}

/** A regular file's bytes from a tar archive (ustar, as image layers are), or undefined. */
function fileInTar(tar: Buffer, wanted: string): Buffer | undefined {
  for (let offset = 0; offset + 512 <= tar.length; ) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((byte) => byte === 0)) return undefined;
    const field = (start: number, length: number) => header.subarray(start, start + length).toString('utf8').replace(/\0.*$/s, '');
    const prefix = field(345, 155);
    const name = (prefix ? `${prefix}/${field(0, 100)}` : field(0, 100)).replace(/^\.\//, '');
    const size = Number.parseInt(field(124, 12).trim() || '0', 8);
    const type = field(156, 1) || '0';
    const body = offset + 512;
    if (name === wanted && type === '0') return tar.subarray(body, body + size);
    offset = body + Math.ceil(size / 512) * 512;
  }
  return undefined;
}

/** The image entries of an index as `os/arch[/variant]` -> manifest digest, read over the plain API; undefined when the tag is not an index. */
export async function readIndex(registryUrl: string, path: string, reference: string): Promise<{ digest: string; platforms: Record<string, string> } | undefined> {
  const response = await fetch(`${registryUrl}/v2/${path}/manifests/${reference}`, { headers: { Accept: ACCEPT } });
  if (response.status === 404) return undefined;
  if (!response.ok) throw new Error(`GET manifest ${path}:${reference}: HTTP ${response.status}`);
  const bytes = Buffer.from(await response.arrayBuffer());
  const index = JSON.parse(bytes.toString('utf8')) as { manifests?: { digest: string; platform?: { os: string; architecture: string; variant?: string } }[] };
  if (!index.manifests) return undefined;
  const platforms: Record<string, string> = {};
  for (const entry of index.manifests) {
    if (!entry.platform || entry.platform.os === 'unknown') continue;
    platforms[[entry.platform.os, entry.platform.architecture, ...(entry.platform.variant ? [entry.platform.variant] : [])].join('/')] = entry.digest;
  }
  return { digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`, platforms };
}
