import { UserError } from '../../core/errors';
import { isValidTag } from '../../core/naming/tags';
import { loginFix } from './auth';
import type { Descriptor, Manifest } from './types';
import { blobApi, type BlobApi } from './blobs';
import { referrersApi, type ReferrersApi } from './referrers';
import type { HttpResponse } from './http';
import {
  assertReference,
  createTransport,
  DIGEST,
  MAX_CONFIG_BYTES,
  readLimited,
  RegistryError,
  type RegistryClientOptions,
} from './transport';

export { RegistryError, type RegistryClientOptions } from './transport';

/**
 * What this machinery asks of an OCI Distribution registry: manifests (read,
 * resolve, write exact bytes, retag with read-back) and image configs'
 * labels, over the transport in transport.ts.
 */

export const MediaType = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
} as const;

/** Every manifest media type a release may copy, in the Accept header. */
export const MANIFEST_MEDIA_TYPES: readonly string[] = Object.values(MediaType);

export function isIndexMediaType(mediaType: string): boolean {
  return mediaType === MediaType.ociIndex || mediaType === MediaType.dockerList;
}

export type { Descriptor, Manifest } from './types';

export interface RetagResult {
  /** The digest the tag pointed to before, if any. */
  previous?: string;
  /** False when the tag already pointed to this manifest: nothing was written. */
  changed: boolean;
}

export interface RegistryClient {
  readonly registry: string;
  /** The digest and media type of a tag or digest; undefined when the registry has no such manifest. */
  resolve(repoPath: string, reference: string): Promise<Descriptor | undefined>;
  getManifest(repoPath: string, reference: string): Promise<Manifest>;
  /** PUTs the exact bytes under a tag or digest; returns the digest, and whether the registry indexed the manifest's subject (OCI-Subject). */
  writeManifest(repoPath: string, reference: string, manifest: Pick<Manifest, 'bytes' | 'mediaType'>): Promise<{ digest: string; subject: boolean }>;
  /** Points `tag` at `manifest` (same bytes, same media type) unless it already is; then reads it back. */
  retag(repoPath: string, manifest: Manifest, tag: string): Promise<RetagResult>;
  /** The image config's labels (linux/amd64 of an index, else its first manifest); undefined when there is no such manifest. */
  readLabels(repoPath: string, reference: string): Promise<Record<string, string> | undefined>;
  /** Throws a UserError with the fix unless the credentials may push to the repository. */
  checkPushAccess(repoPath: string): Promise<void>;
  /** Every tag of the repository (all pages); empty when the repository does not exist. */
  listTags(repoPath: string): Promise<string[]>;
}

/** The whole client: manifests, blobs, and artifacts attached to manifests. */
export type FullRegistryClient = RegistryClient & BlobApi & ReferrersApi;

export function createRegistryClient(options: RegistryClientOptions): FullRegistryClient {
  const transport = createTransport(options);

  function manifestUrl(repoPath: string, reference: string): string {
    return `${transport.baseUrl}/v2/${repoPath}/manifests/${reference}`;
  }

  function manifestMediaType(response: HttpResponse, bytes: Buffer): string {
    const header = (response.headers.get('content-type') ?? '').split(';')[0].trim();
    if (MANIFEST_MEDIA_TYPES.includes(header)) return header;
    try {
      const declared = (JSON.parse(bytes.toString('utf8')) as { mediaType?: unknown }).mediaType;
      if (typeof declared === 'string' && MANIFEST_MEDIA_TYPES.includes(declared)) return declared;
    } catch {
      // fall through
    }
    return header || MediaType.ociManifest;
  }

  async function getManifest(repoPath: string, reference: string): Promise<Manifest> {
    assertReference(reference);
    const what = `read manifest ${repoPath}:${reference}`;
    const response = await transport.send('GET', repoPath, manifestUrl(repoPath, reference), { headers: { accept: MANIFEST_MEDIA_TYPES.join(', ') } });
    if (response.status !== 200) return transport.fail(response, what, repoPath);
    const bytes = await readLimited(response, transport.maxManifestBytes, `manifest ${repoPath}:${reference}`);
    const header = response.headers.get('docker-content-digest');
    const digest = transport.verifyDigest(bytes, DIGEST.test(reference) ? reference : header, `manifest ${repoPath}:${reference}`);
    return { bytes, mediaType: manifestMediaType(response, bytes), digest };
  }

  async function resolve(repoPath: string, reference: string): Promise<Descriptor | undefined> {
    assertReference(reference);
    const response = await transport.send('HEAD', repoPath, manifestUrl(repoPath, reference), { headers: { accept: MANIFEST_MEDIA_TYPES.join(', ') } });
    if (response.status === 404) return undefined;
    if (response.status !== 200) return transport.fail(response, `resolve ${repoPath}:${reference}`, repoPath);
    const digest = response.headers.get('docker-content-digest');
    const mediaType = (response.headers.get('content-type') ?? '').split(';')[0].trim();
    if (digest && DIGEST.test(digest) && MANIFEST_MEDIA_TYPES.includes(mediaType)) return { digest, mediaType };
    // Some registries omit the digest on HEAD: read the manifest and hash it.
    try {
      const manifest = await getManifest(repoPath, reference);
      return { digest: manifest.digest, mediaType: manifest.mediaType };
    } catch (error) {
      if (error instanceof RegistryError && error.status === 404) return undefined;
      throw error;
    }
  }

  async function writeManifest(repoPath: string, reference: string, manifest: Pick<Manifest, 'bytes' | 'mediaType'>): Promise<{ digest: string; subject: boolean }> {
    if (!isValidTag(reference) && !DIGEST.test(reference)) {
      throw new UserError({ subject: 'tag', problem: `${JSON.stringify(reference)} is not a valid Docker tag`, fix: 'use 1-128 characters of [A-Za-z0-9_.-], not starting with "." or "-"' });
    }
    const at = DIGEST.test(reference) ? `${repoPath}@${reference.slice(0, 19)}` : `${repoPath}:${reference}`;
    const response = await transport.send('PUT', repoPath, manifestUrl(repoPath, reference), {
      headers: { 'content-type': manifest.mediaType },
      body: manifest.bytes,
    });
    if (response.status !== 201 && response.status !== 200) return transport.fail(response, `write ${DIGEST.test(reference) ? 'manifest' : 'tag'} ${at}`, repoPath);
    await response.arrayBuffer().catch(() => undefined);
    const digest = transport.verifyDigest(manifest.bytes, response.headers.get('docker-content-digest'), `manifest ${at}`);
    if (DIGEST.test(reference) && digest !== reference) transport.verifyDigest(manifest.bytes, reference, `manifest ${at}`);
    return { digest, subject: response.headers.has('oci-subject') };
  }

  async function retag(repoPath: string, manifest: Manifest, tag: string): Promise<RetagResult> {
    const before = await resolve(repoPath, tag);
    if (before?.digest === manifest.digest) return { previous: before.digest, changed: false };
    await writeManifest(repoPath, tag, manifest);
    const after = await resolve(repoPath, tag);
    if (after?.digest !== manifest.digest) {
      throw new UserError({
        subject: `registry ${transport.registry}`,
        problem: `${repoPath}:${tag} reads back as ${after?.digest ?? 'nothing'}, not ${manifest.digest}`,
        fix: 'something else wrote the tag at the same time; run the release again',
      });
    }
    return { ...(before ? { previous: before.digest } : {}), changed: true };
  }

  async function readLabels(repoPath: string, reference: string): Promise<Record<string, string> | undefined> {
    if (!(await resolve(repoPath, reference))) return undefined;
    let manifest = await getManifest(repoPath, reference);
    if (isIndexMediaType(manifest.mediaType)) {
      const index = parseJson(manifest.bytes.toString('utf8'), `the index ${repoPath}:${reference} from ${transport.registry}`) as { manifests?: { digest?: string; platform?: { os?: string; architecture?: string } }[] };
      const entries = index.manifests ?? [];
      const chosen = entries.find((m) => m.platform?.os === 'linux' && m.platform?.architecture === 'amd64') ?? entries[0];
      if (!chosen?.digest || !DIGEST.test(chosen.digest)) return {};
      manifest = await getManifest(repoPath, chosen.digest);
    }
    const parsed = parseJson(manifest.bytes.toString('utf8'), `the manifest ${repoPath}:${reference} from ${transport.registry}`) as { config?: { digest?: string } };
    const configDigest = parsed.config?.digest;
    if (!configDigest || !DIGEST.test(configDigest)) return {};
    const what = `read config ${configDigest.slice(0, 19)} of ${repoPath}:${reference}`;
    const response = await transport.send('GET', repoPath, `${transport.baseUrl}/v2/${repoPath}/blobs/${configDigest}`);
    if (response.status !== 200) return transport.fail(response, what, repoPath);
    const bytes = await readLimited(response, MAX_CONFIG_BYTES, `config of ${repoPath}:${reference}`);
    transport.verifyDigest(bytes, configDigest, `config of ${repoPath}:${reference}`);
    const config = parseJson(bytes.toString('utf8'), `the config of ${repoPath}:${reference} from ${transport.registry}`) as { config?: { Labels?: Record<string, unknown> | null } };
    const labels: Record<string, string> = {};
    for (const [key, value] of Object.entries(config.config?.Labels ?? {})) if (typeof value === 'string') labels[key] = value;
    return labels;
  }

  async function checkPushAccess(repoPath: string): Promise<void> {
    // Opening an upload session is the cheapest request that needs push rights; it is cancelled at once.
    const response = await transport.send('POST', repoPath, `${transport.baseUrl}/v2/${repoPath}/blobs/uploads/`);
    if (response.status !== 202) {
      if (response.status === 401 || response.status === 403) {
        await response.arrayBuffer().catch(() => undefined);
        const who = (await transport.whoAsked()).replace('an anonymous request', 'an anonymous login');
        throw new UserError({
          subject: `registry ${transport.registry}`,
          problem: `does not let ${who} push to ${repoPath} (HTTP ${response.status})`,
          fix: `${loginFix(transport.registry)} For GHCR give the workflow "permissions: packages: write", and if the package was first pushed by hand add this repository under the package's "Manage Actions access"`,
        });
      }
      return transport.fail(response, `check push access to ${repoPath}`, repoPath);
    }
    await response.arrayBuffer().catch(() => undefined);
    const location = response.headers.get('location');
    if (location) {
      const cancel = await transport.send('DELETE', repoPath, new URL(location, transport.baseUrl).toString());
      await cancel.arrayBuffer().catch(() => undefined);
    }
  }

  async function listTags(repoPath: string): Promise<string[]> {
    const tags: string[] = [];
    let url: string | undefined = `${transport.baseUrl}/v2/${repoPath}/tags/list?n=1000`;
    for (let page = 0; url && page < 1000; page++) {
      const response = await transport.send('GET', repoPath, url);
      if (response.status === 404) {
        await response.arrayBuffer().catch(() => undefined);
        return tags;
      }
      if (response.status !== 200) return transport.fail(response, `list the tags of ${repoPath}`, repoPath);
      const body = parseJson((await readLimited(response, transport.maxManifestBytes, `tag list of ${repoPath}`)).toString('utf8'), `the tag list of ${repoPath} from ${transport.registry}`) as { tags?: unknown };
      if (Array.isArray(body.tags)) for (const tag of body.tags) if (typeof tag === 'string') tags.push(tag);
      const next = /<([^>]+)>\s*;\s*rel="?next"?/.exec(response.headers.get('link') ?? '')?.[1];
      const nextUrl = next ? new URL(next, transport.baseUrl) : undefined;
      // Credentials go only to the registry itself, never to a host a Link header names.
      url = nextUrl && nextUrl.origin === new URL(transport.baseUrl).origin ? nextUrl.toString() : undefined;
    }
    return tags;
  }

  const guard = transport.guard;
  const blobs = blobApi(transport);
  const artifacts = referrersApi(transport, { getManifest, writeManifest }, blobs);
  return {
    registry: transport.registry,
    hasBlob: (repoPath, digest) => guard(() => blobs.hasBlob(repoPath, digest)),
    getBlob: (repoPath, digest, limit) => guard(() => blobs.getBlob(repoPath, digest, limit)),
    putBlob: (repoPath, bytes) => guard(() => blobs.putBlob(repoPath, bytes)),
    openBlob: (repoPath, digest) => guard(() => blobs.openBlob(repoPath, digest)),
    putBlobStream: (repoPath, digest, body) => guard(() => blobs.putBlobStream(repoPath, digest, body)),
    mountBlob: (repoPath, digest, fromRepo) => guard(() => blobs.mountBlob(repoPath, digest, fromRepo)),
    referrers: (repoPath, digest, artifactType) => guard(() => artifacts.referrers(repoPath, digest, artifactType)),
    attach: (repoPath, digest, artifact) => guard(() => artifacts.attach(repoPath, digest, artifact)),
    readArtifact: (repoPath, digest) => guard(() => artifacts.readArtifact(repoPath, digest)),
    listInFallbackTag: (repoPath, digest, artifact) => guard(() => artifacts.listInFallbackTag(repoPath, digest, artifact)),
    listTags: (repoPath) => guard(() => listTags(repoPath)),
    resolve: (repoPath, reference) => guard(() => resolve(repoPath, reference)),
    getManifest: (repoPath, reference) => guard(() => getManifest(repoPath, reference)),
    writeManifest: (repoPath, reference, manifest) => guard(() => writeManifest(repoPath, reference, manifest)),
    retag: (repoPath, manifest, tag) => guard(() => retag(repoPath, manifest, tag)),
    readLabels: (repoPath, reference) => guard(() => readLabels(repoPath, reference)),
    checkPushAccess: (repoPath) => guard(() => checkPushAccess(repoPath)),
  };
}

/** A registry body parsed as JSON; a malformed one is a one-line UserError, not a crash. */
function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new UserError({ subject: what, problem: 'not valid JSON', fix: 'the registry (or a proxy in front of it) sent a broken answer; retry, and check the registry if it persists' });
  }
}
