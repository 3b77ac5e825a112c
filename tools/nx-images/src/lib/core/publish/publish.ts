import { UserError } from '../errors';
import { branchToTag } from '../naming/tags';

/**
 * Where an image goes beyond the primary registry, and who is told: mirrors
 * (`host[:port][/path]`, from the plugin option `mirrors` or IMAGE_MIRRORS)
 * and notification endpoints (IMAGE_NOTIFY_URLS, secrets). Pure: parsing,
 * checking and the decisions; the copy and the calls are io/publish.ts's.
 */

/** A registry an image is copied to. */
export interface Mirror {
  /** Host with an optional port, e.g. `123456789012.dkr.ecr.us-east-1.amazonaws.com` or `127.0.0.1:5001`. */
  registry: string;
  /** The repository path images go under there, e.g. `nasa-fornax/fornax-images`. */
  repository: string;
}

/** `registry/repository`, how a mirror is named in messages and the summary. */
export function mirrorName(mirror: Mirror): string {
  return `${mirror.registry}/${mirror.repository}`;
}

// A registry host: a DNS name or IPv4 address, or [IPv6], with an optional port (as github.com/distribution/reference).
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::([0-9]{1,5}))?$/;
// One path component of a repository name.
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;

/** Checks a repository path such as `nasa-fornax/fornax-images`; returns it, or the reason it is not one. */
function repositoryProblem(path: string): string | undefined {
  if (path === '') return 'is empty';
  const bad = path.split('/').find((component) => !COMPONENT.test(component));
  return bad === undefined ? undefined : `has the path component ${JSON.stringify(bad)}, which is not lower-case letters and digits joined by ".", "_" or "-"`;
}

/**
 * One mirror as written, `host[:port][/path]`; the path defaults to the
 * primary's repository. `source` names where it came from, for the error.
 */
export function parseMirror(text: string, primaryRepository: string, source: string): Mirror {
  const entry = text.trim();
  const fix = `write it as host[:port][/path], e.g. 123456789012.dkr.ecr.us-east-1.amazonaws.com/fornax`;
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(entry)) {
    throw new UserError({ subject: source, problem: `mirror ${JSON.stringify(entry)} has a scheme`, fix: `${fix} (https is used, http only for loopback)` });
  }
  const slash = entry.indexOf('/');
  const registry = slash === -1 ? entry : entry.slice(0, slash);
  const path = slash === -1 ? primaryRepository : entry.slice(slash + 1).replace(/\/+$/, '');
  const port = HOST.exec(registry)?.[1];
  if (!HOST.test(registry) || (port !== undefined && (Number(port) < 1 || Number(port) > 65535))) {
    throw new UserError({ subject: source, problem: `mirror ${JSON.stringify(entry)} does not start with a registry host`, fix });
  }
  const problem = repositoryProblem(path);
  if (problem) throw new UserError({ subject: source, problem: `mirror ${JSON.stringify(entry)}: its repository path ${JSON.stringify(path)} ${problem}`, fix });
  return { registry: registry.toLowerCase(), repository: path };
}

/**
 * The mirrors: IMAGE_MIRRORS when it is set and not empty (comma-separated;
 * `none` turns the option off), else the plugin option. A workflow passes
 * an unset repository variable as "", which must leave the option in force.
 * Duplicates, and the primary itself, are refused: each would copy an image
 * onto itself.
 */
export function resolveMirrors(input: { option: readonly string[]; env: Readonly<Record<string, string | undefined>>; primary: Mirror }): Mirror[] {
  const fromEnv = input.env.IMAGE_MIRRORS?.trim() || undefined;
  if (fromEnv?.toLowerCase() === 'none') return [];
  const source = fromEnv === undefined ? `nx.json: @fornax/nx-images option mirrors` : 'IMAGE_MIRRORS';
  const entries = fromEnv === undefined ? [...input.option] : fromEnv.split(',');
  const mirrors: Mirror[] = [];
  for (const entry of entries.map((text) => text.trim()).filter((text) => text !== '')) {
    const mirror = parseMirror(entry, input.primary.repository, source);
    const name = mirrorName(mirror);
    if (name === mirrorName(input.primary)) {
      throw new UserError({ subject: source, problem: `mirror ${JSON.stringify(entry)} is the primary registry and repository`, fix: 'remove it (images are pushed there already)' });
    }
    if (mirrors.some((known) => mirrorName(known) === name)) throw new UserError({ subject: source, problem: `mirror ${name} is listed twice`, fix: 'remove one' });
    mirrors.push(mirror);
  }
  return mirrors;
}

/**
 * The notification endpoints of IMAGE_NOTIFY_URLS (comma-separated). They are
 * secrets: an error names an endpoint by its position, never by its text.
 */
export function parseNotifyUrls(text: string | undefined): URL[] {
  if (text === undefined) return [];
  const entries = text.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  return entries.map((entry, index) => {
    let url: URL | undefined;
    try {
      url = new URL(entry);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
      throw new UserError({ subject: 'IMAGE_NOTIFY_URLS', problem: `endpoint ${index + 1} of ${entries.length} is not an http(s) URL`, fix: 'fix that secret (comma-separated URLs)' });
    }
    return url;
  });
}

/** How endpoint `index` (0-based) is named in messages: by its position only, never by its text. */
export function endpointName(index: number, count: number): string {
  return `notification endpoint ${index + 1} of ${count}`;
}

/** The URL called for an image and tag: the endpoint with `image` and `tag` set in its query. */
export function notificationUrl(endpoint: URL, image: string, tag: string): URL {
  const url = new URL(endpoint.toString());
  url.searchParams.set('image', image);
  url.searchParams.set('tag', tag);
  return url;
}

/** An endpoint's answer: 2xx and 404 are accepted (upstream accepts 404); 408, 429 and 5xx are worth another try. */
export function notificationVerdict(status: number): 'accepted' | 'retry' | 'refused' {
  if ((status >= 200 && status < 300) || status === 404) return 'accepted';
  if (status === 408 || status === 429 || status >= 500) return 'retry';
  return 'refused';
}

/** True when pushes of `branch` go to the mirrors and the endpoints: the configured branches, by their tags. */
export function publishesBranch(branchTag: string, publishBranches: readonly string[]): boolean {
  return publishBranches.some((branch) => branchToTag(branch) === branchTag);
}
