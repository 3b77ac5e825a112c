import { stepEnv, stepRunArgs, type PlannedImage } from '../lib/core/ci/ci-plan';
import type { FanoutPlan } from '../lib/core/ci/fanout';
import { commandLine } from '../lib/core/quote';
import { CommandError, run } from '../lib/io/exec';
import { nxCommand } from '../lib/io/nx-cli';

/** The `nx run` arguments of every step before the builds of these images, in order: for --dry-run and the log. */
export function stepCommands(plan: Pick<FanoutPlan, 'images'>, images: readonly string[]): string[][] {
  return plan.images.filter((entry) => images.includes(entry.image)).flatMap((entry) => (entry.steps ?? []).map((step) => stepRunArgs(entry.image, step)));
}

/**
 * Runs an image's steps before its build, one after another, each without
 * its own task dependencies (the images it reads are already here: built
 * by earlier levels, pulled or loaded), told the run's registry, repository,
 * tags and push by variables. Returns why the image cannot be built, or
 * undefined when every step passed.
 */
export async function runStepsBeforeBuild(plan: FanoutPlan, entry: PlannedImage, cwd: string, log: (line: string) => void): Promise<string | undefined> {
  for (const step of entry.steps ?? []) {
    const args = stepRunArgs(entry.image, step);
    log(`ci:images: ${entry.image}: before the build: ${commandLine('nx', args)}`);
    try {
      await run(nxCommand(args, cwd, stepEnv(plan)), { stream: true });
    } catch (error) {
      if (!(error instanceof CommandError)) throw error;
      return `its step ${step} before the build failed (exit code ${error.exitCode ?? 'none'}); see its log above`;
    }
  }
  return undefined;
}
