import type { ImageGraph } from '../graph/image-graph';

/**
 * A refresh: the images whose outside images (ubuntu:24.04,
 * quay.io/jupyter/...) moved since they were built, and by default the
 * images built on them; nothing else. Plain data in, plain data out.
 */

/** An outside image as an image's label recorded it (docker-build's dev.nx-images.outside) or as it resolves now. */
export interface OutsideRecord {
  reference: string;
  digest?: string;
  platform?: string;
  platformDigest?: string;
  pinned?: boolean;
}

/** One outside image that moved under an image: its digest then and now (the platform's manifest for an index). */
export interface MovedBase {
  image: string;
  reference: string;
  from: string;
  to: string;
}

/** The digest a refresh compares: the platform's manifest when the image read an index, else the digest itself. */
function compared(record: OutsideRecord): string | undefined {
  return record.platformDigest ?? record.digest;
}

/** The outside images of one image that moved: recorded by digest, not pinned in the Dockerfile, and resolving to another digest now. */
export function movedBases(image: string, recorded: readonly OutsideRecord[], now: readonly OutsideRecord[]): MovedBase[] {
  const moved: MovedBase[] = [];
  for (const then of recorded) {
    if (then.pinned) continue;
    const before = compared(then);
    const current = now.find((entry) => entry.reference === then.reference);
    const after = current ? compared(current) : undefined;
    if (before && after && before !== after) moved.push({ image, reference: then.reference, from: before, to: after });
  }
  return moved;
}

/** The outside records of a label, or none when it is absent or not ours. */
export function readOutsideLabel(text: string | undefined): OutsideRecord[] {
  if (!text) return [];
  try {
    const parsed = JSON.parse(text) as unknown;
    return Array.isArray(parsed) ? parsed.filter((entry): entry is OutsideRecord => typeof (entry as OutsideRecord | null)?.reference === 'string') : [];
  } catch {
    return [];
  }
}

/**
 * What a refresh rebuilds: every image with a moved outside image, and,
 * unless `dependents` is false, every image built on one of those (from
 * FROM, COPY --from or RUN --mount), down the graph. Each with why.
 */
export function refreshed(graph: Pick<ImageGraph, 'images' | 'takesFrom'>, moved: readonly MovedBase[], dependents: boolean): { image: string; why: string }[] {
  const chosen = new Map<string, string>();
  for (const entry of moved) {
    const earlier = chosen.get(entry.image);
    const line = `${entry.reference} moved from ${entry.from} to ${entry.to}`;
    chosen.set(entry.image, earlier ? `${earlier}; ${line}` : `outside image ${line}`);
  }
  if (dependents) {
    let grew = true;
    while (grew) {
      grew = false;
      for (const image of graph.images) {
        if (chosen.has(image)) continue;
        const base = (graph.takesFrom[image] ?? []).find((candidate) => chosen.has(candidate));
        if (base) {
          chosen.set(image, `built on ${base}, which this refresh rebuilds`);
          grew = true;
        }
      }
    }
  }
  return graph.images.filter((image) => chosen.has(image)).map((image) => ({ image, why: chosen.get(image) ?? '' }));
}
