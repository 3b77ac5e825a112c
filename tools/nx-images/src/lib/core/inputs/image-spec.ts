import { posix } from 'node:path';
import { imageTargetNames, stepsBeforeBuild, type ProjectLike } from '../graph/image-project';
import type { ImageBuildSpec } from './build-inputs';

/** The executor of the step before the build whose `copy` sources are root files the build then reads. */
const PREPARE_EXECUTOR = '@fornax/nx-images:prepare';

interface TargetLike {
  executor?: unknown;
  options?: Record<string, unknown>;
}

/**
 * Where an image project's build reads from, from its configuration as Nx
 * resolved it: the build target's context and Dockerfile (as docker-build
 * defaults them), less the folders of other images inside it (`otherRoots`:
 * every image project's root), the root files its prepare steps copy, and as settings the
 * build target's options and each step's. The plan and docker-build both
 * call this, so the digest the image is labelled with is the one the next
 * plan compares.
 */
export function imageBuildSpec(project: ProjectLike, otherRoots: readonly string[] = []): ImageBuildSpec {
  const root = project.root ?? '';
  const buildTarget = imageTargetNames(project).build;
  const targets = (project.targets ?? {}) as Record<string, TargetLike | undefined>;
  const build = targets[buildTarget]?.options ?? {};
  const context = text(build.context) ?? root;
  const dockerfile = text(build.file) ?? posix.join(context, 'Dockerfile');
  const steps = stepsBeforeBuild(project);
  const copies: string[] = [];
  const stepSettings: Record<string, unknown> = {};
  for (const step of steps) {
    const target = targets[step];
    stepSettings[step] = { executor: target?.executor ?? null, options: target?.options ?? {} };
    if (target?.executor !== PREPARE_EXECUTOR) continue;
    for (const entry of (target.options?.copy as { from?: unknown }[] | undefined) ?? []) {
      const from = text(entry.from);
      if (from) copies.push(from);
    }
  }
  // Another image's folder inside this one's context (a variant's) holds that image's files, as Nx assigns them.
  const exclude = otherRoots.filter((other) => other !== root && (context === '' || other.startsWith(`${context}/`)));
  return { context, dockerfile, copies, ...(exclude.length > 0 ? { exclude } : {}), settings: { build, steps: stepSettings } };
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** The files of a tree an image's tests are made of: those under any of its tests paths and under the folder mounted with them. */
export function testFilesOf(locations: { path: string; mount: string } | readonly { path: string; mount: string }[], files: readonly { path: string }[]): string[] {
  const list: readonly { path: string; mount: string }[] = Array.isArray(locations) ? locations : [locations];
  const roots = list.flatMap((location) => [location.path, ...(location.mount !== '' && location.mount !== '.' ? [location.mount] : [])]);
  return files.map((file) => file.path).filter((path) => roots.some((root) => path === root || path.startsWith(`${root}/`)));
}
