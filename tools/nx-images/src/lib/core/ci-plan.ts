import { UserError } from './errors';
import type { AffectedReason } from '../io/nx-cli';

/** One image this run builds, and why. */
export interface PlannedImage {
  image: string;
  /** The commit Nx compared against; undefined when the image is built regardless. */
  base?: string;
  why: string;
}

export interface RunInput {
  /** Images to build, in any order: Nx orders them by their docker-build dependsOn. */
  images: string[];
  tag: string;
  registry: string;
  repository: string;
  /** The default branch's tag: the base tag when the branch has no base of its own, and the shared cache. */
  defaultTag: string;
  push: boolean;
  parallel: number;
}

/**
 * The `nx run-many` arguments that build the images: task dependencies
 * excluded, so an image that was not affected is never built, while Nx
 * still orders those that are (base_image before tractor).
 */
export function buildRunArgs(input: RunInput): string[] {
  if (input.images.length === 0) return [];
  return [
    'run-many',
    '--targets=docker-build',
    `--projects=${[...input.images].sort().join(',')}`,
    '--exclude-task-dependencies',
    `--parallel=${input.parallel}`,
    '--outputStyle=stream',
    `--registry=${input.registry}`,
    `--repository=${input.repository}`,
    `--tag=${input.tag}`,
    `--baseTagFallback=${input.defaultTag}`,
    '--registryCache',
    '--forwardOnly',
    ...(input.push ? ['--push'] : []),
  ];
}

/** Files at the workspace root (nx.json, ...) that Nx names as the reason for an image: they affect every project. */
export function workspaceFilesIn(reasons: Record<string, AffectedReason[]>): string[] {
  const files = new Set<string>();
  for (const list of Object.values(reasons)) {
    for (const reason of list) if (reason.file && !reason.file.includes('/')) files.add(reason.file);
  }
  return [...files].sort();
}

/** A short sentence from Nx's explanation of an affected task. */
export function whyAffected(reasons: readonly AffectedReason[], limit = 3): string {
  const files = [...new Set(reasons.map((reason) => reason.file).filter((file): file is string => typeof file === 'string'))];
  if (files.length > 0) {
    const shown = files.slice(0, limit).join(', ');
    return `changed: ${shown}${files.length > limit ? ` and ${files.length - limit} more` : ''}`;
  }
  const kinds = [...new Set(reasons.map((reason) => reason.kind))];
  return kinds.length > 0 ? `affected (${kinds.join(', ')})` : 'affected';
}

/** How many images build at once: BUILD_PARALLEL, default 1 (multi-gigabyte images on a small runner). */
export function parallelFrom(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return 1;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64) {
    throw new UserError(`BUILD_PARALLEL=${JSON.stringify(value)} is not a number of builds from 1 to 64: set it to e.g. 1 or 2.`);
  }
  return n;
}
