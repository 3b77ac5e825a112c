import releaseCheckExecutor from '../../src/executors/release-check/executor';
import releaseExecutor from '../../src/executors/release/executor';
import type { ReleaseExecutorSchema } from '../../src/executors/release/schema';
import { runExecutor, type ExecutorRun } from './run-executor';

export type { ExecutorRun } from './run-executor';

/** Calls the release (or release-check) executor in-process for one project and captures what it prints. */
export function runReleaseExecutor(
  which: 'release' | 'release-check',
  workspaceDir: string,
  project: string,
  options: ReleaseExecutorSchema,
  env: Record<string, string | undefined> = {},
): Promise<ExecutorRun> {
  return runExecutor(which === 'release' ? releaseExecutor : releaseCheckExecutor, options, workspaceDir, project, env);
}
