import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../../core/errors';
import { CommandError, run } from '../exec';
import type { Credentials } from './auth';

/** The part of ~/.docker/config.json this module reads. */
export interface DockerConfig {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string } | undefined>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
}

/** Where a registry's credentials are, per the Docker config: a helper to run, or inline. */
export type DockerConfigEntry =
  | { kind: 'helper'; helper: string; serverUrl: string }
  | { kind: 'inline'; username: string; password: string };

const HELPER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** The host a Docker config key or registry name stands for (`https://ghcr.io/v2/` -> `ghcr.io`). */
export function registryKey(name: string): string {
  const host = name
    .trim()
    .replace(/^[A-Za-z][A-Za-z0-9+.-]*:\/\//, '')
    .replace(/\/.*$/, '')
    .toLowerCase();
  return host === 'docker.io' || host === 'registry-1.docker.io' || host === 'index.docker.io' ? 'index.docker.io' : host;
}

/**
 * Credentials from the environment: REGISTRY_USERNAME/REGISTRY_PASSWORD for
 * any registry; GITHUB_ACTOR/GITHUB_TOKEN only for ghcr.io, so the job's
 * token is never sent to another registry.
 */
export function credentialsFromEnv(registry: string, env: NodeJS.ProcessEnv): Credentials | undefined {
  if (env.REGISTRY_USERNAME && env.REGISTRY_PASSWORD) {
    return { username: env.REGISTRY_USERNAME, password: env.REGISTRY_PASSWORD, source: 'REGISTRY_USERNAME/REGISTRY_PASSWORD' };
  }
  if (env.GITHUB_ACTOR && env.GITHUB_TOKEN && registryKey(registry) === 'ghcr.io') {
    return { username: env.GITHUB_ACTOR, password: env.GITHUB_TOKEN, source: 'GITHUB_ACTOR/GITHUB_TOKEN' };
  }
  return undefined;
}

/** The Docker config's entry for a registry: `credHelpers`, then `credsStore`, then `auths`. */
export function dockerConfigEntries(config: DockerConfig, registry: string): DockerConfigEntry[] {
  const key = registryKey(registry);
  const entries: DockerConfigEntry[] = [];
  const serverUrl = key === 'index.docker.io' ? 'https://index.docker.io/v1/' : registry;
  const helper = Object.entries(config.credHelpers ?? {}).find(([name]) => registryKey(name) === key)?.[1];
  if (helper) return [{ kind: 'helper', helper: assertHelperName(helper), serverUrl }];
  if (config.credsStore) entries.push({ kind: 'helper', helper: assertHelperName(config.credsStore), serverUrl });
  const auth = Object.entries(config.auths ?? {}).find(([name]) => registryKey(name) === key)?.[1];
  if (auth) {
    if (auth.username && auth.password) {
      entries.push({ kind: 'inline', username: auth.username, password: auth.password });
    } else if (auth.auth) {
      const decoded = Buffer.from(auth.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0) entries.push({ kind: 'inline', username: decoded.slice(0, colon), password: decoded.slice(colon + 1) });
    }
  }
  return entries;
}

function assertHelperName(name: string): string {
  if (!HELPER_NAME.test(name)) {
    throw new UserError({ subject: 'Docker config', problem: `credential helper ${JSON.stringify(name)} is not a helper name`, fix: 'fix credsStore/credHelpers in the Docker config' });
  }
  return name;
}

/** The Docker config file: $DOCKER_CONFIG/config.json, else ~/.docker/config.json. */
export function dockerConfigPath(env: NodeJS.ProcessEnv): string {
  const dir = env.DOCKER_CONFIG || join(env.HOME || homedir(), '.docker');
  return join(dir, 'config.json');
}

export async function readDockerConfig(env: NodeJS.ProcessEnv): Promise<DockerConfig | undefined> {
  const path = dockerConfigPath(env);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return undefined;
    throw new UserError({ subject: `Docker config ${path}`, problem: `it could not be read (${(error as Error).message})`, fix: 'fix its permissions or set DOCKER_CONFIG' });
  }
  try {
    return JSON.parse(text) as DockerConfig;
  } catch {
    throw new UserError({ subject: `Docker config ${path}`, problem: 'not valid JSON', fix: 'fix it or set DOCKER_CONFIG to another directory' });
  }
}

/** Runs `docker-credential-<helper> get` with the server URL on stdin; undefined when it has none. */
export async function credentialsFromHelper(helper: string, serverUrl: string): Promise<Credentials | undefined> {
  const command = `docker-credential-${helper}`;
  let stdout: string;
  try {
    ({ stdout } = await run({ command, args: ['get'] }, { input: serverUrl, timeout: 30_000 }));
  } catch (error) {
    if (error instanceof CommandError && error.notFound) {
      throw new UserError({ subject: 'Docker config', problem: `it names the credential helper ${command}, which is not on PATH`, fix: 'install it or remove it from the Docker config' });
    }
    // Helpers print "credentials not found" on stdout and exit 1 when they hold nothing for this server.
    if (error instanceof CommandError) return undefined;
    throw error;
  }
  let body: { Username?: unknown; Secret?: unknown };
  try {
    body = JSON.parse(stdout) as typeof body;
  } catch {
    throw new UserError({ subject: command, problem: `get did not print JSON for ${serverUrl}`, fix: 'check the helper' });
  }
  if (typeof body.Username !== 'string' || typeof body.Secret !== 'string' || body.Secret === '') return undefined;
  return { username: body.Username, password: body.Secret, source: command };
}

/**
 * Credentials for a registry, as `docker login` users expect: environment
 * first, then the Docker config (helpers, then inline `auths`).
 */
export async function resolveCredentials(registry: string, env: NodeJS.ProcessEnv): Promise<Credentials | undefined> {
  const fromEnv = credentialsFromEnv(registry, env);
  if (fromEnv) return fromEnv;
  const config = await readDockerConfig(env);
  if (!config) return undefined;
  for (const entry of dockerConfigEntries(config, registry)) {
    if (entry.kind === 'inline') return { username: entry.username, password: entry.password, source: dockerConfigPath(env) };
    const found = await credentialsFromHelper(entry.helper, entry.serverUrl);
    if (found) return found;
  }
  return undefined;
}
