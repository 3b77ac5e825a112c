import { UserError } from '../errors';
import { buildDependencies, dockerfileDependencies, imageTargetNames, isImageProject, type ProjectLike } from './image-project';
import { variantTag } from '../naming/refs';
import { DEFAULT_TARGET_NAMES, type TargetNames } from './target-names';

/**
 * The image graph: which images each image takes from (its docker-build's
 * task dependencies). It is never the Nx project graph, where images have no
 * edges, so a change to a base makes no dependent affected.
 */
export interface ImageGraph {
  /** Every image, sorted. */
  images: string[];
  /** image -> the images it takes from, sorted. */
  takesFrom: Record<string, string[]>;
  /** The projects that are variants of an image, with where the registry keeps them: `<image>:<variant>-<tag>`. */
  variants?: Record<string, Variant>;
}

/** Where a variant's project lives in the registry: the image it is a variant of, and its tags' prefix. */
export interface Variant {
  image: string;
  variant: string;
}

/** The registry's name and tag of a project's build of `tag`: `<image>:<variant>-<tag>` for a variant, else `<project>:<tag>`. */
export function registryImageOf(project: string, tag: string, variants: Readonly<Record<string, Variant>> | undefined): { image: string; tag: string } {
  const variant = variants?.[project];
  return variant ? { image: variant.image, tag: variantTag(variant.variant, tag) } : { image: project, tag };
}

/**
 * The image graph of a workspace's projects (as `nx graph --file` gives
 * them). Refuses, in one line naming the images and the fix: a dependency
 * on something that is no image, a project.json that dropped the
 * dependencies its Dockerfile gives, and a cycle.
 */
export function imageGraph(projects: Readonly<Record<string, ProjectLike>>): ImageGraph {
  const images = Object.keys(projects)
    .filter((name) => isImageProject(projects[name] ?? {}))
    .sort();
  const takesFrom: Record<string, string[]> = {};
  for (const image of images) {
    // The graph's key is the project's name, which a step like "<self>:prepare" is written with.
    const project = { name: image, ...projects[image] };
    const declared = buildDependencies(project);
    const unknown = declared.filter((name) => !images.includes(name));
    if (unknown.length > 0) {
      throw new UserError({
        subject: image,
        problem: `its ${imageTargetNames(project).build} depends on ${unknown.join(', ')}, which ${unknown.length === 1 ? 'is no image' : 'are no images'} of this repository`,
        fix: `name images from ${images.join(', ')} in the dependsOn of ${project.root ?? image}/project.json`,
      });
    }
    const dropped = dockerfileDependencies(project).filter((name) => !declared.includes(name));
    if (dropped.length > 0) {
      throw new UserError({
        subject: image,
        problem: `its Dockerfile reads ${dropped.join(', ')}, but the ${imageTargetNames(project).build} dependsOn in ${project.root ?? image}/project.json replaces that`,
        fix: 'start the list with "..." to add to what the Dockerfile gives',
      });
    }
    takesFrom[image] = [...declared].sort();
  }
  const cycle = findCycle(images, takesFrom);
  if (cycle) {
    throw new UserError({ subject: cycle[0] ?? 'the image graph', problem: `the images ${cycle.join(' -> ')} take from each other in a cycle`, fix: 'remove one of these FROM, COPY --from or declared dependencies' });
  }
  const variants: Record<string, Variant> = {};
  for (const image of images) {
    const options = projects[image]?.targets?.[imageTargetNames(projects[image] ?? {}).build]?.options as { image?: unknown; variant?: unknown } | undefined;
    if (typeof options?.variant === 'string' && options.variant !== '' && typeof options.image === 'string') variants[image] = { image: options.image, variant: options.variant };
  }
  return { images, takesFrom, ...(Object.keys(variants).length > 0 ? { variants } : {}) };
}

/** One cycle of the graph as a path that ends where it starts, or undefined when there is none. */
export function findCycle(images: readonly string[], takesFrom: Readonly<Record<string, readonly string[]>>): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (image: string): string[] | undefined => {
    if (state.get(image) === 'done') return undefined;
    if (state.get(image) === 'visiting') return [...path.slice(path.indexOf(image)), image];
    state.set(image, 'visiting');
    path.push(image);
    for (const next of takesFrom[image] ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(image, 'done');
    return undefined;
  };
  for (const image of images) {
    const cycle = visit(image);
    if (cycle) return cycle;
  }
  return undefined;
}

/**
 * The images of `subset` in levels: level 1 takes from no other image of the
 * subset, level n from images of levels below n. An image outside the subset
 * is not built in this run, so its dependents read its existing tag and need
 * not wait.
 */
export function levelsOf(graph: ImageGraph, subset: readonly string[]): string[][] {
  const members = new Set(subset);
  const level = new Map<string, number>();
  const depth = (image: string): number => {
    const known = level.get(image);
    if (known !== undefined) return known;
    const below = (graph.takesFrom[image] ?? []).filter((base) => members.has(base)).map(depth);
    const value = 1 + Math.max(0, ...below);
    level.set(image, value);
    return value;
  };
  const levels: string[][] = [];
  for (const image of [...members].sort()) {
    const n = depth(image);
    (levels[n - 1] ??= []).push(image);
  }
  return levels.map((images) => images ?? []);
}

/**
 * The target names the images of a workspace share (the plugin's
 * <x>TargetName options, as its inference recorded them on each image), for
 * the CI that runs them by name over every image; images whose names differ
 * (two registrations of the plugin named differently) are refused.
 */
export function sharedTargetNames(projects: Readonly<Record<string, ProjectLike>>): TargetNames {
  const images = Object.keys(projects)
    .filter((name) => isImageProject(projects[name] ?? {}))
    .sort();
  const [first, ...others] = images.map((image) => ({ image, names: imageTargetNames(projects[image] ?? {}) }));
  if (!first) return { ...DEFAULT_TARGET_NAMES };
  for (const other of others) {
    const key = (Object.keys(first.names) as (keyof TargetNames)[]).find((name) => first.names[name] !== other.names[name]);
    if (key !== undefined) {
      throw new UserError({
        subject: 'nx.json',
        problem: `${first.image} and ${other.image} name their ${key} target differently (${first.names[key]}, ${other.names[key]}), so CI cannot run it by one name`,
        fix: `give every registration of the plugin in nx.json the same ${key}TargetName`,
      });
    }
  }
  return first.names;
}
