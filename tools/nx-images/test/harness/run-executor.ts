import { stripVTControlCharacters } from 'node:util';
import type { ExecutorContext } from '@nx/devkit';

export interface ExecutorRun {
  success: boolean;
  /** Everything the executor printed, stdout and stderr interleaved, without colour codes. */
  output: string;
}

type Executor<Options> = (options: Options, context: ExecutorContext) => Promise<{ success: boolean }>;

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
 * Calls an executor in-process for one image project, the way Nx would, with
 * `env` set for the call only, and captures everything it prints. Faster than
 * a whole `nx` run, for the tests that are about one image.
 */
export async function runExecutor<Options>(
  executor: Executor<Options>,
  options: Options,
  workspaceDir: string,
  project: string,
  env: Record<string, string | undefined> = {},
): Promise<ExecutorRun> {
  const lines: string[] = [];
  const methods = ['log', 'info', 'warn', 'error', 'debug'] as const;
  const original = methods.map((name) => [name, console[name]] as const);
  const saved: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(env)) {
    saved[name] = process.env[name];
    setEnv(name, value);
  }
  // Nx's logger colours its lines when a parent (nx run-many, a terminal) asks for colour.
  for (const name of methods) console[name] = (...args: unknown[]) => lines.push(stripVTControlCharacters(args.join(' ')));
  try {
    const { success } = await executor(options, imageContext(workspaceDir, project));
    return { success, output: lines.join('\n') };
  } finally {
    for (const [name, method] of original) console[name] = method;
    for (const [name, value] of Object.entries(saved)) setEnv(name, value);
  }
}

function setEnv(name: string, value: string | undefined): void {
  // Reflect.deleteProperty: process.env turns an assigned undefined into the string "undefined".
  if (value === undefined) Reflect.deleteProperty(process.env, name);
  else process.env[name] = value;
}
