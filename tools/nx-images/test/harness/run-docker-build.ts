import dockerBuildExecutor from '../../src/executors/docker-build/executor';
import type { DockerBuildExecutorSchema } from '../../src/executors/docker-build/schema';
import { runExecutor, type ExecutorRun } from './run-executor';

export { imageContext } from './run-executor';

/** Calls the docker-build executor in-process for one project and captures what it prints. */
export function runDockerBuildExecutor(
  workspaceDir: string,
  project: string,
  options: DockerBuildExecutorSchema,
  env: Record<string, string | undefined> = {},
): Promise<ExecutorRun> {
  return runExecutor(dockerBuildExecutor, options, workspaceDir, project, env);
}
