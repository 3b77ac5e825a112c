import { UserError } from '../errors';
import { nonEmpty } from '../option-values';
import { assertValidRegistry, normalizeRepository } from '../naming/refs';

/** Where images go when neither the option nor IMAGE_REGISTRY says. */
export const DEFAULT_REGISTRY = 'ghcr.io';

/** The registry host: the option, else IMAGE_REGISTRY, else ghcr.io; validated. */
export function resolveRegistry(option: string | undefined, env: NodeJS.ProcessEnv): string {
  const value = nonEmpty(option) ?? nonEmpty(env.IMAGE_REGISTRY) ?? DEFAULT_REGISTRY;
  return assertValidRegistry(value);
}

/**
 * The repository path (`owner/name`, lower case): the option, else
 * IMAGE_REPOSITORY, else GITHUB_REPOSITORY, else the path of the `origin`
 * remote's URL.
 */
export function resolveRepository(option: string | undefined, env: NodeJS.ProcessEnv, originUrl: string | undefined): string {
  const value =
    nonEmpty(option) ??
    nonEmpty(env.IMAGE_REPOSITORY) ??
    nonEmpty(env.GITHUB_REPOSITORY) ??
    (originUrl === undefined ? undefined : parseGitRemote(originUrl));
  if (value === undefined) {
    throw new UserError({ subject: 'repository', problem: 'no --repository option, IMAGE_REPOSITORY, GITHUB_REPOSITORY or git remote "origin" to take it from', fix: 'pass --repository=owner/name' });
  }
  return normalizeRepository(value);
}

/**
 * The repository path of a git remote URL (`owner/name`, case kept), or
 * undefined when the URL has none: https, ssh://, git://, file-less scp-like
 * `git@host:owner/name.git`.
 */
export function parseGitRemote(url: string): string | undefined {
  const text = url.trim();
  if (text === '') return undefined;
  let path: string | undefined;
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(text);
  if (scheme) {
    if (/^file:/i.test(text)) return undefined;
    try {
      path = new URL(text).pathname;
    } catch {
      return undefined;
    }
  } else {
    // scp-like syntax: [user@]host:path; a local path has no colon before its first slash.
    const scp = /^(?:[^@/\s]+@)?([^:/\s]+):(.+)$/.exec(text);
    if (!scp) return undefined;
    path = scp[2];
  }
  const clean = decodePath(path)
    .replace(/\/+$/, '')
    .replace(/\.git$/, '')
    .replace(/^\/+/, '')
    .replace(/^~[^/]*\//, '');
  const parts = clean.split('/').filter((part) => part !== '');
  if (parts.length < 2 || parts.some((part) => part === '.' || part === '..')) return undefined;
  return parts.join('/');
}

function decodePath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}
