import type { ChosenImage } from '../lib/core/ci/ci-plan';
import { movedBases, readOutsideLabel, refreshed, type MovedBase } from '../lib/core/ci/refresh';
import { errorMessage } from '../lib/core/errors';
import { registryImageOf, type ImageGraph } from '../lib/core/graph/image-graph';
import { LABEL } from '../lib/core/naming/conventions';
import { resolveOutside } from '../lib/io/outside-bases';
import { createRegistryClient } from '../lib/io/registry/oci-client';

export interface RefreshRequest {
  graph: ImageGraph;
  registry: string;
  repository: string;
  /** The branch's tag (the default branch's, on a schedule): the images compared are those under it. */
  tag: string;
  env: NodeJS.ProcessEnv;
  /** Rebuild what is built on a refreshed image too (the plugin option refreshDependents). */
  dependents: boolean;
}

/**
 * A refresh: each image under the tag, its recorded outside images
 * (dev.nx-images.outside) resolved again for the platform it was built for;
 * the images whose outside image moved, and those built on them, are chosen.
 */
export async function refreshImages(request: RefreshRequest): Promise<{ chosen: ChosenImage[]; moved: MovedBase[]; lines: string[] }> {
  const { graph, registry, repository, tag, env } = request;
  const client = createRegistryClient({ registry, env, retry: { attempts: 2 } });
  const lines: string[] = [];
  const moved: MovedBase[] = [];
  for (const image of graph.images) {
    const inRegistry = registryImageOf(image, tag, graph.variants);
    const reference = `${registry}/${repository}/${inRegistry.image}:${inRegistry.tag}`;
    let labels: Record<string, string> | undefined;
    try {
      labels = await client.readLabels(`${repository}/${inRegistry.image}`, inRegistry.tag);
    } catch (error) {
      lines.push(`${image}: ${reference} could not be read (${errorMessage(error)}): not refreshed`);
      continue;
    }
    if (!labels) {
      lines.push(`${image}: no image under ${reference} yet: nothing to refresh`);
      continue;
    }
    const recorded = readOutsideLabel(labels[LABEL.outside]);
    const followed = recorded.filter((base) => !base.pinned && base.digest);
    if (followed.length === 0) {
      lines.push(`${image}: reads no outside image by a tag${recorded.length > 0 ? ' (each is pinned by digest)' : ''}`);
      continue;
    }
    const platform = followed.find((base) => base.platform)?.platform ?? 'linux/amd64';
    const now = await resolveOutside(followed.map((base) => base.reference), platform, env);
    const found = movedBases(image, recorded, now);
    moved.push(...found);
    for (const base of followed) {
      const current = now.find((entry) => entry.reference === base.reference);
      const shift = found.find((entry) => entry.reference === base.reference);
      lines.push(
        shift
          ? `${image}: outside ${base.reference} moved: ${shift.from} -> ${shift.to}`
          : current?.error
            ? `${image}: outside ${base.reference} could not be read now (${current.error}): taken as not moved`
            : `${image}: outside ${base.reference} has not moved`,
      );
    }
  }
  const chosen = refreshed(graph, moved, request.dependents).map(({ image, why }): ChosenImage => ({ image, why }));
  return { chosen, moved, lines };
}
