import { posix } from 'node:path';
import { missingContextSources, type MissingSource } from '../dockerfile/context-sources';
import type { ProjectLike } from '../graph/image-project';
import { contextCheckOf } from '../inputs/image-spec';
import { TARGET } from '../naming/conventions';

/** The executor of the step init writes. */
export const PREPARE_EXECUTOR = '@fornax/nx-images:prepare';

/** An image whose context lacks root files its Dockerfile copies: the prepare step that copies them in. */
export interface PrepareCopies {
  image: string;
  /** The image's folder, where its project.json is. */
  root: string;
  /** The step's target name in that project.json. */
  target: string;
  /** From the repository root, to the image's folder. */
  copies: { from: string; to: string }[];
}

/** What init does about the images' build contexts: steps to write, and sources it cannot provide. */
export interface ContextPlan {
  prepare: PrepareCopies[];
  /** Sources found nowhere, left out by .dockerignore, or wildcards that match nothing: each reported in one line. */
  unresolved: MissingSource[];
}

/** One image as init sees it: its project (from its project.json, if it has one) and the tree it was read from. */
export interface ContextImage {
  name: string;
  root: string;
  /** Its project.json, parsed; undefined when it has none. */
  projectJson?: { targets?: ProjectLike['targets'] };
}

/**
 * Checks every image's context against the repository's files (paths from
 * the root, files and folders) and texts (Dockerfiles, ignore files): a
 * missing source that is a file or folder at the repository root becomes a
 * prepare step copying it into the image's folder; any other is reported.
 */
export function contextPlan(images: readonly ContextImage[], paths: readonly string[], text: (path: string) => string | undefined): ContextPlan {
  const files = paths.map((path) => ({ path, mode: '', id: '' }));
  const prepare: PrepareCopies[] = [];
  const unresolved: MissingSource[] = [];
  for (const image of images) {
    const project: ProjectLike = { name: image.name, root: image.root, targets: image.projectJson?.targets ?? {} };
    const check = contextCheckOf(image.name, project, { files, text });
    if (!check) continue;
    const copies: { from: string; to: string }[] = [];
    for (const missing of missingContextSources(check)) {
      const to = posix.relative(image.root, missing.inContext);
      if (missing.atRoot && missing.fails && to !== '' && !to.startsWith('..')) {
        if (!copies.some((copy) => copy.to === to)) copies.push({ from: missing.atRoot, to });
      } else {
        unresolved.push(missing);
      }
    }
    if (copies.length > 0) prepare.push({ image: image.name, root: image.root, target: prepareTarget(image.projectJson?.targets ?? {}), copies });
  }
  return { prepare, unresolved };
}

/** `prepare`, unless the project has a target of that name that is another kind of step. */
function prepareTarget(targets: NonNullable<ProjectLike['targets']>): string {
  for (const name of ['prepare', 'prepare-context']) {
    const existing = targets[name] as { executor?: unknown } | undefined;
    if (existing === undefined || existing.executor === PREPARE_EXECUTOR) return name;
  }
  return 'prepare-root-files';
}

/**
 * The image's project.json with the step: the prepare target (kept, with the
 * copies it lacks added) and docker-build depending on it after its bases
 * ("..."); everything else as it was.
 */
export function withPrepareStep(projectJson: Record<string, unknown> | undefined, step: PrepareCopies, buildTarget: string = TARGET.build): Record<string, unknown> {
  const json: Record<string, unknown> = projectJson ? structuredClone(projectJson) : { $schema: `${posix.relative(step.root, '.') || '.'}/node_modules/nx/schemas/project-schema.json` };
  const targets = (json.targets ??= {}) as Record<string, Record<string, unknown>>;
  const target = (targets[step.target] ??= { executor: PREPARE_EXECUTOR, cache: false, options: {} });
  const options = (target.options ??= {}) as { copy?: { from: string; to: string }[] };
  const copy = (options.copy ??= []);
  for (const entry of step.copies) if (!copy.some((existing) => existing.to === entry.to)) copy.push(entry);
  const build = (targets[buildTarget] ??= {});
  const dependsOn = (build.dependsOn ??= ['...']) as unknown[];
  const named = dependsOn.some((entry) => entry === step.target || (typeof entry === 'object' && entry !== null && (entry as { target?: unknown }).target === step.target && (entry as { projects?: unknown }).projects === undefined));
  if (!named) dependsOn.push(step.target);
  return json;
}

/** The image folder's .gitignore with each path a step writes (anchored to that folder); undefined when it already has them all. */
export function gitignoreWith(text: string | undefined, paths: readonly string[]): string | undefined {
  const lines = (text ?? '').split(/\r?\n/).map((line) => line.trim());
  const wanted = paths.map((path) => `/${path}`).filter((line) => !lines.includes(line) && !lines.includes(line.slice(1)));
  if (wanted.length === 0) return undefined;
  const before = text ?? '';
  return `${before}${before === '' || before.endsWith('\n') ? '' : '\n'}${before === '' ? '# Written by the prepare step before the build (nx g @fornax/nx-images:init)\n' : ''}${wanted.join('\n')}\n`;
}
