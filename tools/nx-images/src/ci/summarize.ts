import { readFanoutPlan } from '../lib/core/fanout';
import { readBuildRecord, readOutcomeRecord } from '../lib/io/build-record';
import { summaryOf, writeStepSummary, type ImageResult } from './step-summary';

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
  await writeStepSummary(env.GITHUB_STEP_SUMMARY, 'Images', summaryOf(plan, results));
  const notBuilt = results.filter((result) => result.outcome !== 'built');
  for (const result of results) log(`ci:images: ${result.image}: ${result.outcome}${result.outcome === 'built' ? '' : ` (${result.reason})`}`);
  if (notBuilt.length > 0) {
    console.error(`ci:images: not built: ${notBuilt.map((result) => `${result.image} (${result.outcome})`).join(', ')}; every other image of the plan was built.`);
    return 1;
  }
  log(`ci:images: all ${results.length} image(s) of the plan were built.`);
  return 0;
}
