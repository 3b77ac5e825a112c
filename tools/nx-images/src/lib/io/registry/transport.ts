import { createHash } from 'node:crypto';
import { setTimeout as wait } from 'node:timers/promises';
import { UserError, type Problem } from '../../core/errors';
import { isValidTag } from '../../core/naming/tags';
import { basicAuthorization, causeOf, fetchBearerToken, loginFix, parseChallenge, type Credentials } from './auth';
import { resolveCredentials } from './credentials';
import { nodeHttp, statusOnly, type HttpRequest, type HttpResponse } from './http';

/**
 * The transport of the registry client: one registry's requests with their
 * authentication (anonymous, Basic, Bearer tokens), bounded retries and
 * redaction of every secret from errors. What is asked of the registry is
 * oci-client.ts's business.
 */

export interface RetryPolicy {
  /** Tries in all, the first included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/** How a client reaches one registry. */
export interface RegistryClientOptions {
  /** Registry host with optional port, e.g. `ghcr.io` or `127.0.0.1:5000`. */
  registry: string;
  /** Allow plain HTTP to a registry that is not on loopback. */
  insecure?: boolean;
  /** Where credentials are looked up; defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** Use these credentials instead of looking them up (null: anonymous). */
  credentials?: Credentials | null;
  /** How a request is sent: node:http by default (http.ts says why); fetch itself fits, for a test. */
  http?: HttpRequest;
  /** Per-request time limit. */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** Largest manifest accepted (Distribution's own limit is 4 MiB). */
  maxManifestBytes?: number;
  /** Called with one line before each retry. */
  log?: (line: string) => void;
  sleep?: (ms: number) => Promise<void>;
}


/** A request's headers and body; a stream is sent once, never retried. */
export interface RequestBody {
  headers?: Record<string, string>;
  body?: Buffer | ReadableStream<Uint8Array>;
  /** Longer than the client's per-request limit, for a large blob. */
  timeoutMs?: number;
}

/** A registry answered with a status the caller did not expect: one line naming what to check, and the status. */
export class RegistryError extends UserError {
  override name = 'RegistryError';
  constructor(
    parts: Problem,
    readonly status: number,
  ) {
    super(parts);
  }
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 500, maxDelayMs: 30_000 };
export const DEFAULT_TIMEOUT_MS = 60_000;
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
export const MAX_CONFIG_BYTES = 16 * 1024 * 1024;
export const DIGEST = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

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

/** The error with every secret replaced by `***`: its message and, for a UserError, each part the message is made of. */
export function redactError(error: unknown, secrets: Iterable<string>): unknown {
  if (!(error instanceof Error)) return error;
  const known = [...secrets];
  error.message = redact(error.message, known);
  if (error instanceof UserError) {
    const parts = error as { -readonly [K in keyof Problem]: Problem[K] };
    parts.subject = redact(parts.subject, known);
    parts.problem = redact(parts.problem, known);
    parts.fix = redact(parts.fix, known);
    if (parts.image !== undefined) parts.image = redact(parts.image, known);
  }
  return error;
}

export function assertReference(reference: string): void {
  if (!isValidTag(reference) && !DIGEST.test(reference)) {
    throw new UserError({ subject: 'reference', problem: `${JSON.stringify(reference)} is neither a Docker tag nor a sha256 digest`, fix: 'pass a tag such as main' });
  }
}

/** The first error the registry's JSON body names, e.g. `MANIFEST_UNKNOWN: manifest unknown`. */
async function registryErrorText(response: HttpResponse): Promise<string> {
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
export async function readLimited(response: HttpResponse, limit: number, what: string): Promise<Buffer> {
  const declared = Number(response.headers.get('content-length') ?? '');
  if (Number.isFinite(declared) && declared > limit) {
    await response.body?.cancel();
    throw new UserError({ subject: what, problem: `${declared} bytes, over the ${limit}-byte limit`, fix: 'this is not an image manifest; check the reference' });
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
  if (size > limit) throw new UserError({ subject: what, problem: `over the ${limit}-byte limit`, fix: 'this is not an image manifest; check the reference' });
  return Buffer.concat(chunks);
}


export interface Transport {
  readonly registry: string;
  /** `https://host` (or http for loopback / insecure). */
  readonly baseUrl: string;
  readonly maxManifestBytes: number;
  /** One request with auth and bounded retry: connection errors, timeouts, 429 and 5xx are retried; a 401 is answered once. */
  send: (method: string, repoPath: string, url: string, init?: RequestBody) => Promise<HttpResponse>;
  /** Turns a status the caller did not expect into a RegistryError that says what to check. */
  fail: (response: HttpResponse, what: string, repoPath: string) => Promise<never>;
  /** The digest of `bytes`, checked against what the registry said it is. */
  verifyDigest: (bytes: Buffer, expected: string | null | undefined, what: string) => string;
  /** Runs one client call, removing every secret from the message of what it throws. */
  guard: <T>(work: () => Promise<T>) => Promise<T>;
  /** "the credentials from <source>" or "an anonymous request", for messages. */
  whoAsked: () => Promise<string>;
}

export function createTransport(options: RegistryClientOptions): Transport {
  const registry = options.registry;
  const baseUrl = registryBaseUrl(registry, options.insecure);
  const env = options.env ?? process.env;
  const http = options.http ?? nodeHttp;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const policy: RetryPolicy = { ...DEFAULT_RETRY, ...options.retry };
  const maxManifestBytes = options.maxManifestBytes ?? MAX_MANIFEST_BYTES;
  const log = options.log ?? (() => undefined);
  const sleep = options.sleep ?? wait;
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
    const token = await fetchBearerToken({ challenge, repoPath, registry, credentials: found, http, timeoutMs });
    secrets.add(token);
    authorizations.set(repoPath, `Bearer ${token}`);
    return true;
  }

  /**
   * Sends one request with auth and bounded retry: connection errors,
   * timeouts, 429 and 5xx are retried; a 401 is answered once per request.
   */
  async function send(method: string, repoPath: string, url: string, init: RequestBody = {}): Promise<HttpResponse> {
    let authAnswered = false;
    // A stream is sent once: it cannot be read again for a retry (blob uploads open a session first, which authenticates).
    const attempts = init.body instanceof ReadableStream ? 1 : policy.attempts;
    for (let attempt = 1; ; attempt++) {
      const headers: Record<string, string> = { ...init.headers };
      const authorization = authorizations.get(repoPath);
      if (authorization) headers.authorization = authorization;
      let response: HttpResponse;
      try {
        response = await http(url, { method, headers, body: init.body, signal: AbortSignal.timeout(init.timeoutMs ?? timeoutMs), ...(init.body instanceof ReadableStream ? { duplex: 'half' } : {}) });
      } catch (error) {
        if (attempt >= attempts) {
          throw new UserError({ subject: `registry ${registry}`, problem: `${method} ${repoPath} failed after ${attempt} tries (${causeOf(error)})`, fix: `check that ${baseUrl} is up and reachable` });
        }
        const delay = retryDelayMs(attempt, undefined, policy, Date.now());
        log(`registry ${registry}: ${method} ${repoPath}: ${causeOf(error)}; retrying in ${delay} ms (${attempt}/${policy.attempts - 1})`);
        await sleep(delay);
        continue;
      }
      if (response.status === 401 && !authAnswered && attempts > 1) {
        authAnswered = true;
        const header = response.headers.get('www-authenticate');
        await response.arrayBuffer().catch(() => undefined);
        if (await authorize(repoPath, header)) {
          attempt--;
          continue;
        }
        return statusOnly(401, 'Unauthorized');
      }
      if (isRetryableStatus(response.status) && attempt < attempts) {
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
  async function fail(response: HttpResponse, what: string, repoPath: string): Promise<never> {
    const detail = await registryErrorText(response);
    const suffix = detail ? ` [${detail}]` : '';
    const who = await whoAsked();
    switch (response.status) {
      case 401:
        throw new RegistryError({ subject: `registry ${registry}`, problem: `refused ${who} to ${what} (401 Unauthorized)${suffix}`, fix: loginFix(registry) }, 401);
      case 403:
        throw new RegistryError(
          {
            subject: `registry ${registry}`,
            problem: `denied ${who} to ${what} (403 Forbidden)${suffix}`,
            fix: `the login may not write ${repoPath}; for GHCR give the workflow "permissions: packages: write" and add this repository to the package's "Manage Actions access" list`,
          },
          403,
        );
      case 404:
        throw new RegistryError({ subject: `registry ${registry}`, problem: `nothing at ${repoPath} to ${what} (404 Not Found)${suffix}`, fix: 'check the repository and the tag name, and that the image was pushed' }, 404);
      default:
        throw new RegistryError({ subject: `registry ${registry}`, problem: `could not ${what} (HTTP ${response.status})${suffix}`, fix: 'check the registry\'s status and retry' }, response.status);
    }
  }

  function verifyDigest(bytes: Buffer, expected: string | null | undefined, what: string): string {
    const algorithm = expected && DIGEST.test(expected) ? expected.slice(0, expected.indexOf(':')) : 'sha256';
    const actual = digestOf(bytes, algorithm);
    if (expected && expected !== actual) {
      throw new UserError({ subject: `registry ${registry}`, problem: `${what} has digest ${actual}, but the registry says ${expected}`, fix: 'the content changed in transit; retry' });
    }
    return algorithm === 'sha256' ? actual : digestOf(bytes);
  }

  async function guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw redactError(error, secrets);
    }
  }


  async function whoAsked(): Promise<string> {
    const found = credentials ? await credentials : undefined;
    return found ? `the credentials from ${found.source}` : 'an anonymous request';
  }

  return { registry, baseUrl, maxManifestBytes, send, fail, verifyDigest, guard, whoAsked };
}
