import { errorMessage } from '../lib/core/errors';
import { readFanoutPlan, type FanoutPlan } from '../lib/core/ci/fanout';
import { renderPublishSummary } from '../lib/core/ci/summary';
import { cell } from '../lib/core/markdown';
import type { PublishRecord } from '../lib/io/publish';
import { publishRun } from './publish-run';
import { readBuildRecord, readOutcomeRecord } from '../lib/io/build-record';
import { differencesSection, summaryOf, type ImageResult } from './step-summary';
import { writeStepSummary } from '../lib/io/github-output';

/**
 * `npm run ci:images -- --summary`: the summary job. Reads the records every
 * image job left (downloaded into dist/) for the plan IMAGES_PLAN, writes one
 * step summary, and fails when any image of the plan was not built: failed,
 * skipped, stale, or its job left no record (it did not run to the end).
 */
export async function summarizeRun(cwd: string, env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<number> {
  const plan = readFanoutPlan(env.IMAGES_PLAN);
  const results: ImageResult[] = [];
  for (const { image } of plan.images) {
    const outcome = await readOutcomeRecord(cwd, image);
    const record = await readBuildRecord(cwd, image);
    if (outcome?.outcome === 'built' && record) results.push({ image, outcome: 'built', record });
    else if (outcome && outcome.outcome !== 'built') results.push({ image, outcome: outcome.outcome, reason: outcome.reason ?? outcome.outcome, ...(record ? { record } : {}) });
    else results.push({ image, outcome: 'failed', reason: 'its job left no record: it failed before the build ended, or did not run; see its log' });
  }
  // A retest's job leaves an outcome only: passed (or nothing to test) reads as built, failed as failed.
  for (const { image } of plan.retests ?? []) {
    const outcome = await readOutcomeRecord(cwd, image);
    if (outcome?.outcome === 'built') log(`ci:images: ${image}: retested: ${outcome.reason ?? 'passed'}`);
    else results.push({ image, outcome: 'failed', reason: outcome?.reason ?? 'its retest job left no record: see its log' });
  }
  const published = await publishAndReport(cwd, env, plan, results, log);
  await writeStepSummary(env.GITHUB_STEP_SUMMARY, 'Images', `${summaryOf(plan, results)}${await differencesSection(cwd, plan, results, log)}${published.markdown}`);
  const notBuilt = results.filter((result) => result.outcome !== 'built');
  for (const result of results) log(`ci:images: ${result.image}: ${result.outcome}${result.outcome === 'built' ? '' : ` (${result.reason})`}`);
  if (notBuilt.length > 0) {
    console.error(`ci:images: not built: ${notBuilt.map((result) => `${result.image} (${result.outcome})`).join(', ')}; every other image of the plan was built.`);
    return 1;
  }
  if (published.failed) return 1;
  log(`ci:images: all ${results.length} image(s) of the plan were built.`);
  return 0;
}

/**
 * Publishes the run (publish-run.ts) and says how it went: the summary's
 * mirrors section, and whether anything failed. A publish that cannot even
 * start (a bad IMAGE_MIRRORS) is a failure too, and the summary still comes.
 */
export async function publishAndReport(cwd: string, env: NodeJS.ProcessEnv, plan: FanoutPlan, results: readonly ImageResult[], log: (line: string) => void): Promise<{ markdown: string; failed: boolean }> {
  let records: PublishRecord[];
  try {
    records = await publishRun(cwd, env, plan, results, log);
  } catch (error) {
    const message = errorMessage(error);
    console.error(`ci:images: publishing failed: ${message}`);
    return { markdown: `\n**Publishing failed:** ${cell(message)}\n`, failed: true };
  }
  const errors = records.flatMap((record) => record.errors);
  for (const error of errors) console.error(`ci:images: ${error}`);
  if (errors.length > 0) console.error(`ci:images: ${errors.length} mirror or notification failure(s); the images stay pushed to ${plan.registry}: run again to complete.`);
  const section = renderPublishSummary(records);
  const failures = errors.length > 0 ? `**Publishing failed (${errors.length}):**\n\n${errors.map((error) => `- ${cell(error)}`).join('\n')}\n` : '';
  return { markdown: section || failures ? `\n### Mirrors and notifications\n\n${section}${failures}` : '', failed: errors.length > 0 };
}
