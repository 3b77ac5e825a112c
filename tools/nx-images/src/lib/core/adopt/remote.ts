/** A git remote URL's host and `owner/name`, for the forms git accepts (https, ssh, scp-like); undefined for anything else. */
export function parseRemote(url: string): { host: string; path: string } | undefined {
  const trimmed = url.trim();
  const match =
    /^(?:https?|ssh|git):\/\/(?:[^@/]+@)?([^/:]+)(?::\d+)?\/(.+?)(?:\.git)?\/?$/.exec(trimmed) ?? /^(?:[^@/]+@)?([^/:]+):(?!\/)(.+?)(?:\.git)?\/?$/.exec(trimmed);
  if (!match?.[1] || !match[2]) return undefined;
  const path = match[2].replace(/^\/+/, '');
  if (!/^[^/\s]+(?:\/[^/\s]+)+$/.test(path)) return undefined;
  return { host: match[1].toLowerCase(), path };
}

/** The registry a remote's host publishes to alongside its code, when it has one. */
export function registryOfHost(host: string): string | undefined {
  if (host === 'github.com') return 'ghcr.io';
  if (host === 'gitlab.com') return 'registry.gitlab.com';
  return undefined;
}
