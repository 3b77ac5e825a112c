import { createHash } from 'node:crypto';
import { UserError } from '../../core/errors';
import { isValidTag } from '../../core/tags';
import { basicAuthorization, causeOf, fetchBearerToken, loginFix, parseChallenge, type Credentials } from './auth';
import { resolveCredentials } from './credentials';

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

export interface Descriptor {
  digest: string;
  mediaType: string;
}

export interface Manifest extends Descriptor {
  /** The manifest exactly as the registry stores it: its digest is over these bytes. */
  bytes: Buffer;
}

export interface RetryPolicy {
  /** Tries in all, the first included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface RegistryClientOptions {
  /** Registry host with optional port, e.g. `ghcr.io` or `127.0.0.1:5000`. */
  registry: string;
  /** Allow plain HTTP to a registry that is not on loopback. */
  insecure?: boolean;
  /** Where credentials are looked up; defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** Use these credentials instead of looking them up (null: anonymous). */
  credentials?: Credentials | null;
  fetch?: typeof fetch;
  /** Per-request time limit. */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** Largest manifest accepted (Distribution's own limit is 4 MiB). */
  maxManifestBytes?: number;
  /** Called with one line before each retry. */
  log?: (line: string) => void;
  sleep?: (ms: number) => Promise<void>;
}

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
  /** PUTs the exact bytes under `tag` and returns the digest the registry reports. */
  putManifest(repoPath: string, tag: string, manifest: Pick<Manifest, 'bytes' | 'mediaType'>): Promise<string>;
  /** Points `tag` at `manifest` (same bytes, same media type) unless it already is; then reads it back. */
  retag(repoPath: string, manifest: Manifest, tag: string): Promise<RetagResult>;
  /** The image config's labels (linux/amd64 of an index, else its first manifest); undefined when there is no such manifest. */
  readLabels(repoPath: string, reference: string): Promise<Record<string, string> | undefined>;
  /** Throws a UserError with the fix unless the credentials may push to the repository. */
  checkPushAccess(repoPath: string): Promise<void>;
  /** Every tag of the repository (all pages); empty when the repository does not exist. */
  listTags(repoPath: string): Promise<string[]>;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 500, maxDelayMs: 30_000 };
export const DEFAULT_TIMEOUT_MS = 60_000;
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const MAX_CONFIG_BYTES = 16 * 1024 * 1024;
const DIGEST = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

/** Registries Docker talks to over plain HTTP without being told: loopback. */
export function isLoopbackRegistry(registry: string): boolean {
  const host = registry.replace(/:[0-9]+$/, '').replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host === '::1' || /^127(?:\.[0-9]{1,3}){3}$/.test(host);
}

/** The base URL of a registry's API: https, http only for loopback or when allowed. */
export function registryBaseUrl(registry: string, insecure = false): string {
  const host = registry === 'docker.io' || registry === 'index.docker.io' ? 'registry-1.docker.io' : registry;
  return `${insecure || isLoopbackRegistry(registry) ? 'http' : 'https'}://${host}`;
}

/**
 * How long to wait before try `attempt` + 1 (1-based): the server's
 * Retry-After when it gives one, else exponential backoff; both capped.
 */
export function retryDelayMs(attempt: number, retryAfter: string | null | undefined, policy: RetryPolicy, now: number): number {
  if (retryAfter) {
    const seconds = Number(retryAfter.trim());
    if (/^[0-9]+$/.test(retryAfter.trim()) && Number.isFinite(seconds)) return Math.min(seconds * 1000, policy.maxDelayMs);
    const date = Date.parse(retryAfter);
    if (!Number.isNaN(date)) return Math.min(Math.max(date - now, 0), policy.maxDelayMs);
  }
  return Math.min(policy.baseDelayMs * 2 ** (attempt - 1), policy.maxDelayMs);
}

export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 408 || (status >= 500 && status <= 599 && status !== 501 && status !== 505);
}

export function digestOf(bytes: Buffer, algorithm = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

/** Replaces every secret in a message by `***`. */
export function redact(text: string, secrets: Iterable<string>): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 3) out = out.split(secret).join('***');
  return out;
}

function assertReference(reference: string): void {
  if (!isValidTag(reference) && !DIGEST.test(reference)) {
    throw new UserError(`reference ${JSON.stringify(reference)} is neither a Docker tag nor a sha256 digest: pass a tag such as main.`);
  }
}

/** The first error the registry's JSON body names, e.g. `MANIFEST_UNKNOWN: manifest unknown`. */
async function registryErrorText(response: Response): Promise<string> {
  try {
    const text = await response.text();
    const body = JSON.parse(text) as { errors?: { code?: string; message?: string }[] };
    const first = body.errors?.[0];
    if (first) return [first.code, first.message].filter(Boolean).join(': ').slice(0, 200);
  } catch {
    // not JSON; the status says enough
  }
  return '';
}

/** Reads a body, refusing more than `limit` bytes without reading them all. */
async function readLimited(response: Response, limit: number, what: string): Promise<Buffer> {
  const declared = Number(response.headers.get('content-length') ?? '');
  if (Number.isFinite(declared) && declared > limit) {
    await response.body?.cancel();
    throw new UserError(`${what} is ${declared} bytes, over the ${limit}-byte limit: this is not an image manifest; check the reference.`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  if (!response.body) return Buffer.alloc(0);
  // Leaving the loop early cancels the stream, so an oversized body is never read in full.
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > limit) break;
    chunks.push(Buffer.from(chunk));
  }
  if (size > limit) throw new UserError(`${what} is over the ${limit}-byte limit: this is not an image manifest; check the reference.`);
  return Buffer.concat(chunks);
}

export function createRegistryClient(options: RegistryClientOptions): RegistryClient {
  const registry = options.registry;
  const baseUrl = registryBaseUrl(registry, options.insecure);
  const env = options.env ?? process.env;
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const policy: RetryPolicy = { ...DEFAULT_RETRY, ...options.retry };
  const maxManifestBytes = options.maxManifestBytes ?? MAX_MANIFEST_BYTES;
  const log = options.log ?? (() => undefined);
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const secrets = new Set<string>();
  const authorizations = new Map<string, string>();
  let credentials: Promise<Credentials | undefined> | undefined;

  function loadCredentials(): Promise<Credentials | undefined> {
    credentials ??= (options.credentials !== undefined ? Promise.resolve(options.credentials ?? undefined) : resolveCredentials(registry, env)).then(
      (found) => {
        if (found) secrets.add(found.password);
        return found;
      },
    );
    return credentials;
  }

  /** Answers a 401 challenge; returns false when there is nothing more to try. */
  async function authorize(repoPath: string, header: string | null): Promise<boolean> {
    const challenge = parseChallenge(header);
    if (!challenge) return false;
    const found = await loadCredentials();
    if (challenge.scheme === 'basic') {
      if (!found) return false;
      authorizations.set(repoPath, basicAuthorization(found));
      return true;
    }
    const token = await fetchBearerToken({ challenge, repoPath, registry, credentials: found, fetch: doFetch, timeoutMs });
    secrets.add(token);
    authorizations.set(repoPath, `Bearer ${token}`);
    return true;
  }

  /**
   * Sends one request with auth and bounded retry: connection errors,
   * timeouts, 429 and 5xx are retried; a 401 is answered once per request.
   */
  async function send(method: string, repoPath: string, url: string, init: { headers?: Record<string, string>; body?: Buffer } = {}): Promise<Response> {
    let authAnswered = false;
    for (let attempt = 1; ; attempt++) {
      const headers: Record<string, string> = { ...init.headers };
      const authorization = authorizations.get(repoPath);
      if (authorization) headers.authorization = authorization;
      let response: Response;
      try {
        response = await doFetch(url, { method, headers, body: init.body, signal: AbortSignal.timeout(timeoutMs) });
      } catch (error) {
        if (attempt >= policy.attempts) {
          throw new UserError(`registry ${registry}: ${method} ${repoPath} failed after ${attempt} tries (${causeOf(error)}): check that ${baseUrl} is up and reachable.`);
        }
        const delay = retryDelayMs(attempt, undefined, policy, Date.now());
        log(`registry ${registry}: ${method} ${repoPath}: ${causeOf(error)}; retrying in ${delay} ms (${attempt}/${policy.attempts - 1})`);
        await sleep(delay);
        continue;
      }
      if (response.status === 401 && !authAnswered) {
        authAnswered = true;
        const header = response.headers.get('www-authenticate');
        await response.arrayBuffer().catch(() => undefined);
        if (await authorize(repoPath, header)) {
          attempt--;
          continue;
        }
        return new Response(null, { status: 401, statusText: 'Unauthorized' });
      }
      if (isRetryableStatus(response.status) && attempt < policy.attempts) {
        const delay = retryDelayMs(attempt, response.headers.get('retry-after'), policy, Date.now());
        await response.arrayBuffer().catch(() => undefined);
        log(`registry ${registry}: ${method} ${repoPath}: HTTP ${response.status}; retrying in ${delay} ms (${attempt}/${policy.attempts - 1})`);
        await sleep(delay);
        continue;
      }
      return response;
    }
  }

  /** Turns a status the caller did not expect into a UserError that says what to check. */
  async function explain(response: Response, what: string, repoPath: string): Promise<never> {
    const detail = await registryErrorText(response);
    const suffix = detail ? ` [${detail}]` : '';
    const found = credentials ? await credentials : undefined;
    const who = found ? `the credentials from ${found.source}` : 'an anonymous request';
    switch (response.status) {
      case 401:
        throw new UserError(`registry ${registry} refused ${who} to ${what} (401 Unauthorized)${suffix}: ${loginFix(registry)}`);
      case 403:
        throw new UserError(
          `registry ${registry} denied ${who} to ${what} (403 Forbidden)${suffix}: the login may not write ${repoPath}; for GHCR give the workflow "permissions: packages: write" and add this repository to the package's "Manage Actions access" list.`,
        );
      case 404:
        throw new UserError(`registry ${registry} has nothing at ${repoPath} to ${what} (404 Not Found)${suffix}: check the repository and the tag name, and that the image was pushed.`);
      default:
        throw new UserError(`registry ${registry} could not ${what} (HTTP ${response.status})${suffix}: check the registry's status and retry.`);
    }
  }

  function manifestUrl(repoPath: string, reference: string): string {
    return `${baseUrl}/v2/${repoPath}/manifests/${reference}`;
  }

  function verifyDigest(bytes: Buffer, expected: string | null | undefined, what: string): string {
    const algorithm = expected && DIGEST.test(expected) ? expected.slice(0, expected.indexOf(':')) : 'sha256';
    const actual = digestOf(bytes, algorithm);
    if (expected && expected !== actual) {
      throw new UserError(`registry ${registry}: ${what} has digest ${actual}, but the registry says ${expected}: the content changed in transit; retry.`);
    }
    return algorithm === 'sha256' ? actual : digestOf(bytes);
  }

  function manifestMediaType(response: Response, bytes: Buffer): string {
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

  async function guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof Error) error.message = redact(error.message, secrets);
      throw error;
    }
  }

  async function getManifest(repoPath: string, reference: string): Promise<Manifest> {
    assertReference(reference);
    const what = `read manifest ${repoPath}:${reference}`;
    const response = await send('GET', repoPath, manifestUrl(repoPath, reference), { headers: { accept: MANIFEST_MEDIA_TYPES.join(', ') } });
    if (response.status !== 200) return explain(response, what, repoPath);
    const bytes = await readLimited(response, maxManifestBytes, `manifest ${repoPath}:${reference}`);
    const header = response.headers.get('docker-content-digest');
    const digest = verifyDigest(bytes, DIGEST.test(reference) ? reference : header, `manifest ${repoPath}:${reference}`);
    return { bytes, mediaType: manifestMediaType(response, bytes), digest };
  }

  async function resolve(repoPath: string, reference: string): Promise<Descriptor | undefined> {
    assertReference(reference);
    const response = await send('HEAD', repoPath, manifestUrl(repoPath, reference), { headers: { accept: MANIFEST_MEDIA_TYPES.join(', ') } });
    if (response.status === 404) return undefined;
    if (response.status !== 200) return explain(response, `resolve ${repoPath}:${reference}`, repoPath);
    const digest = response.headers.get('docker-content-digest');
    const mediaType = (response.headers.get('content-type') ?? '').split(';')[0].trim();
    if (digest && DIGEST.test(digest) && MANIFEST_MEDIA_TYPES.includes(mediaType)) return { digest, mediaType };
    // Some registries omit the digest on HEAD: read the manifest and hash it.
    try {
      const manifest = await getManifest(repoPath, reference);
      return { digest: manifest.digest, mediaType: manifest.mediaType };
    } catch (error) {
      if (error instanceof UserError && / \(404 Not Found\)/.test(error.message)) return undefined;
      throw error;
    }
  }

  async function putManifest(repoPath: string, tag: string, manifest: Pick<Manifest, 'bytes' | 'mediaType'>): Promise<string> {
    if (!isValidTag(tag)) throw new UserError(`tag ${JSON.stringify(tag)} is not a valid Docker tag: use 1-128 characters of [A-Za-z0-9_.-], not starting with "." or "-".`);
    const response = await send('PUT', repoPath, manifestUrl(repoPath, tag), {
      headers: { 'content-type': manifest.mediaType },
      body: manifest.bytes,
    });
    if (response.status !== 201 && response.status !== 200) return explain(response, `write tag ${repoPath}:${tag}`, repoPath);
    await response.arrayBuffer().catch(() => undefined);
    return verifyDigest(manifest.bytes, response.headers.get('docker-content-digest'), `tag ${repoPath}:${tag}`);
  }

  async function retag(repoPath: string, manifest: Manifest, tag: string): Promise<RetagResult> {
    const before = await resolve(repoPath, tag);
    if (before?.digest === manifest.digest) return { previous: before.digest, changed: false };
    await putManifest(repoPath, tag, manifest);
    const after = await resolve(repoPath, tag);
    if (after?.digest !== manifest.digest) {
      throw new UserError(
        `registry ${registry}: ${repoPath}:${tag} reads back as ${after?.digest ?? 'nothing'}, not ${manifest.digest}: something else wrote the tag at the same time; run the release again.`,
      );
    }
    return { ...(before ? { previous: before.digest } : {}), changed: true };
  }

  async function readLabels(repoPath: string, reference: string): Promise<Record<string, string> | undefined> {
    if (!(await resolve(repoPath, reference))) return undefined;
    let manifest = await getManifest(repoPath, reference);
    if (isIndexMediaType(manifest.mediaType)) {
      const index = parseJson(manifest.bytes.toString('utf8'), `the index ${repoPath}:${reference} from ${registry}`) as { manifests?: { digest?: string; platform?: { os?: string; architecture?: string } }[] };
      const entries = index.manifests ?? [];
      const chosen = entries.find((m) => m.platform?.os === 'linux' && m.platform?.architecture === 'amd64') ?? entries[0];
      if (!chosen?.digest || !DIGEST.test(chosen.digest)) return {};
      manifest = await getManifest(repoPath, chosen.digest);
    }
    const parsed = parseJson(manifest.bytes.toString('utf8'), `the manifest ${repoPath}:${reference} from ${registry}`) as { config?: { digest?: string } };
    const configDigest = parsed.config?.digest;
    if (!configDigest || !DIGEST.test(configDigest)) return {};
    const what = `read config ${configDigest.slice(0, 19)} of ${repoPath}:${reference}`;
    const response = await send('GET', repoPath, `${baseUrl}/v2/${repoPath}/blobs/${configDigest}`);
    if (response.status !== 200) return explain(response, what, repoPath);
    const bytes = await readLimited(response, MAX_CONFIG_BYTES, `config of ${repoPath}:${reference}`);
    verifyDigest(bytes, configDigest, `config of ${repoPath}:${reference}`);
    const config = parseJson(bytes.toString('utf8'), `the config of ${repoPath}:${reference} from ${registry}`) as { config?: { Labels?: Record<string, unknown> | null } };
    const labels: Record<string, string> = {};
    for (const [key, value] of Object.entries(config.config?.Labels ?? {})) if (typeof value === 'string') labels[key] = value;
    return labels;
  }

  async function checkPushAccess(repoPath: string): Promise<void> {
    // Opening an upload session is the cheapest request that needs push rights; it is cancelled at once.
    const response = await send('POST', repoPath, `${baseUrl}/v2/${repoPath}/blobs/uploads/`);
    if (response.status !== 202) {
      if (response.status === 401 || response.status === 403) {
        await response.arrayBuffer().catch(() => undefined);
        const found = credentials ? await credentials : undefined;
        const who = found ? `the credentials from ${found.source}` : 'an anonymous login';
        throw new UserError(
          `registry ${registry} does not let ${who} push to ${repoPath} (HTTP ${response.status}): ${loginFix(registry)} For GHCR give the workflow "permissions: packages: write", and if the package was first pushed by hand add this repository under the package's "Manage Actions access".`,
        );
      }
      return explain(response, `check push access to ${repoPath}`, repoPath);
    }
    await response.arrayBuffer().catch(() => undefined);
    const location = response.headers.get('location');
    if (location) {
      const cancel = await send('DELETE', repoPath, new URL(location, baseUrl).toString());
      await cancel.arrayBuffer().catch(() => undefined);
    }
  }

  async function listTags(repoPath: string): Promise<string[]> {
    const tags: string[] = [];
    let url: string | undefined = `${baseUrl}/v2/${repoPath}/tags/list?n=1000`;
    for (let page = 0; url && page < 1000; page++) {
      const response = await send('GET', repoPath, url);
      if (response.status === 404) {
        await response.arrayBuffer().catch(() => undefined);
        return tags;
      }
      if (response.status !== 200) return explain(response, `list the tags of ${repoPath}`, repoPath);
      const body = parseJson((await readLimited(response, maxManifestBytes, `tag list of ${repoPath}`)).toString('utf8'), `the tag list of ${repoPath} from ${registry}`) as { tags?: unknown };
      if (Array.isArray(body.tags)) for (const tag of body.tags) if (typeof tag === 'string') tags.push(tag);
      const next = /<([^>]+)>\s*;\s*rel="?next"?/.exec(response.headers.get('link') ?? '')?.[1];
      const nextUrl = next ? new URL(next, baseUrl) : undefined;
      // Credentials go only to the registry itself, never to a host a Link header names.
      url = nextUrl && nextUrl.origin === new URL(baseUrl).origin ? nextUrl.toString() : undefined;
    }
    return tags;
  }

  return {
    registry,
    listTags: (repoPath) => guard(() => listTags(repoPath)),
    resolve: (repoPath, reference) => guard(() => resolve(repoPath, reference)),
    getManifest: (repoPath, reference) => guard(() => getManifest(repoPath, reference)),
    putManifest: (repoPath, tag, manifest) => guard(() => putManifest(repoPath, tag, manifest)),
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
    throw new UserError(`${what} is not valid JSON: the registry (or a proxy in front of it) sent a broken answer; retry, and check the registry if it persists.`);
  }
}
