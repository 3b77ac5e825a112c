import { shortSha, TARGET } from '../naming/conventions';
import { UserError } from '../errors';
import { levelsOf, type ImageGraph, type Variant } from '../graph/image-graph';
import type { MovedBase } from './refresh';

/** One image this run builds, and why. */
export interface ChosenImage {
  image: string;
  /** The commit its inputs were compared with; undefined when the image is built regardless. */
  comparedWith?: string;
  why: string;
}

/** A chosen image in its place in this run's image graph. */
export interface PlannedImage extends ChosenImage {
  /** 1: takes from no image of this run; n: from images of levels below n. */
  level: number;
  /** The images of this run it takes from. */
  takesFrom: string[];
  /** Targets of its own project to run before its build (its docker-build dependsOn them); absent when none. */
  steps?: string[];
  /** The platforms its build makes (its platforms option, else the plugin's); absent: the runner's own, one. */
  platforms?: string[];
}

/** Places the chosen images in levels of the image graph; images not chosen are not built, so nothing waits for them. `steps`: each image's steps before the build. */
export function placeInLevels(graph: ImageGraph, chosen: readonly ChosenImage[], steps: Readonly<Record<string, readonly string[]>> = {}): PlannedImage[] {
  const names = chosen.map((entry) => entry.image);
  const levels = levelsOf(graph, names);
  return chosen.map((entry) => {
    const own = steps[entry.image] ?? [];
    return {
      ...entry,
      level: levels.findIndex((level) => level.includes(entry.image)) + 1,
      takesFrom: (graph.takesFrom[entry.image] ?? []).filter((base) => names.includes(base)),
      ...(own.length > 0 ? { steps: [...own] } : {}),
    };
  });
}

/** How an image of this run ended; `skipped`: not built, because an image it takes from failed or was skipped. */
export type Outcome = 'built' | 'failed' | 'skipped';

/**
 * The images of one level that must not be built, and why: each takes from
 * an image of this run that failed or was skipped. The others build.
 */
export function skipsIn(level: readonly PlannedImage[], outcomes: Readonly<Record<string, Outcome>>): { image: string; reason: string }[] {
  const skips: { image: string; reason: string }[] = [];
  for (const entry of level) {
    const broken = entry.takesFrom.filter((base) => outcomes[base] === 'failed' || outcomes[base] === 'skipped');
    if (broken.length === 0) continue;
    const why = broken.map((base) => `${base}, which ${outcomes[base] === 'failed' ? 'failed' : 'was skipped'}`).join(', and from ');
    skips.push({ image: entry.image, reason: `takes from ${why}` });
  }
  return skips;
}

export interface RunInput {
  /** Images to build, all of one level: none takes from another. */
  images: string[];
  tag: string;
  registry: string;
  repository: string;
  /** The default branch's tag: the base tag when the branch has no base of its own, and the shared cache. */
  defaultTag: string;
  push: boolean;
  parallel: number;
  /** Why the images' tests are skipped; undefined: each image is tested before it is pushed. */
  skipTests?: string;
  /** The run's one build time (ISO 8601), so every image's time tags and templated args agree, on one runner or many. */
  buildTime?: string;
  /** The name of the images' build target (the plugin's buildTargetName); absent: docker-build. */
  buildTarget?: string;
  /** Why every image is built anew, none reused; undefined: an image built before from the same inputs is taken. */
  rebuild?: string;
  /** One platform of images that build for several (a fan-out platform job): built for it alone, and when pushing, pushed by digest only. */
  platform?: string;
}

/** Why this run skips the images' tests, if it does: SKIP_TESTS (the workflow_dispatch input), or [skip-tests] in the head commit's message. */
export function skipTestsReason(context: { eventName: string; skipTestsAsked: boolean }, headMessage: string | undefined): string | undefined {
  if (context.skipTestsAsked) return context.eventName === 'workflow_dispatch' ? 'the workflow_dispatch input skip-tests' : 'SKIP_TESTS=true';
  if (headMessage?.includes('[skip-tests]')) return '[skip-tests] in the head commit message';
  return undefined;
}

/** Why this run builds every image of its plan anew, taking none an earlier push built from the same inputs: --rebuild, REBUILD (the workflow_dispatch input rebuild), or [rebuild] in the head commit's message. */
export function rebuildReason(context: { eventName: string; rebuildAsked: boolean }, headMessage: string | undefined, flag: boolean): string | undefined {
  if (flag) return '--rebuild';
  if (context.rebuildAsked) return context.eventName === 'workflow_dispatch' ? 'the workflow_dispatch input rebuild' : 'REBUILD=true';
  if (headMessage?.includes('[rebuild]')) return '[rebuild] in the head commit message';
  return undefined;
}

/**
 * The `nx run-many` arguments that build one level's images: task
 * dependencies excluded, so an image that was not affected is never built;
 * the levels before this one have built the bases it takes from.
 */
export function buildRunArgs(input: RunInput): string[] {
  if (input.images.length === 0) return [];
  return [
    'run-many',
    `--targets=${input.buildTarget ?? TARGET.build}`,
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
    ...(input.skipTests ? [`--skipTests=${input.skipTests}`] : ['--test']),
    ...(input.rebuild ? ['--reuse=false'] : []),
    ...(input.buildTime ? [`--buildTime=${input.buildTime}`] : []),
    ...(input.push ? ['--push'] : []),
    ...(input.platform ? [`--platforms=${input.platform}`, ...(input.push ? ['--digestOnly'] : [])] : []),
  ];
}

/** What a step before the build is told of the run, as variables: Nx hands overrides to nx:run-commands as extra arguments, never a variable. */
export const STEP_ENV = {
  registry: 'IMAGE_REGISTRY',
  repository: 'IMAGE_REPOSITORY',
  tag: 'IMAGE_TAG',
  fallbackTag: 'IMAGE_BASE_TAG_FALLBACK',
  /** true: the run pushes, so only the registry counts; false: the local engine is asked first. */
  push: 'IMAGE_PUSH',
} as const;

/** The variables of a step before the build: the run's registry, repository, tag, fallback tag and whether it pushes. */
export function stepEnv(input: Pick<RunInput, 'registry' | 'repository' | 'tag' | 'defaultTag' | 'push'>): Record<string, string> {
  return {
    [STEP_ENV.registry]: input.registry,
    [STEP_ENV.repository]: input.repository,
    [STEP_ENV.tag]: input.tag,
    [STEP_ENV.fallbackTag]: input.defaultTag,
    [STEP_ENV.push]: String(input.push),
  };
}

/** The `nx run` arguments of one step before an image's build: the step alone, as the build runs without its task dependencies. */
export function stepRunArgs(image: string, step: string): string[] {
  return ['run', `${image}:${step}`, '--exclude-task-dependencies', '--outputStyle=stream'];
}

/** How many images build at once: BUILD_PARALLEL, default 1 (multi-gigabyte images on a small runner). */
export function parallelFrom(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return 1;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64) {
    throw new UserError({ subject: 'BUILD_PARALLEL', problem: `${JSON.stringify(value)} is not a number of builds from 1 to 64`, fix: 'set it to e.g. 1 or 2' });
  }
  return n;
}

/** Everything a run of the image build decides before it builds anything. */
export interface ImagesPlan {
  eventName: string;
  /** The commit built. */
  head: string;
  branch: string;
  tag: string;
  /** The default branch's tag: every base falls back to it, and its layer cache is shared. */
  defaultTag: string;
  registry: string;
  repository: string;
  push: boolean;
  /** How many images of one level build at once. */
  parallel: number;
  graph: ImageGraph;
  images: PlannedImage[];
  /** The images of this run by level, level 1 first. */
  levels: string[][];
  /** The commits the images were compared against. */
  compareCommits: string[];
  /** Images the push removed (or renamed): nothing is built for them, and their tags are left alone. */
  removed: { image: string; renamedTo?: string }[];
  /** Files the push changed that no image's build reads and no image's tests are made of. */
  unread: string[];
  /** Images whose tests changed while what their build reads did not: tested again as they are under the tag. */
  retests: { image: string; files: string[] }[];
  /** The digest of what each image of the run reads at HEAD: a base reused for this run is recognized by it. */
  inputs?: Record<string, string>;
  /** A refresh's outside images that moved, each under the image that read it. */
  moved?: MovedBase[];
  /** Why every image is built anew, none reused. */
  rebuild?: string;
  /** The name of the images' test target, which a retest runs; absent: image-test. */
  testTarget?: string;
  /** One line per image: what it was compared with, and whether and why it is affected. */
  lines: string[];
  /** Why the images' tests are skipped; undefined: every image with tests is tested before it is pushed. */
  skipTests?: string;
  /** Every image of the repository, whether this run builds it or not. */
  allImages: string[];
  /** This run pushes a publish branch: its tags go to the mirrors and the notification endpoints. */
  publish: boolean;
  /** When the plan was made: every image of the run is built with this time (ISO 8601, UTC). */
  buildTime?: string;
  /** The projects that are variants, by project: their registry name and tag prefix (see registryImageOf). */
  variants?: Record<string, Variant>;
  /** The name of the images' build target, as the plugin inferred it; absent: docker-build. */
  buildTarget?: string;
  /** The name of the images' diff target (diffTargetName), which the summary points to for a whole list; absent: image-diff. */
  diffTarget?: string;
  /** Platform -> `runs-on` label of the runner that builds it natively (the plugin option platformRunners); absent: the defaults. */
  platformRunners?: Record<string, string>;
}

/** The plan as the lines a person reads in the log; also what --dry-run prints. */
export function formatPlan(plan: ImagesPlan): string[] {
  const lines = [
    `ci:images: ${plan.eventName} on ${plan.branch} -> tag ${plan.tag}, head ${shortSha(plan.head)}, ${plan.push ? 'push' : 'no push'} to ${plan.registry}/${plan.repository}`,
    ...plan.lines.map((line) => `  ${line}`),
  ];
  if (plan.skipTests) lines.push(`ci:images: tests skipped: ${plan.skipTests}`);
  if (plan.rebuild) lines.push(`ci:images: every image built anew, none reused: ${plan.rebuild}`);
  if (plan.images.length === 0) {
    lines.push('ci:images: no image is affected; nothing to build.');
    return lines;
  }
  for (const [index, level] of plan.levels.entries()) {
    const described = level.map((image) => {
      const takesFrom = plan.images.find((entry) => entry.image === image)?.takesFrom ?? [];
      return takesFrom.length > 0 ? `${image} (after ${takesFrom.join(', ')})` : image;
    });
    lines.push(`ci:images: level ${index + 1}: ${described.join(', ')}`);
  }
  return lines;
}
