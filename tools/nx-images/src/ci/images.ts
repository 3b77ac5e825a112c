/**
 * `npm run ci:images`: builds, tags and pushes the images a push changed,
 * level after level of the image graph. Reads the GitHub environment when
 * there is one; on a laptop it compares against the merge-base with the
 * default branch and pushes only with --push.
 *
 * One runner (the default): plan, then build every level here.
 * Fanned out over runners (image-build.yml):
 *   --plan      plan only: print it, write it to the step summary and the job outputs
 *   --image     build the images IMAGE (one, or several of a packed level) of the plan IMAGES_PLAN, for PLATFORM when it names one
 *   --merge     write one index per image of level LEVEL built for several platforms, from its platform jobs' records
 *   --summary   gather every image job's records into one summary; fail if any image was not built
 * Also: --push (a laptop run pushes), --dry-run (plan and print the commands),
 * --refresh (rebuild what moved outside images make stale; the schedule event
 * and REFRESH=true do the same), --rebuild (build anew, reuse nothing; REBUILD=true
 * and [rebuild] in the head commit do the same), --registry= and --repository=
 * (in place of IMAGE_REGISTRY and IMAGE_REPOSITORY).
 */
import { readFile } from 'node:fs/promises';
import { parseCiImagesArgs } from '../lib/core/ci/ci-images-args';
import { formatPlan, parallelFrom } from '../lib/core/ci/ci-plan';
import { errorMessage, UserError } from '../lib/core/errors';
import { mermaidGraph, noBuildOutputs, planJobs, planOutputs, toFanoutPlan, type FanoutPlan } from '../lib/core/ci/fanout';
import { readGithubContext } from '../lib/core/github/github-event';
import { commandLine } from '../lib/core/quote';
import { renderPlanSummary, renderRetests } from '../lib/core/ci/summary';
import { writeStepOutputs } from '../lib/io/github-output';
import { builtSubject, subjectsMatrixOutput } from '../lib/core/ci/provenance';
import type * as BuildOne from './build-one';
import type * as MergePlatforms from './merge-platforms';
import type * as Retest from './retest';
import type { RetestResult } from './retest';
import type * as RunLevels from './run-levels';
import type * as StepsBeforeBuild from './steps-before-build';
import type * as StepSummary from './step-summary';
import type * as Summarize from './summarize';
import { planImages } from './plan-images';
import { writeStepSummary } from '../lib/io/github-output';

async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const args = parseCiImagesArgs(argv);
  const cwd = process.cwd();
  const log = (line: string) => console.log(line);
  // Each job loads what it runs: a plan, the most frequent, loads no build, merge or summary.
  if (args.mode === 'image') return (load('./build-one') as typeof BuildOne).buildOne(cwd, env, log);
  if (args.mode === 'merge') return (load('./merge-platforms') as typeof MergePlatforms).mergeLevel(cwd, env, log);
  if (args.mode === 'summary') return (load('./summarize') as typeof Summarize).summarizeRun(cwd, env, log);

  const event = env.GITHUB_EVENT_PATH?.trim() ? await readEvent(env.GITHUB_EVENT_PATH) : undefined;
  const context = readGithubContext(env, event);
  if (context.deleted) {
    log('ci:images: the push deleted the branch; nothing to build.');
    await writeStepSummary(context.stepSummaryPath, 'Images', 'The push deleted the branch; nothing was built.\n');
    if (args.mode === 'plan' && env.GITHUB_OUTPUT) await writeStepOutputs(env.GITHUB_OUTPUT, noBuildOutputs(levelJobsFrom(env.LEVEL_JOBS)));
    return 0;
  }
  const plan = await planImages({ cwd, env, context, push: args.push, refresh: args.refresh, rebuild: args.rebuild, registry: args.registry, repository: args.repository, now: new Date(), parallel: parallelFrom(env.BUILD_PARALLEL) });
  for (const line of formatPlan(plan)) log(line);
  const fanout = toFanoutPlan(plan);

  if (args.mode === 'plan') {
    const outputs = planOutputs(fanout, levelJobsFrom(env.LEVEL_JOBS));
    for (const { packed } of planJobs(fanout)) if (packed) log(`ci:images: ${packed}`);
    await writeStepSummary(context.stepSummaryPath, 'Image plan', renderPlanSummary(plan, mermaidGraph(plan.graph, plan.images)));
    if (env.GITHUB_OUTPUT) await writeStepOutputs(env.GITHUB_OUTPUT, outputs);
    else for (const [name, value] of Object.entries(outputs)) if (name !== 'plan') log(`ci:images: ${name} = ${value}`);
    return 0;
  }
  const { publishAndReport } = load('./summarize') as typeof Summarize;
  const { differencesSection, summaryOf } = load('./step-summary') as typeof StepSummary;
  if (plan.images.length === 0) {
    // Nothing to build, but an earlier run's unfinished mirror copies are still completed, and changed tests run.
    const retests = args.dryRun ? [] : await runRetests(cwd, fanout, log);
    const published = args.dryRun ? { markdown: '', failed: false } : await publishAndReport(cwd, env, fanout, [], log);
    await writeStepSummary(context.stepSummaryPath, 'Images', `${summaryOf(fanout, [])}${renderRetests(retests)}${published.markdown}`);
    return published.failed || retestsFailed(retests) ? 1 : 0;
  }
  const { levelCommands, runLevels } = load('./run-levels') as typeof RunLevels;
  if (args.dryRun) {
    const { stepCommands } = load('./steps-before-build') as typeof StepsBeforeBuild;
    for (const [index, args] of levelCommands(fanout).entries()) {
      for (const step of stepCommands(fanout, fanout.levels[index] ?? [])) log(`ci:images: level ${index + 1}: before the build: ${commandLine('nx', step)}`);
      log(`ci:images: level ${index + 1}: ${commandLine('nx', args)}`);
    }
    return 0;
  }
  const results = await runLevels(fanout, cwd, log);
  const retests = await runRetests(cwd, fanout, log);
  // The digests pushed, for the single job's attest matrix (skipped when `[]`).
  const pushed = results.flatMap((result) => (result.record ? [builtSubject(result.record)] : [])).filter((subject) => subject !== undefined);
  if (env.GITHUB_OUTPUT) await writeStepOutputs(env.GITHUB_OUTPUT, subjectsMatrixOutput(pushed));
  const published = await publishAndReport(cwd, env, fanout, results, log);
  await writeStepSummary(context.stepSummaryPath, 'Images', `${summaryOf(fanout, results)}${renderRetests(retests)}${await differencesSection(cwd, fanout, results, log)}${published.markdown}`);
  const failed = [...results.filter((result) => result.outcome === 'failed').map((result) => result.image), ...retests.filter((retest) => retest.result === 'failed').map((retest) => `${retest.image} (its tests)`)];
  const skipped = results.filter((result) => result.outcome === 'skipped').map((result) => result.image);
  if (failed.length > 0) {
    const others = skipped.length > 0 ? `; skipped, as they take from it: ${skipped.join(', ')}` : '';
    console.error(`ci:images: failed: ${failed.join(', ')}${others}; every other image was built.`);
    return 1;
  }
  return published.failed ? 1 : 0;
}

/** Each image whose tests alone changed, tested as it is under the tag, one after another. */
async function runRetests(cwd: string, plan: FanoutPlan, log: (line: string) => void): Promise<RetestResult[]> {
  const { retestImage } = load('./retest') as typeof Retest;
  const results: RetestResult[] = [];
  for (const { image } of plan.retests) results.push(await retestImage(cwd, plan, image, log));
  return results;
}

function retestsFailed(retests: readonly RetestResult[]): boolean {
  const failed = retests.filter((retest) => retest.result === 'failed').map((retest) => retest.image);
  if (failed.length > 0) console.error(`ci:images: the tests of ${failed.join(', ')} failed against the image under the tag; no tag moved.`);
  return failed.length > 0;
}

/** A module of this folder, loaded when its job runs: a plan, the most frequent job, loads no build, merge or summary code (and not execa's users it needs not). */
function load(path: string): unknown {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(path);
}

/** The event JSON GitHub wrote; unset or empty GITHUB_EVENT_PATH (a laptop) means no event. */
async function readEvent(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as unknown;
  } catch (error) {
    throw new UserError({ subject: 'ci:images', problem: `GITHUB_EVENT_PATH ${path} could not be read as JSON (${errorMessage(error)})`, fix: 'run in GitHub Actions, point it at an event file, or unset it' });
  }
}

/** LEVEL_JOBS: how many level jobs image-build.yml has; unset or empty (a laptop's plan): as many as the plan has levels. */
function levelJobsFrom(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const jobs = Number(value);
  if (!Number.isInteger(jobs) || jobs < 1) throw new UserError({ subject: 'ci:images', problem: `LEVEL_JOBS=${JSON.stringify(value)} is not a number of level jobs`, fix: 'set it to the number of levelN jobs in image-build.yml' });
  return jobs;
}

main(process.argv.slice(2), process.env).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof UserError ? errorMessage(error) : `ci:images: ${errorMessage(error)}`);
    process.exitCode = 1;
  },
);
