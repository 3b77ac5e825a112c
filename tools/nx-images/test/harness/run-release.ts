import type { ExecutorContext } from '@nx/devkit';
import releaseCheckExecutor from '../../src/executors/release-check/executor';
import releaseExecutor from '../../src/executors/release/executor';
import type { ReleaseExecutorSchema } from '../../src/executors/release/schema';

export interface ExecutorRun {
  success: boolean;
  /** Everything the executor printed, stdout and stderr interleaved. */
  output: string;
}

function setEnv(name: string, value: string | undefined): void {
  // Reflect.deleteProperty: process.env turns an assigned undefined into the string "undefined".
  if (value === undefined) Reflect.deleteProperty(process.env, name);
  else process.env[name] = value;
}

/**
 * Calls the release (or release-check) executor in-process for one project
 * of a workspace, the way Nx would, and captures what it prints. Faster than
 * a whole `nx` run, for the tests that are about one image.
 */
export async function runReleaseExecutor(
  which: 'release' | 'release-check',
  workspaceDir: string,
  project: string,
  options: ReleaseExecutorSchema,
  env: Record<string, string | undefined> = {},
): Promise<ExecutorRun> {
  const context = {
    root: workspaceDir,
    cwd: workspaceDir,
    projectName: project,
    isVerbose: false,
    projectsConfigurations: { version: 2, projects: { [project]: { root: `images/${project}` } } },
    nxJsonConfiguration: {},
  } as unknown as ExecutorContext;
  const lines: string[] = [];
  const original = { log: console.log, error: console.error };
  const saved: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(env)) {
    saved[name] = process.env[name];
    setEnv(name, value);
  }
  console.log = (...args: unknown[]) => lines.push(args.join(' '));
  console.error = (...args: unknown[]) => lines.push(args.join(' '));
  try {
    const executor = which === 'release' ? releaseExecutor : releaseCheckExecutor;
    const { success } = await executor(options, context);
    return { success, output: lines.join('\n') };
  } finally {
    console.log = original.log;
    console.error = original.error;
    for (const [name, value] of Object.entries(saved)) setEnv(name, value);
  }
}
