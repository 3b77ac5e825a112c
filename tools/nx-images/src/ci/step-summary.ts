import { appendFile } from 'node:fs/promises';
import type { FanoutPlan } from '../lib/core/ci/fanout';
import { renderSummary, type SummaryRow } from '../lib/core/ci/summary';
import { describeResult } from '../lib/core/evidence/image-tests';
import type { BuildRecord } from '../lib/io/build-record';

/** How one image of the run ended, with its build's record when it was built. */
export type ImageResult =
  | { image: string; outcome: 'built'; record: BuildRecord }
  /** A failure may still have a record: built, and its tests failed. */
  | { image: string; outcome: 'failed' | 'skipped' | 'stale'; reason: string; record?: BuildRecord };

/** How a build ended, from its record: none is a failed build; a record whose tests failed is a failed image. */
export function resultOfBuild(image: string, record: BuildRecord | undefined): ImageResult {
  if (!record) return { image, outcome: 'failed', reason: 'the build failed; see its log' };
  if (record.tests?.result === 'failed') return { image, outcome: 'failed', reason: `its tests ${describeResult(record.tests)}`, record };
  return { image, outcome: 'built', record };
}

/** The step summary's table: a row per image of the plan, with what its build recorded. */
export function summaryOf(plan: FanoutPlan, results: readonly ImageResult[]): string {
  const rows = plan.images.map((entry): SummaryRow => {
    const result = results.find((candidate) => candidate.image === entry.image);
    const record = result?.record;
    const external = record?.baseImage !== undefined && !record.bases.some((base) => base.reference === record.baseImage) ? record.baseImage : undefined;
    return {
      image: entry.image,
      level: entry.level,
      tag: plan.tag,
      pushed: record?.pushed ?? false,
      ...(record?.digest ? { digest: record.digest } : {}),
      ...(record?.buildTags ? { buildTags: record.buildTags.map((entry) => entry.tag) } : {}),
      ...(record?.skippedPush ? { skippedReason: record.skippedPush } : {}),
      bases: record?.bases ?? [],
      ...(record?.tests ? { tests: record.tests } : {}),
      ...(external ? { externalBase: external } : {}),
      why: entry.why,
      ...(result?.outcome === 'failed' ? { failed: result.reason } : {}),
      ...(result?.outcome === 'stale' ? { failed: `stale: ${result.reason}` } : {}),
      ...(result?.outcome === 'skipped' ? { skipped: result.reason } : {}),
    };
  });
  return renderSummary(rows, { head: plan.head, compareCommits: plan.compareCommits, workspaceFilesChanged: plan.workspaceFiles, eventName: plan.eventName });
}

/** Appends a section to the job's step summary (GITHUB_STEP_SUMMARY); nothing on a laptop. */
export async function writeStepSummary(path: string | undefined, heading: string, markdown: string): Promise<void> {
  if (path) await appendFile(path, `## ${heading}\n\n${markdown}`);
}
