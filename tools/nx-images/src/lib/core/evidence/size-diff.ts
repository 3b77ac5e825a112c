/**
 * What an image weighs and which of its layers moved: the compressed size a
 * pull downloads (config and layers of the `linux/amd64` manifest, else the
 * first platform's, as the release summary counts it), and per layer what
 * was added, removed, grew or shrank between two images.
 */

export interface ImageLayer {
  /** The digest of the layer as stored (compressed). */
  digest: string;
  /** Its size in bytes as stored. */
  size: number;
  /** The digest of its uncompressed content (the config's rootfs.diff_ids), when known: the same content compressed anew still matches. */
  diffId?: string;
}

export interface ImageSize {
  /** Config and layers, in bytes. */
  total: number;
  /** Bottom layer first. */
  layers: ImageLayer[];
}

export interface LayerChange {
  /** 1-based, bottom first: the position in the newer image (in the older one for a removed layer). */
  position: number;
  kind: 'added' | 'removed' | 'grew' | 'shrank' | 'replaced';
  from?: ImageLayer;
  to?: ImageLayer;
  /** Bytes gained (negative: lost). */
  delta: number;
}

export interface SizeDiff {
  from: number;
  to: number;
  delta: number;
  /** Only the layers that moved, by position. */
  layers: LayerChange[];
  unchangedLayers: number;
}

interface IndexEntry {
  digest?: unknown;
  platform?: { os?: unknown; architecture?: unknown };
}

/** The manifest of an index whose size counts: `linux/amd64`, else the first; undefined for an empty index. */
export function platformManifestDigest(index: unknown): string | undefined {
  const manifests = (index as { manifests?: unknown } | null)?.manifests;
  const entries = (Array.isArray(manifests) ? manifests : []).filter(
    (entry): entry is IndexEntry & { digest: string } => typeof (entry as IndexEntry | null)?.digest === 'string',
  );
  // Attestation manifests of BuildKit carry platform unknown/unknown; they are never the image.
  const images = entries.filter((entry) => entry.platform?.os !== 'unknown');
  const chosen = images.find((entry) => entry.platform?.os === 'linux' && entry.platform.architecture === 'amd64') ?? images[0];
  return chosen?.digest;
}

function sizeOf(value: unknown): number {
  const size = (value as { size?: unknown } | null)?.size;
  return typeof size === 'number' && Number.isFinite(size) && size >= 0 ? size : 0;
}

/** The size of an image manifest (parsed JSON): its config and layers, with the config's diff_ids when given. */
export function imageSizeOf(manifest: unknown, diffIds: readonly string[] = []): ImageSize {
  const parsed = (manifest ?? {}) as { config?: unknown; layers?: unknown };
  const layers = (Array.isArray(parsed.layers) ? parsed.layers : []).map((layer: unknown, index): ImageLayer => {
    const digest = (layer as { digest?: unknown } | null)?.digest;
    const diffId = diffIds[index];
    return { digest: typeof digest === 'string' ? digest : '', size: sizeOf(layer), ...(diffId ? { diffId } : {}) };
  });
  return { total: sizeOf(parsed.config) + layers.reduce((sum, layer) => sum + layer.size, 0), layers };
}

/** The config's rootfs.diff_ids (parsed JSON); empty when it has none. */
export function diffIdsOf(config: unknown): string[] {
  const ids = (config as { rootfs?: { diff_ids?: unknown } } | null)?.rootfs?.diff_ids;
  return Array.isArray(ids) ? ids.filter((id): id is string => typeof id === 'string') : [];
}

/** Two layers are the same when their content is: by diff_id when both know it, else by stored digest. */
function identity(layer: ImageLayer, useDiffIds: boolean): string {
  return useDiffIds && layer.diffId ? layer.diffId : layer.digest;
}

/**
 * Layer by layer from `from` to `to`. A layer found on both sides (at any
 * position) is unchanged; otherwise layers are paired by position, and the
 * pair grew, shrank or was replaced at the same size; what is left is
 * added or removed.
 */
export function diffSizes(from: ImageSize, to: ImageSize): SizeDiff {
  const useDiffIds = from.layers.every((layer) => layer.diffId) && to.layers.every((layer) => layer.diffId);
  const fromIds = from.layers.map((layer) => identity(layer, useDiffIds));
  const toIds = to.layers.map((layer) => identity(layer, useDiffIds));
  // How many times each layer is still unclaimed on the other side (an image may repeat an empty layer).
  const unclaimed = (ids: readonly string[]) => ids.reduce((counts, id) => counts.set(id, (counts.get(id) ?? 0) + 1), new Map<string, number>());
  const inFrom = unclaimed(fromIds);
  const inTo = unclaimed(toIds);
  const matchedTo = toIds.map((id) => {
    const left = inFrom.get(id) ?? 0;
    if (left === 0) return false;
    inFrom.set(id, left - 1);
    return true;
  });
  const matchedFrom = fromIds.map((id) => {
    const left = inTo.get(id) ?? 0;
    if (left === 0) return false;
    inTo.set(id, left - 1);
    return true;
  });
  const layers: LayerChange[] = [];
  const paired = new Set<number>();
  to.layers.forEach((layer, index) => {
    if (matchedTo[index]) return;
    const old = from.layers[index];
    if (old && !matchedFrom[index]) {
      paired.add(index);
      const delta = layer.size - old.size;
      layers.push({ position: index + 1, kind: delta > 0 ? 'grew' : delta < 0 ? 'shrank' : 'replaced', from: old, to: layer, delta });
    } else layers.push({ position: index + 1, kind: 'added', to: layer, delta: layer.size });
  });
  from.layers.forEach((layer, index) => {
    if (!matchedFrom[index] && !paired.has(index)) layers.push({ position: index + 1, kind: 'removed', from: layer, delta: layer.size === 0 ? 0 : -layer.size });
  });
  return { from: from.total, to: to.total, delta: to.total - from.total, layers, unchangedLayers: matchedTo.filter(Boolean).length };
}
