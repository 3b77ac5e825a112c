import { parsePlatform, platformKey } from '../naming/platforms';

/** An architecture as workflows name it (uname, Debian, Docker) -> the platform Docker builds. */
const ARCHITECTURES: Readonly<Record<string, string>> = {
  x86_64: 'linux/amd64',
  amd64: 'linux/amd64',
  aarch64: 'linux/arm64',
  arm64: 'linux/arm64',
};

export interface DetectedPlatforms {
  /** Two or more: what the workflows build; empty: the plugin's default (the runner's own platform). */
  platforms: string[];
  /** Where they come from, in a sentence. */
  from: string;
}

/**
 * The platforms a repository's workflows already build its images for:
 * `linux/<arch>` written where a platform is set (build-push-action's
 * `platforms:`, `--platform`, a matrix of platforms), and architectures
 * given to a `platform:` key (docker-stacks' `platform: aarch64`). Only a
 * list of two or more is a choice to keep; one platform is the default's
 * job. Pure: the caller hands the workflows' texts by path.
 */
export function detectPlatforms(workflows: Readonly<Record<string, string>>): DetectedPlatforms {
  const found = new Map<string, string[]>();
  const note = (platform: string, path: string) => {
    const key = platformKey(platform);
    found.set(key, [...new Set([...(found.get(key) ?? []), path])]);
  };
  for (const [path, text] of Object.entries(workflows).sort(([a], [b]) => a.localeCompare(b))) {
    for (const line of text.split('\n').map((raw) => raw.replace(/(^|\s)#.*$/, ''))) {
      if (!/platform/i.test(line)) continue;
      for (const match of line.matchAll(/\blinux\/[a-z0-9_]+(?:\/v[0-9]+)?\b/g)) if (parsePlatform(match[0])) note(match[0], path);
      const value = /^\s*-?\s*platforms?\s*:\s*\[?\s*([^\]]*)\]?\s*$/.exec(line)?.[1];
      for (const word of value?.split(/[\s,'"]+/) ?? []) {
        const platform = ARCHITECTURES[word];
        if (platform) note(platform, path);
      }
    }
  }
  const platforms = [...found.keys()].sort();
  if (platforms.length < 2) {
    return { platforms: [], from: platforms.length === 1 ? `the workflows build for ${platforms[0] ?? ''} only: the default (the runner's own platform)` : 'no workflow names a platform: the default (the runner\'s own platform)' };
  }
  const where = [...new Set([...found.values()].flat())].sort();
  return { platforms, from: `the workflows build for ${platforms.join(', ')} (${where.join(', ')})` };
}
