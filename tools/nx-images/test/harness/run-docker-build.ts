import type { ExecutorContext } from '@nx/devkit';
import dockerBuildExecutor from '../../src/executors/docker-build/executor';
import type { DockerBuildExecutorSchema } from '../../src/executors/docker-build/schema';
import type { ExecutorRun } from './run-release';

function setEnv(name: string, value: string | undefined): void {
  // Reflect.deleteProperty: process.env turns an assigned undefined into the string "undefined".
  if (value === undefined) Reflect.deleteProperty(process.env, name);
  else process.env[name] = value;
}

/** An Nx ExecutorContext for one image project of a workspace, as Nx would pass it. */
export function imageContext(workspaceDir: string, project: string): ExecutorContext {
  return {
    root: workspaceDir,
    cwd: workspaceDir,
    projectName: project,
    isVerbose: false,
    projectsConfigurations: { version: 2, projects: { [project]: { root: `images/${project}` } } },
    nxJsonConfiguration: {},
  } as unknown as ExecutorContext;
}

/**
 * Calls the docker-build executor in-process for one project, with `env`
 * set for the call only, and captures everything it prints.
 */
export async function runDockerBuildExecutor(
  workspaceDir: string,
  project: string,
  options: DockerBuildExecutorSchema,
  env: Record<string, string | undefined> = {},
): Promise<ExecutorRun> {
  const lines: string[] = [];
  const methods = ['log', 'info', 'warn', 'error', 'debug'] as const;
  const original = Object.fromEntries(methods.map((name) => [name, console[name]]));
  const saved: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(env)) {
    saved[name] = process.env[name];
    setEnv(name, value);
  }
  for (const name of methods) console[name] = (...args: unknown[]) => lines.push(args.join(' '));
  try {
    const { success } = await dockerBuildExecutor(options, imageContext(workspaceDir, project));
    return { success, output: lines.join('\n') };
  } finally {
    for (const name of methods) console[name] = original[name]!;
    for (const [name, value] of Object.entries(saved)) setEnv(name, value);
  }
}
