import { createHash } from 'node:crypto';

/**
 * Evidence attached to an image in the registry, as OCI 1.1 artifacts: an
 * image manifest whose `subject` is the image, whose `artifactType` says
 * what it is, and whose layers are its files. A registry with the referrers
 * API lists them itself; for one without (Distribution 2.x), the client keeps
 * the index under the fallback tag `sha256-<hex of the image's digest>`, as
 * the OCI distribution spec 1.1 says.
 */

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
/** The empty config an artifact carries: the two bytes `{}`. */
export const EMPTY_CONFIG = {
  mediaType: 'application/vnd.oci.empty.v1+json',
  digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
  size: 2,
  bytes: Buffer.from('{}'),
} as const;

export interface OciDescriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

export function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** The descriptor of a blob or manifest with these bytes. */
export function describe(mediaType: string, bytes: Buffer, annotations?: Record<string, string>): OciDescriptor {
  return { mediaType, digest: sha256(bytes), size: bytes.length, ...(annotations && Object.keys(annotations).length > 0 ? { annotations } : {}) };
}

/** The artifact's manifest bytes: canonical JSON, so the same evidence always has the same digest. */
export function artifactManifest(input: { artifactType: string; subject: OciDescriptor; layers: OciDescriptor[]; annotations?: Record<string, string> }): Buffer {
  const { bytes: _bytes, ...config } = EMPTY_CONFIG;
  const manifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    artifactType: input.artifactType,
    config,
    layers: input.layers,
    subject: { mediaType: input.subject.mediaType, digest: input.subject.digest, size: input.subject.size },
    ...(input.annotations && Object.keys(input.annotations).length > 0 ? { annotations: input.annotations } : {}),
  };
  return Buffer.from(JSON.stringify(manifest));
}

/** The referrers fallback tag of a digest: `sha256:abc...` -> `sha256-abc...`. */
export function referrersTag(digest: string): string {
  return digest.replace(':', '-');
}

/**
 * The fallback tag's index with `referrer` in it: the registry's index
 * (undefined: none yet) plus this descriptor, each digest once, in order.
 */
export function withReferrer(existing: Buffer | undefined, referrer: OciDescriptor): Buffer {
  const manifests = existing ? referrersIn(existing) : [];
  const kept = manifests.filter((entry) => entry.digest !== referrer.digest);
  return Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [...kept, referrer] }));
}

/** The descriptors of a referrers index (the API's answer or the fallback tag's), those of `artifactType` only when given; nothing from a body that is not an index. */
export function referrersIn(index: Buffer, artifactType?: string): OciDescriptor[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(index.toString('utf8'));
  } catch {
    return [];
  }
  const manifests = (parsed as { manifests?: unknown }).manifests;
  if (!Array.isArray(manifests)) return [];
  return manifests.filter(
    (entry): entry is OciDescriptor =>
      typeof entry === 'object' &&
      entry !== null &&
      typeof (entry as OciDescriptor).digest === 'string' &&
      typeof (entry as OciDescriptor).mediaType === 'string' &&
      typeof (entry as OciDescriptor).size === 'number' &&
      (artifactType === undefined || (entry as OciDescriptor).artifactType === artifactType),
  );
}
