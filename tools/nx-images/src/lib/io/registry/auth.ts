import { UserError } from '../../core/errors';
import type { HttpRequest, HttpResponse } from './http';

export interface Credentials {
  username: string;
  password: string;
  /** Where they came from, for messages: never the secret itself. */
  source: string;
}

export type Challenge =
  | { scheme: 'basic'; realm?: string }
  | { scheme: 'bearer'; realm: string; service?: string; scope?: string; error?: string };

/**
 * Parses a `WWW-Authenticate` header (one challenge, as registries send):
 * `Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:o/n:pull"`.
 */
export function parseChallenge(header: string | null | undefined): Challenge | undefined {
  if (!header) return undefined;
  const match = /^\s*([A-Za-z]+)\s*(.*)$/s.exec(header);
  if (!match) return undefined;
  const scheme = match[1].toLowerCase();
  const params: Record<string, string> = {};
  const param = /([A-Za-z_][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*,?\s*/g;
  for (const m of match[2].matchAll(param)) {
    params[m[1].toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3];
  }
  if (scheme === 'basic') return { scheme: 'basic', ...(params.realm ? { realm: params.realm } : {}) };
  if (scheme === 'bearer' && params.realm) {
    return {
      scheme: 'bearer',
      realm: params.realm,
      ...(params.service ? { service: params.service } : {}),
      ...(params.scope ? { scope: params.scope } : {}),
      ...(params.error ? { error: params.error } : {}),
    };
  }
  return undefined;
}

export function basicAuthorization(credentials: Credentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
}

/** The scope a release needs on one repository: read the source, write the tags. */
export function repositoryScope(repoPath: string, actions: string[] = ['pull', 'push']): string {
  return `repository:${repoPath}:${actions.join(',')}`;
}

/** The token endpoint's URL for a challenge and a scope. */
export function tokenUrl(challenge: Extract<Challenge, { scheme: 'bearer' }>, scope: string): string {
  const url = new URL(challenge.realm);
  if (challenge.service) url.searchParams.set('service', challenge.service);
  url.searchParams.set('scope', scope);
  return url.toString();
}

/** The token in a token endpoint's JSON answer (`token`, or OAuth's `access_token`). */
export function tokenFromResponse(body: unknown): string | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const record = body as Record<string, unknown>;
  const token = record.token ?? record.access_token;
  return typeof token === 'string' && token !== '' ? token : undefined;
}

export interface TokenRequest {
  challenge: Extract<Challenge, { scheme: 'bearer' }>;
  repoPath: string;
  registry: string;
  credentials: Credentials | undefined;
  http: HttpRequest;
  timeoutMs: number;
}

/**
 * Asks the challenge's token service for `pull,push` on the repository; if
 * that is refused, for `pull` alone (an anonymous or read-only login), so
 * reads still work and a later push check explains the refusal.
 */
export async function fetchBearerToken(request: TokenRequest): Promise<string> {
  const { challenge, repoPath, registry, credentials } = request;
  let lastStatus = 0;
  for (const actions of [['pull', 'push'], ['pull']]) {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (credentials) headers.authorization = basicAuthorization(credentials);
    let response: HttpResponse;
    try {
      response = await request.http(tokenUrl(challenge, repositoryScope(repoPath, actions)), {
        headers,
        signal: AbortSignal.timeout(request.timeoutMs),
      });
    } catch (error) {
      throw new UserError({ subject: `registry ${registry}`, problem: `the token service ${new URL(challenge.realm).host} did not answer (${causeOf(error)})`, fix: 'check the network and retry' });
    }
    lastStatus = response.status;
    if (response.ok) {
      let body: unknown;
      try {
        body = await response.json();
      } catch {
        body = undefined;
      }
      const token = tokenFromResponse(body);
      if (!token) throw new UserError({ subject: `registry ${registry}`, problem: 'the token service answered without a token', fix: 'check the registry\'s auth setup' });
      return token;
    }
    await response.arrayBuffer().catch(() => undefined);
    if (response.status !== 401 && response.status !== 403) break;
  }
  throw new UserError({
    subject: `registry ${registry}`,
    problem: `the token service refused ${credentials ? `the credentials from ${credentials.source}` : 'an anonymous login'} for ${repoPath} (HTTP ${lastStatus})`,
    fix: loginFix(registry),
  });
}

/** What to check when a registry refuses the login. */
export function loginFix(registry: string): string {
  return `check the login (REGISTRY_USERNAME/REGISTRY_PASSWORD, GITHUB_ACTOR/GITHUB_TOKEN, or docker login ${registry}) and that the token has the write:packages scope.`;
}

export function causeOf(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    if (cause instanceof Error) {
      const code = (cause as { code?: string }).code;
      return code ? `${code}: ${cause.message}` : cause.message;
    }
    return error.name === 'TimeoutError' ? 'timed out' : error.message;
  }
  return String(error);
}
