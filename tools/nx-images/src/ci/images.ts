/**
 * `npm run ci:images`: builds, tags and pushes the images a push changed,
 * level after level of the image graph. Reads the GitHub environment when
 * there is one; on a laptop it compares against the merge-base with the
 * default branch and pushes only with --push. Options: --push, --dry-run.
 */
import { appendFile, readFile } from 'node:fs/promises';
import { formatPlan, parallelFrom, type ImagesPlan } from '../lib/core/ci-plan';
import { errorMessage, UserError } from '../lib/core/errors';
import { readGithubContext, type GithubContext } from '../lib/core/github-event';
import { commandLine } from '../lib/core/quote';
import { renderSummary, type SummaryRow } from '../lib/core/summary';
import { planImages } from './plan-images';
import { levelCommands, runLevels, type ImageResult } from './run-levels';

const FLAGS = ['--push', '--dry-run'];

async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const flags = new Set(argv);
  for (const flag of flags) {
    if (!FLAGS.includes(flag)) throw new UserError(`ci:images: unknown argument ${JSON.stringify(flag)}: use ${FLAGS.join(' or ')}.`);
  }
  const cwd = process.cwd();
  const event = env.GITHUB_EVENT_PATH ? (JSON.parse(await readFile(env.GITHUB_EVENT_PATH, 'utf8')) as unknown) : undefined;
  const context = readGithubContext(env, event);
  if (context.deleted) {
    console.log('ci:images: the push deleted the branch; nothing to build.');
    await writeSummary(context, 'The push deleted the branch; nothing was built.\n');
    return 0;
  }
  const plan = await planImages({ cwd, env, context, push: flags.has('--push'), parallel: parallelFrom(env.BUILD_PARALLEL) });
  for (const line of formatPlan(plan)) console.log(line);
  if (plan.images.length === 0) {
    await writeSummary(context, summaryOf(plan, []));
    return 0;
  }
  if (flags.has('--dry-run')) {
    for (const [index, args] of levelCommands(plan).entries()) console.log(`ci:images: level ${index + 1}: ${commandLine('nx', args)}`);
    return 0;
  }
  const results = await runLevels(plan, cwd, (line) => console.log(line));
  await writeSummary(context, summaryOf(plan, results));
  const failed = results.filter((result) => result.outcome === 'failed').map((result) => result.image);
  const skipped = results.filter((result) => result.outcome === 'skipped').map((result) => result.image);
  if (failed.length > 0) {
    const others = skipped.length > 0 ? `; skipped, as they take from it: ${skipped.join(', ')}` : '';
    console.error(`ci:images: failed: ${failed.join(', ')}${others}; every other image was built.`);
    return 1;
  }
  return 0;
}

/** The step summary: a row per image of the plan, with what its build recorded. */
function summaryOf(plan: ImagesPlan, results: readonly ImageResult[]): string {
  const rows = plan.images.map((entry): SummaryRow => {
    const result = results.find((candidate) => candidate.image === entry.image);
    const record = result?.outcome === 'built' ? result.record : undefined;
    const external = record?.baseImage !== undefined && !record.bases.some((base) => base.reference === record.baseImage) ? record.baseImage : undefined;
    return {
      image: entry.image,
      level: entry.level,
      tag: plan.tag,
      pushed: record?.pushed ?? false,
      ...(record?.digest ? { digest: record.digest } : {}),
      ...(record?.skippedPush ? { skippedReason: record.skippedPush } : {}),
      bases: record?.bases ?? [],
      ...(external ? { externalBase: external } : {}),
      why: entry.why,
      ...(result?.outcome === 'failed' ? { failed: result.reason } : {}),
      ...(result?.outcome === 'skipped' ? { skipped: result.reason } : {}),
    };
  });
  return renderSummary(rows, { head: plan.head, compareCommits: plan.compareCommits, workspaceFilesChanged: plan.workspaceFiles, eventName: plan.eventName });
}

async function writeSummary(context: GithubContext, markdown: string): Promise<void> {
  if (context.stepSummaryPath) await appendFile(context.stepSummaryPath, `## Images\n\n${markdown}`);
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
