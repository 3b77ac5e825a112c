import { rm } from 'node:fs/promises';
import { buildRunArgs, skipsIn, type Outcome } from '../lib/core/ci/ci-plan';
import type { FanoutPlan } from '../lib/core/ci/fanout';
import { commandLine } from '../lib/core/quote';
import { buildRecordPath, readBuildRecord } from '../lib/io/build-record';
import { CommandError, run } from '../lib/io/exec';
import { nxCommand } from '../lib/io/nx-cli';
import { runStepsBeforeBuild } from './steps-before-build';
import { resultOfBuild, type ImageResult } from './step-summary';

/** The nx arguments of each level, for --dry-run and the log. */
export function levelCommands(plan: FanoutPlan): string[][] {
  return plan.levels.map((images) => buildRunArgs({ ...plan, images }));
}

/**
 * Builds the plan level after level: one `nx run-many` per level, up to
 * plan.parallel images at once. An image that takes from one that failed or
 * was skipped is skipped; every other image still builds.
 */
export async function runLevels(plan: FanoutPlan, cwd: string, log: (line: string) => void): Promise<ImageResult[]> {
  const outcomes: Record<string, Outcome> = {};
  const results: ImageResult[] = [];
  for (const [index, names] of plan.levels.entries()) {
    const level = plan.images.filter((entry) => names.includes(entry.image));
    const skips = skipsIn(level, outcomes);
    for (const skip of skips) {
      log(`ci:images: level ${index + 1}: skipping ${skip.image}: it ${skip.reason}`);
      outcomes[skip.image] = 'skipped';
      results.push({ image: skip.image, outcome: 'skipped', reason: skip.reason });
    }
    // Each image's steps before its build run first; an image whose step failed is not built.
    for (const entry of level.filter((candidate) => outcomes[candidate.image] !== 'skipped' && (candidate.steps ?? []).length > 0)) {
      const failed = await runStepsBeforeBuild(plan, entry, cwd, log);
      if (!failed) continue;
      log(`ci:images: level ${index + 1}: ${entry.image} failed: ${failed}`);
      outcomes[entry.image] = 'failed';
      results.push({ image: entry.image, outcome: 'failed', reason: failed });
    }
    const images = names.filter((image) => outcomes[image] !== 'skipped' && outcomes[image] !== 'failed');
    if (images.length === 0) continue;
    // A stale record from an earlier run must not pass for this run's result.
    for (const image of images) await rm(buildRecordPath(cwd, image), { force: true });
    const args = buildRunArgs({ ...plan, images });
    log(`ci:images: level ${index + 1}: ${commandLine('nx', args)}`);
    try {
      await run(nxCommand(args, cwd), { stream: true });
    } catch (error) {
      if (!(error instanceof CommandError)) throw error;
    }
    for (const image of images) {
      const result = resultOfBuild(image, await readBuildRecord(cwd, image));
      outcomes[image] = result.outcome === 'built' ? 'built' : 'failed';
      results.push(result);
    }
  }
  return results;
}
