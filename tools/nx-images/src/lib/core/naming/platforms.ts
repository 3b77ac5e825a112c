/**
 * Platforms as Docker writes them (`linux/amd64`, `linux/arm64/v8`), and
 * the entry of an image index a platform's build reads.
 */

import { UserError, type Subject } from '../errors';

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

/** `linux/arm64/v8` -> { os, architecture, variant }; undefined for anything else. */
export function parsePlatform(text: string): Platform | undefined {
  const match = /^([a-z0-9]+)\/([a-z0-9_]+)(?:\/([a-z0-9]+))?$/.exec(text.trim());
  if (!match?.[1] || !match[2]) return undefined;
  return { os: match[1], architecture: match[2], ...(match[3] ? { variant: match[3] } : {}) };
}

/** The platform of a machine, from Node's process.arch: what a build without --platform makes. */
export function machinePlatform(arch: string): string {
  const architecture = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', ia32: '386' }[arch] ?? arch;
  return `linux/${architecture}`;
}

interface IndexEntry {
  digest?: unknown;
  platform?: { os?: unknown; architecture?: unknown; variant?: unknown };
}

/**
 * The manifest of an index (parsed JSON) that `platform` reads: the entry of
 * that os and architecture (and variant, when both name one); undefined
 * when the index has none. BuildKit's attestation entries (unknown/unknown)
 * are never an image.
 */
export function platformEntry(index: unknown, platform: string): string | undefined {
  const wanted = parsePlatform(platform);
  if (!wanted) return undefined;
  const manifests = (index as { manifests?: unknown } | null)?.manifests;
  const entries = (Array.isArray(manifests) ? manifests : []).filter(
    (entry): entry is IndexEntry & { digest: string } => typeof (entry as IndexEntry | null)?.digest === 'string',
  );
  const matching = entries.filter((entry) => entry.platform?.os === wanted.os && entry.platform.architecture === wanted.architecture);
  const exact = wanted.variant === undefined ? undefined : matching.find((entry) => entry.platform?.variant === wanted.variant);
  return (exact ?? matching[0])?.digest;
}

/**
 * A list of platforms as an option gives it: each `os/arch[/variant]`, none
 * twice; undefined is the default (empty: the runner's own platform).
 */
export function assertPlatforms(value: unknown, where: Subject): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new UserError({ ...where, problem: 'not a list of platforms', fix: 'give one such as ["linux/amd64", "linux/arm64"]' });
  const seen = new Set<string>();
  for (const entry of value as unknown[]) {
    if (typeof entry !== 'string' || !parsePlatform(entry) || entry !== entry.trim()) {
      throw new UserError({ ...where, problem: `${JSON.stringify(entry)} is not os/arch[/variant]`, fix: 'write platforms as Docker does, e.g. "linux/arm64"' });
    }
    if (seen.has(entry)) throw new UserError({ ...where, problem: `${entry} is listed twice`, fix: 'list each platform once' });
    seen.add(entry);
  }
  return [...seen];
}

/**
 * The platforms a base lacks of those an image asks for, given the base's
 * own (empty: the base's builder's one platform, unknown here, so nothing
 * can be said). An image builds for fewer platforms than its bases, never more.
 */
export function missingPlatforms(wanted: readonly string[], base: readonly string[]): string[] {
  if (base.length === 0 || wanted.length === 0) return [];
  const has = new Set(base.map(platformKey));
  return wanted.filter((platform) => !has.has(platformKey(platform)));
}

/** os/arch[/variant] with arm64's default variant v8 dropped, so `linux/arm64` and `linux/arm64/v8` are one platform. */
export function platformKey(text: string): string {
  const parsed = parsePlatform(text);
  if (!parsed) return text;
  const variant = parsed.architecture === 'arm64' && parsed.variant === 'v8' ? undefined : parsed.variant;
  return [parsed.os, parsed.architecture, ...(variant ? [variant] : [])].join('/');
}

/** A platform as one path or name segment: `linux/arm64/v8` -> `linux-arm64`, `linux/arm/v7` -> `linux-arm-v7`. */
export function platformSlug(text: string): string {
  return platformKey(text).replace(/\//g, '-');
}

/** The platform of a manifest in an index (its `platform` field), as `os/arch[/variant]`. */
export function platformOf(platform: Platform): string {
  return [platform.os, platform.architecture, ...(platform.variant ? [platform.variant] : [])].join('/');
}
