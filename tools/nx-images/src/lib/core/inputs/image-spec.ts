import { posix } from 'node:path';
import { imageTargetNames, stepsBeforeBuild, type ProjectLike } from '../graph/image-project';
import type { ContextCheck } from '../dockerfile/context-sources';
import { ignoreFileOf, type ImageBuildSpec, type InputsSource } from './build-inputs';

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

/**
 * What the steps before an image's build declare they write, from the
 * workspace root: each prepare step's copy and extract `to` (relative to
 * the image's folder), and any other step's Nx `outputs` ({projectRoot},
 * {workspaceRoot} filled in). The build may read these though git has none of them.
 */
export function stepOutputs(project: ProjectLike): string[] {
  const root = project.root ?? '';
  const targets = (project.targets ?? {}) as Record<string, (TargetLike & { outputs?: unknown }) | undefined>;
  const outputs: string[] = [];
  for (const step of stepsBeforeBuild(project)) {
    const target = targets[step];
    if (target?.executor === PREPARE_EXECUTOR) {
      for (const key of ['copy', 'extract'] as const) {
        for (const entry of (target.options?.[key] as { to?: unknown }[] | undefined) ?? []) {
          const to = text(entry.to);
          if (to) outputs.push(posix.join(root, to));
        }
      }
    }
    for (const output of Array.isArray(target?.outputs) ? (target.outputs as unknown[]) : []) {
      const path = text(output)?.replace('{projectRoot}', root).replace('{workspaceRoot}', '');
      if (path && !path.includes('{')) outputs.push(posix.normalize(path).replace(/^\/+/, ''));
    }
  }
  return [...new Set(outputs)];
}

/**
 * What checking an image's context reads, from a tree of files (a commit's
 * or the disk's) that holds the text of its Dockerfile and ignore files:
 * its Dockerfile and context as its build target says, the files, and what
 * the steps before the build write. Undefined when the tree has no such Dockerfile.
 */
export function contextCheckOf(image: string, project: ProjectLike, source: InputsSource): ContextCheck | undefined {
  const spec = imageBuildSpec(project);
  const dockerfile = posix.normalize(spec.dockerfile);
  const dockerfileText = source.text(dockerfile);
  if (dockerfileText === undefined) return undefined;
  const build = ((project.targets ?? {}) as Record<string, TargetLike | undefined>)[imageTargetNames(project).build]?.options ?? {};
  const target = text(build.target);
  return {
    image,
    dockerfile,
    text: dockerfileText,
    context: spec.context,
    files: source.files,
    ignoreFile: ignoreFileOf(dockerfile, spec.context, source),
    declared: stepOutputs(project),
    ...(target ? { target } : {}),
  };
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
