/**
 * Platforms as Docker writes them (`linux/amd64`, `linux/arm64/v8`), and
 * the entry of an image index a platform's build reads.
 */

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
