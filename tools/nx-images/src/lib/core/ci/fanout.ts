import type { ImagesPlan, PlannedImage } from './ci-plan';
import { isFullSha, shortSha } from '../naming/conventions';
import { UserError } from '../errors';
import type { ImageGraph } from '../graph/image-graph';
import { isValidImageName } from '../naming/refs';
import { isValidTag } from '../naming/tags';
import { parsePlatform, platformKey } from '../naming/platforms';
import { DEFAULT_PLATFORM, DEFAULT_PLATFORM_RUNNERS, levelJobs, runnerFor, type PlatformJob } from './platform-jobs';

/**
 * The fan-out: the plan job decides, one job per image builds, level after
 * level, and a summary job gathers. What the plan hands on is plain data: the
 * plan itself (the same decisions ci:images makes on one runner) and, per
 * level, the matrix of its jobs.
 */

/** What the plan job hands to every image job and to the summary: the plan without what only the planner needs. */
export type FanoutPlan = Omit<ImagesPlan, 'graph' | 'lines'>;

const PLAN_VERSION = 2;

export function toFanoutPlan(plan: ImagesPlan): FanoutPlan {
  const { graph: _graph, lines: _lines, ...rest } = plan;
  return rest;
}

/** The plan as one line of JSON, for a job output. */
export function serializePlan(plan: FanoutPlan): string {
  return JSON.stringify({ version: PLAN_VERSION, ...plan });
}

/**
 * The plan a job was handed (the IMAGES_PLAN variable), checked: a job
 * builds only on a plan it can trust to be whole, and says how to get one.
 */
export function readFanoutPlan(text: string | undefined): FanoutPlan {
  const fix = 'run it from the plan job\'s outputs (IMAGES_PLAN), or make one with npm run ci:images -- --plan';
  if (!text?.trim()) throw new UserError({ subject: 'ci:images', problem: 'IMAGES_PLAN is empty', fix });
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new UserError({ subject: 'ci:images', problem: 'IMAGES_PLAN is not JSON', fix });
  }
  const plan = parsed as Partial<FanoutPlan> & { version?: unknown };
  const problem =
    plan.version !== PLAN_VERSION
      ? `its version ${JSON.stringify(plan.version)} is not ${PLAN_VERSION}`
      : typeof plan.head !== 'string' || !isFullSha(plan.head)
        ? 'its head is not a commit'
        : typeof plan.tag !== 'string' || !isValidTag(plan.tag) || typeof plan.defaultTag !== 'string' || !isValidTag(plan.defaultTag)
          ? 'its tags are not Docker tags'
          : typeof plan.registry !== 'string' || typeof plan.repository !== 'string' || typeof plan.push !== 'boolean'
            ? 'it has no registry, repository or push'
            : !Array.isArray(plan.images) || !Array.isArray(plan.levels) || !plan.images.every(isPlannedImage)
              ? 'its images are not a list of planned images'
              : !Array.isArray(plan.allImages) || !plan.allImages.every((image) => typeof image === 'string' && isValidImageName(image)) || typeof plan.publish !== 'boolean'
                ? 'it does not list every image, or whether it publishes'
                : plan.buildTime !== undefined && (typeof plan.buildTime !== 'string' || Number.isNaN(Date.parse(plan.buildTime)))
                  ? 'its build time is not a time'
                  : plan.buildTarget !== undefined && !isStepName(plan.buildTarget)
                    ? 'its build target is not a target name'
                    : plan.diffTarget !== undefined && !isStepName(plan.diffTarget)
                      ? 'its diff target is not a target name'
                      : plan.platformRunners !== undefined && !isRunnerMap(plan.platformRunners)
                        ? 'its platform runners are not platform -> runner label'
                        : undefined;
  if (problem) throw new UserError({ subject: 'ci:images', problem: `IMAGES_PLAN is not a plan this version made (${problem})`, fix });
  const { version: _version, ...rest } = plan;
  return rest as FanoutPlan;
}

function isPlannedImage(value: unknown): value is PlannedImage {
  const entry = value as Partial<PlannedImage>;
  return (
    typeof entry.image === 'string' &&
    isValidImageName(entry.image) &&
    typeof entry.level === 'number' &&
    Array.isArray(entry.takesFrom) &&
    entry.takesFrom.every((base) => typeof base === 'string' && isValidImageName(base)) &&
    (entry.steps === undefined || (Array.isArray(entry.steps) && entry.steps.every(isStepName))) &&
    (entry.platforms === undefined || (Array.isArray(entry.platforms) && entry.platforms.every((platform) => typeof platform === 'string' && parsePlatform(platform) !== undefined))) &&
    typeof entry.why === 'string'
  );
}

/** A runner per platform, each a plain label (it becomes a job's runs-on, never an expression). */
function isRunnerMap(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  return Object.entries(value).every(([platform, label]) => parsePlatform(platform) !== undefined && typeof label === 'string' && /^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(label));
}

/** A target name a job may hand to `nx run <image>:<step>`: never empty, never read as an option or a configuration. */
export function isStepName(value: unknown): boolean {
  return typeof value === 'string' && /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(value);
}

/** One job of a level's matrix: what image-build.yml hands image-build-one.yml. */
export interface MatrixEntry {
  /** Its images, comma-separated: one, unless the level was packed (see platform-jobs.ts). */
  image: string;
  /** The one platform it builds its images for; empty: each image's own (the runner's, or its one platforms entry). */
  platform: string;
  /** The label of the runner it runs on: the platform's native one (the plugin option platformRunners). */
  'runs-on': string;
  /** What names its artifacts (see PlatformJob.id). */
  job: string;
  /** The artifacts holding this run's bases of its images, as a download-artifact pattern; empty when it needs none. */
  artifacts: string;
}

/** The artifact that carries the images a pull request's job built, for the next levels (nothing of a pull request is pushed). */
export function imageArtifact(job: string): string {
  return `image-${job}`;
}

/** The artifact that carries a job's records, for the summary job. */
export function recordArtifact(job: string): string {
  return `record-${job}`;
}

/** The artifact that carries a platform job's records, for its level's merge job (never the summary's: the merge writes the image's). */
export function platformArtifact(job: string): string {
  return `platform-${job}`;
}

/** The jobs of every level of the plan: one per image and platform, packed when a level exceeds a matrix. */
export function planJobs(plan: FanoutPlan): { level: number; jobs: PlatformJob[]; packed?: string }[] {
  const runners = plan.platformRunners ?? DEFAULT_PLATFORM_RUNNERS;
  return plan.levels.map((_names, index) => {
    const level = index + 1;
    const images = plan.images.filter((entry) => entry.level === level).map((entry) => ({ image: entry.image, platforms: entry.platforms ?? [] }));
    return { level, ...levelJobs(level, images, runners) };
  });
}

/**
 * The plan job's outputs: `plan`, `levels` (how many), `level1` ...
 * `level<levelJobs>`, each a JSON list of matrix entries (`[]` for a level
 * with nothing to build, so its job is skipped), and `merge1` ...
 * `merge<levelJobs>`, each the download pattern of the level's platform jobs
 * whose images its merge job writes as one index (empty: no image of the
 * level has several platforms, so the merge job is skipped). Without
 * `levelJobs` (a plan made outside a workflow) there is one of each per
 * level of the plan. A run deeper than the workflow's level jobs cannot be
 * fanned out: the plan fails and says how to make room.
 */
export function planOutputs(plan: FanoutPlan, levelJobs: number = plan.levels.length): Record<string, string> {
  if (plan.levels.length > levelJobs) {
    throw new UserError({
      subject: 'ci:images',
      problem: `this run's image graph has ${plan.levels.length} levels, but image-build.yml has ${levelJobs} level jobs`,
      fix: `add jobs level${levelJobs + 1} and merge${levelJobs + 1} (copies of level${levelJobs} and merge${levelJobs}, each after the one before, and the summary job's needs), and raise LEVEL_JOBS there to ${plan.levels.length}`,
    });
  }
  const jobs = planJobs(plan);
  // Where each image's build for each platform is, for a pull request's dependents: its job, keyed by image and platform ('' for an image of one).
  const holder = new Map<string, string>();
  for (const job of jobs.flatMap((level) => level.jobs)) for (const image of job.images) holder.set(`${image}\u0000${job.part ? platformKey(job.platform) : ''}`, job.id);
  const basesOf = (job: PlatformJob): string[] => {
    // A job of no platform runs on the default runner, of DEFAULT_PLATFORM.
    const own = platformKey(job.platform || DEFAULT_PLATFORM);
    const bases = new Set(job.images.flatMap((image) => plan.images.find((entry) => entry.image === image)?.takesFrom ?? []));
    return [...bases].flatMap((base) => {
      const id = holder.get(`${base}\u0000${own}`) ?? holder.get(`${base}\u0000`);
      return id === undefined ? [] : [id];
    });
  };
  // A retest builds nothing and waits for nothing: its job runs in the first level, on the default runner.
  const runners = plan.platformRunners ?? DEFAULT_PLATFORM_RUNNERS;
  const retests = (plan.retests ?? []).map((entry): MatrixEntry => ({ image: entry.image, platform: '', 'runs-on': runnerFor('', runners), job: entry.image, artifacts: '' }));
  const levels = Math.max(plan.levels.length, retests.length > 0 ? 1 : 0);
  const outputs: Record<string, string> = { plan: serializePlan(plan), levels: String(levels), publish: String(plan.publish) };
  for (let level = 1; level <= Math.max(levelJobs, levels); level++) {
    const own = jobs.find((entry) => entry.level === level)?.jobs ?? [];
    const entries = own.map((job): MatrixEntry => ({ image: job.images.join(','), platform: job.platform, 'runs-on': job.runsOn, job: job.id, artifacts: plan.push ? '' : artifactPattern(basesOf(job)) }));
    outputs[`level${level}`] = JSON.stringify([...entries, ...(level === 1 ? retests : [])].sort((a, b) => a.job.localeCompare(b.job)));
    const parts = own.filter((job) => job.part).map((job) => job.id);
    outputs[`merge${level}`] = parts.length === 0 ? '' : `${platformArtifact('')}@(${[...parts].sort().join('|')})`;
  }
  return outputs;
}

/** The plan job's outputs when nothing is to be built (a deleted branch): every level empty, so every level job is skipped; without `levelJobs`, no level at all. */
export function noBuildOutputs(levelJobs = 0): Record<string, string> {
  const outputs: Record<string, string> = { plan: '', levels: '0', publish: 'false' };
  for (let level = 1; level <= levelJobs; level++) Object.assign(outputs, { [`level${level}`]: '[]', [`merge${level}`]: '' });
  return outputs;
}

/** actions/download-artifact's pattern (minimatch, extglob) for the image artifacts of these jobs; empty for none. */
export function artifactPattern(jobs: readonly string[]): string {
  if (jobs.length === 0) return '';
  return `${imageArtifact('')}@(${[...new Set(jobs)].sort().join('|')})`;
}

/** How one base of this run stands when a job of a later level looks at its tag in the registry. */
export type BaseInRun = { kind: 'ready' } | { kind: 'missing'; reason: string } | { kind: 'stale'; reason: string };

/**
 * A base built earlier in this run is used only if the registry's tag was
 * built from this run's commit, or reused for it (its inputs label is the
 * plan's digest of its inputs). Built from a commit this one descends from
 * (or absent): this run's build of it did not land, so the image is skipped.
 * Built from any other commit: a newer run (or a force push) moved the tag,
 * so this run is stale and must not build on it.
 */
export function baseInRun(
  base: string,
  reference: string,
  head: string,
  observed: { kind: 'absent' } | { kind: 'present'; revision?: string; ancestorOfHead: boolean; inputs?: string },
  /** The digest of the base's inputs at this run's commit, as the plan computed it. */
  expectedInputs?: string,
): BaseInRun {
  if (observed.kind === 'absent') return { kind: 'missing', reason: `takes from ${base}, which this run did not build (${reference} does not exist)` };
  const revision = observed.revision;
  if (revision === head) return { kind: 'ready' };
  // Reused for this run (an earlier push built it from the same inputs): built from another commit, and this run's all the same.
  if (expectedInputs !== undefined && observed.inputs === expectedInputs) return { kind: 'ready' };
  if (revision === undefined || observed.ancestorOfHead) {
    return { kind: 'missing', reason: `takes from ${base}, which this run did not build (${reference} is still from ${revision ? shortSha(revision) : 'no commit'})` };
  }
  return {
    kind: 'stale',
    reason: `${reference} was built from ${shortSha(revision)}, not this run's ${shortSha(head)}: a newer run moved it, so this run is stale; it stops rather than build on that`,
  };
}

/**
 * The image graph as a Mermaid flowchart for the step summary: every image,
 * an arrow from each base to the images built from it, and the images of
 * this run marked with their level.
 */
export function mermaidGraph(graph: ImageGraph, planned: readonly Pick<PlannedImage, 'image' | 'level'>[]): string {
  const ids = new Map(graph.images.map((image, index) => [image, `i${index}`]));
  const lines = ['```mermaid', 'flowchart LR'];
  for (const image of graph.images) {
    const entry = planned.find((candidate) => candidate.image === image);
    const label = entry ? `${image}<br/>level ${entry.level}` : image;
    lines.push(`  ${ids.get(image) ?? ''}["${label}"]`);
  }
  for (const image of graph.images) {
    for (const base of graph.takesFrom[image] ?? []) lines.push(`  ${ids.get(base) ?? ''} --> ${ids.get(image) ?? ''}`);
  }
  const built = planned.map((entry) => ids.get(entry.image)).filter((id): id is string => id !== undefined);
  if (built.length > 0) {
    lines.push('  classDef built fill:#fde68a,stroke:#b45309,stroke-width:2px');
    lines.push(`  class ${built.join(',')} built`);
  }
  lines.push('```');
  return lines.join('\n');
}
