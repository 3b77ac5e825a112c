import { UserError } from '../errors';
import { platformKey, platformOf, type Platform } from '../naming/platforms';

/**
 * The manifests a multi-platform push writes itself, inside the registry:
 * each platform's image manifest (pushed by digest, no tag), then one OCI
 * image index listing them, which is what the tags name.
 */

export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const OCI_LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';

export interface BlobDescriptor {
  mediaType: string;
  digest: string;
  size: number;
}

/** One platform's pushed image, as its index entry names it. */
export interface PlatformImage extends BlobDescriptor {
  platform: Platform;
}

/** An image manifest's exact bytes: the config and the layers, in order. */
export function imageManifest(config: BlobDescriptor, layers: readonly BlobDescriptor[]): Buffer {
  return Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config, layers }));
}

/**
 * The index over every platform's manifest, in the order given; two entries
 * of one platform are refused (a pull could get either).
 */
export function imageIndex(images: readonly PlatformImage[], annotations: Readonly<Record<string, string>> = {}): Buffer {
  if (images.length === 0) throw new UserError({ subject: 'image index', problem: 'no platform image to list', fix: 'push every platform first' });
  const seen = new Set<string>();
  for (const image of images) {
    const key = platformKey(platformOf(image.platform));
    if (seen.has(key)) throw new UserError({ subject: 'image index', problem: `${key} is listed twice`, fix: 'build each platform once' });
    seen.add(key);
  }
  const manifests = images.map(({ mediaType, digest, size, platform }) => ({
    mediaType,
    digest,
    size,
    platform: { os: platform.os, architecture: platform.architecture, ...(platform.variant ? { variant: platform.variant } : {}) },
  }));
  return Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests, ...(Object.keys(annotations).length > 0 ? { annotations } : {}) }));
}

/** The platform an image config records (`architecture`, `os`, `variant`); undefined when it names none. */
export function configPlatform(config: unknown): Platform | undefined {
  const { os, architecture, variant } = (config ?? {}) as { os?: unknown; architecture?: unknown; variant?: unknown };
  if (typeof os !== 'string' || typeof architecture !== 'string' || os === '' || architecture === '') return undefined;
  return { os, architecture, ...(typeof variant === 'string' && variant !== '' ? { variant } : {}) };
}

/** The image entries of an index (parsed JSON) with their platforms, attestations (unknown/unknown) left out. */
export function indexPlatforms(index: unknown): PlatformImage[] {
  const manifests = (index as { manifests?: unknown } | null)?.manifests;
  if (!Array.isArray(manifests)) return [];
  return manifests.flatMap((entry: unknown): PlatformImage[] => {
    const { mediaType, digest, size, platform } = (entry ?? {}) as { mediaType?: unknown; digest?: unknown; size?: unknown; platform?: unknown };
    const parsed = configPlatform(platform);
    if (typeof digest !== 'string' || typeof mediaType !== 'string' || typeof size !== 'number' || !parsed || parsed.os === 'unknown') return [];
    return [{ mediaType, digest, size, platform: parsed }];
  });
}
