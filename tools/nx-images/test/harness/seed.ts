import { createHash, randomBytes } from 'node:crypto';
import { LOCK_FILES_ANNOTATION, LOCKS_ARTIFACT_TYPE, LOCKS_INDEX_FILE } from '../../src/lib/core/evidence/locks';
import { artifactManifest, describe, EMPTY_CONFIG, referrersTag, withReferrer } from '../../src/lib/core/evidence/oci-artifact';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';

export interface SeedOptions {
  labels?: Record<string, string>;
  /** Layer contents; default one small random layer. */
  layers?: Buffer[];
  /** e.g. ['linux/amd64', 'linux/arm64']: pushes one manifest per platform and an index over them. */
  platforms?: string[];
  /** `docker` pushes Docker v2 manifests (and a manifest list); default OCI. */
  format?: 'oci' | 'docker';
  /** Extra request headers, e.g. an Authorization for a registry behind auth. */
  headers?: Record<string, string>;
  /**
   * The lock files attached to the image as docker-build attaches them
   * (name -> content); default none (an empty set, as for an image with no
   * conda or pip); false attaches no lock set at all (an image pushed before
   * lock sets, or by another tool).
   */
  locks?: Record<string, string> | false;
}

export interface Seeded {
  digest: string;
  mediaType: string;
  /** The per-platform manifests' digests when an index was pushed. */
  children: string[];
}

function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** Random, so incompressible and never shared by chance between tests. */
export function randomLayer(size: number): Buffer {
  return randomBytes(size);
}

async function check(response: Response, what: string): Promise<Response> {
  if (!response.ok) throw new Error(`${what}: HTTP ${response.status} ${await response.text()}`);
  return response;
}

export async function uploadBlob(registryUrl: string, repoPath: string, bytes: Buffer, headers: Record<string, string> = {}): Promise<string> {
  const digest = sha256(bytes);
  const head = await fetch(`${registryUrl}/v2/${repoPath}/blobs/${digest}`, { method: 'HEAD', headers });
  if (head.status === 200) return digest;
  const start = await check(await fetch(`${registryUrl}/v2/${repoPath}/blobs/uploads/`, { method: 'POST', headers }), `start upload to ${repoPath}`);
  await start.arrayBuffer();
  const location = new URL(start.headers.get('location') ?? '', registryUrl);
  location.searchParams.set('digest', digest);
  const put = await check(
    await fetch(location, { method: 'PUT', headers: { ...headers, 'content-type': 'application/octet-stream' }, body: bytes }),
    `upload blob to ${repoPath}`,
  );
  await put.arrayBuffer();
  return digest;
}

export async function putManifest(registryUrl: string, repoPath: string, reference: string, mediaType: string, bytes: Buffer, headers: Record<string, string> = {}): Promise<string> {
  const response = await check(
    await fetch(`${registryUrl}/v2/${repoPath}/manifests/${reference}`, { method: 'PUT', headers: { ...headers, 'content-type': mediaType }, body: bytes }),
    `put manifest ${repoPath}:${reference}`,
  );
  await response.arrayBuffer();
  return sha256(bytes);
}

async function pushSingle(registryUrl: string, repoPath: string, reference: string, platform: string, options: SeedOptions): Promise<{ digest: string; size: number; mediaType: string }> {
  const [os, architecture] = platform.split('/');
  const docker = options.format === 'docker';
  const layers = options.layers ?? [randomLayer(1024)];
  const headers = options.headers ?? {};
  const layerDescriptors = [];
  for (const layer of layers) {
    layerDescriptors.push({
      mediaType: docker ? 'application/vnd.docker.image.rootfs.diff.tar.gzip' : 'application/vnd.oci.image.layer.v1.tar',
      digest: await uploadBlob(registryUrl, repoPath, layer, headers),
      size: layer.length,
    });
  }
  const config = Buffer.from(
    JSON.stringify({
      architecture,
      os,
      config: { Labels: options.labels ?? {} },
      rootfs: { type: 'layers', diff_ids: layerDescriptors.map((d) => d.digest) },
    }),
  );
  const configDigest = await uploadBlob(registryUrl, repoPath, config, headers);
  const mediaType = docker ? DOCKER_MANIFEST : OCI_MANIFEST;
  const manifest = Buffer.from(
    JSON.stringify(
      {
        schemaVersion: 2,
        mediaType,
        config: { mediaType: docker ? 'application/vnd.docker.container.image.v1+json' : 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
        layers: layerDescriptors,
      },
      null,
      3, // unusual indentation: a client that re-serializes would change the digest
    ),
  );
  const digest = await putManifest(registryUrl, repoPath, reference || sha256(manifest), mediaType, manifest, headers);
  return { digest, size: manifest.length, mediaType };
}

/**
 * Pushes an image over the registry's HTTP API (no Docker engine): layers,
 * a config carrying `labels`, a manifest under `tag`; with `platforms`, one
 * manifest per platform and an index over them under `tag`.
 */
export async function pushImage(registryUrl: string, repoPath: string, tag: string, options: SeedOptions = {}): Promise<Seeded> {
  if (!options.platforms) {
    const single = await pushSingle(registryUrl, repoPath, tag, 'linux/amd64', options);
    if (options.locks !== false) await attachLockSet(registryUrl, repoPath, single, options.locks ?? {}, options.headers);
    return { digest: single.digest, mediaType: single.mediaType, children: [] };
  }
  const children = [];
  for (const platform of options.platforms) {
    const child = await pushSingle(registryUrl, repoPath, '', platform, options);
    children.push({ ...child, platform });
  }
  const mediaType = options.format === 'docker' ? DOCKER_LIST : OCI_INDEX;
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType,
      manifests: children.map((c) => ({
        mediaType: c.mediaType,
        digest: c.digest,
        size: c.size,
        platform: { os: c.platform.split('/')[0], architecture: c.platform.split('/')[1] },
      })),
    }),
  );
  const digest = await putManifest(registryUrl, repoPath, tag, mediaType, index, options.headers);
  if (options.locks !== false) await attachLockSet(registryUrl, repoPath, { digest, mediaType, size: index.length }, options.locks ?? {}, options.headers);
  return { digest, mediaType, children: children.map((c) => c.digest) };
}

/**
 * Attaches a lock set to a manifest as docker-build does (an OCI artifact
 * with locks.json and one layer per file, listed under the fallback tag),
 * over the registry's HTTP API.
 */
export async function attachLockSet(
  registryUrl: string,
  repoPath: string,
  subject: { digest: string; mediaType: string; size: number },
  files: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<string> {
  const entries = [
    { title: LOCKS_INDEX_FILE, mediaType: 'application/json', bytes: Buffer.from(JSON.stringify({ image: repoPath.split('/').at(-1), files: Object.keys(files), ...(Object.keys(files).length === 0 ? { note: 'seeded without lock files' } : {}) })) },
    ...Object.entries(files).map(([title, text]) => ({ title, mediaType: 'text/plain', bytes: Buffer.from(text) })),
  ];
  await uploadBlob(registryUrl, repoPath, EMPTY_CONFIG.bytes, headers);
  const layers = [];
  for (const entry of entries) layers.push(describe(entry.mediaType, entry.bytes, { 'org.opencontainers.image.title': entry.title }));
  for (const entry of entries) await uploadBlob(registryUrl, repoPath, entry.bytes, headers);
  const annotations = { [LOCK_FILES_ANNOTATION]: String(Object.keys(files).length) };
  const manifest = artifactManifest({ artifactType: LOCKS_ARTIFACT_TYPE, subject, layers, annotations });
  const digest = await putManifest(registryUrl, repoPath, sha256(manifest), OCI_MANIFEST, manifest, headers);
  const existing = await fetch(`${registryUrl}/v2/${repoPath}/manifests/${referrersTag(subject.digest)}`, { headers: { ...headers, accept: OCI_INDEX } });
  const before = existing.ok ? Buffer.from(await existing.arrayBuffer()) : (await existing.arrayBuffer(), undefined);
  const index = withReferrer(before, { ...describe(OCI_MANIFEST, manifest, annotations), artifactType: LOCKS_ARTIFACT_TYPE });
  await putManifest(registryUrl, repoPath, referrersTag(subject.digest), OCI_INDEX, index, headers);
  return digest;
}

/** The digest a tag resolves to, read back from the registry; undefined on 404. */
export async function digestOf(registryUrl: string, repoPath: string, reference: string, headers: Record<string, string> = {}): Promise<string | undefined> {
  const response = await fetch(`${registryUrl}/v2/${repoPath}/manifests/${reference}`, {
    method: 'GET',
    headers: { ...headers, accept: [OCI_INDEX, OCI_MANIFEST, DOCKER_LIST, DOCKER_MANIFEST].join(', ') },
  });
  if (response.status === 404) {
    await response.arrayBuffer();
    return undefined;
  }
  const body = await (await check(response, `get ${repoPath}:${reference}`)).arrayBuffer();
  return sha256(Buffer.from(body));
}

/** The OCI referrers fallback tag `sha256-<hex>`: an index of what is attached to an image (tests, locks), not an image. */
export const FALLBACK_TAG = /^sha256-[a-f0-9]{64}$/;
/** A reuse record's tag `reuse-<hex>` (core/inputs/reuse.ts): a record of a build, not an image. */
export const REUSE_TAG = /^reuse-[a-f0-9]{64}$/;

/**
 * The image tags of a repository, read back from the registry; the
 * referrers fallback tags and the reuse records are left out unless `all`.
 */
export async function listTags(registryUrl: string, repoPath: string, headers: Record<string, string> = {}, all = false): Promise<string[]> {
  const response = await fetch(`${registryUrl}/v2/${repoPath}/tags/list`, { headers });
  if (response.status === 404) {
    await response.arrayBuffer();
    return [];
  }
  const body = (await check(response, `tags of ${repoPath}`).then((r) => r.json())) as { tags?: string[] | null };
  return (body.tags ?? []).filter((tag) => all || (!FALLBACK_TAG.test(tag) && !REUSE_TAG.test(tag))).sort();
}

/** A tar archive holding one file: a layer Docker can unpack (random content stays incompressible). */
export function tarLayer(name: string, content: Buffer): Buffer {
  const header = Buffer.alloc(512);
  header.write(name, 0, 100, 'utf8');
  header.write('0000644\0', 100, 'ascii');
  header.write('0000000\0', 108, 'ascii');
  header.write('0000000\0', 116, 'ascii');
  header.write(`${content.length.toString(8).padStart(11, '0')}\0`, 124, 'ascii');
  header.write(`${Math.floor(Date.now() / 1000).toString(8).padStart(11, '0')}\0`, 136, 'ascii');
  header.write('        ', 148, 'ascii');
  header.write('0', 156, 'ascii');
  header.write('ustar\0', 257, 'ascii');
  header.write('00', 263, 'ascii');
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  const padding = Buffer.alloc((512 - (content.length % 512)) % 512);
  return Buffer.concat([header, content, padding, Buffer.alloc(1024)]);
}
