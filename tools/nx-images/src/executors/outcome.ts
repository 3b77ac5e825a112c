import type { ExecutorContext, TaskGraph } from '@nx/devkit';
import { errorMessage, UserError } from '../lib/core/errors';
import { nonEmpty } from '../lib/core/option-values';

/**
 * How every executor logs and ends: plain lines on stdout (warnings and
 * errors on stderr), and one line for a failure. A UserError says what to
 * fix; anything else is a bug of ours, so its stack follows for the report.
 * Console, not Nx's logger: loading @nx/devkit at run time costs each task
 * about 0.2 s.
 */
export interface Log {
  info: (line: string) => void;
  warn: (line: string) => void;
  error: (line: string) => void;
}

export const log: Log = {
  info: (line) => console.log(line),
  warn: (line) => console.warn(line),
  error: (line) => console.error(line),
};

/** A log that only keeps its lines: a batch task's output, which Nx prints under that task. */
function keepingLog(kept: string[]): Log {
  const keep = (line: string) => {
    kept.push(line);
  };
  return { info: keep, warn: keep, error: keep };
}

/** The project one task runs for, which every executor starts from. */
export interface Task {
  project: string;
  /** The project's folder relative to the workspace root, as Nx configured it. */
  projectRoot?: string;
  workspaceRoot: string;
  /** The running target's name; the executor's own when Nx gave none (a call outside nx run). */
  targetName: string;
  /** The names of the project's targets. */
  targets: string[];
}

/** The task's project: every executor runs for one (`nx run <image>:<target>`), and says so when Nx gave none. */
export function taskOf(context: ExecutorContext, executor: string): Task {
  const project = context.projectName;
  const targetName = context.targetName ?? executor;
  if (!project) throw new UserError({ subject: targetName, problem: 'it runs for one project, and Nx named none', fix: `run it as nx run <image>:${targetName}` });
  const configured = context.projectsConfigurations?.projects[project];
  return {
    project,
    ...(configured?.root === undefined ? {} : { projectRoot: configured.root }),
    workspaceRoot: context.root,
    targetName,
    targets: Object.keys(configured?.targets ?? {}),
  };
}

/** The work of one executor task. */
export type Work<Options> = (options: Options, context: ExecutorContext, log: Log) => Promise<void>;

/**
 * Runs one executor's work and turns its end into Nx's `{ success }`,
 * naming the project on a failure unless the error's subject already names
 * it: the project, or the image (and `image:variant`) its options build.
 */
export async function outcome<Options>(work: Work<Options>, options: Options, context: ExecutorContext, sink: Log = log): Promise<{ success: boolean }> {
  const project = context.projectName;
  try {
    await work(options, context, sink);
    return { success: true };
  } catch (error) {
    const message = errorMessage(error);
    const named = project === undefined || (error instanceof UserError && namesOfTask(project, options).includes(error.image ?? error.subject));
    sink.error(named ? message : `${project}: ${message}`);
    if (!(error instanceof UserError) && error instanceof Error && error.stack) sink.error(error.stack);
    return { success: false };
  }
}

/** What a message may call the task's project: its name, and for a target that names its image (a variant's, or another name), `image` and `image:variant`. */
function namesOfTask(project: string, options: unknown): string[] {
  const { image, variant } = (typeof options === 'object' && options !== null ? options : {}) as { image?: unknown; variant?: unknown };
  const ownImage = typeof image === 'string' ? nonEmpty(image) : undefined;
  const ownVariant = typeof variant === 'string' ? nonEmpty(variant) : undefined;
  const names = [project];
  if (ownImage) names.push(ownImage);
  if (ownImage && ownVariant) names.push(`${ownImage}:${ownVariant}`);
  return names;
}

/**
 * Nx's batch implementation for an executor: every task of the batch in one
 * process, one after another, each result reported as it ends. It saves a
 * process start per image (about 0.5 s each) for the release's 2 x N tasks.
 */
export function batchOf<Options>(work: Work<Options>) {
  return async function* batch(taskGraph: TaskGraph, inputs: Record<string, Options>, _overrides: Options, context: ExecutorContext) {
    for (const [taskId, options] of Object.entries(inputs)) {
      const task = taskGraph.tasks[taskId];
      if (!task) continue;
      const lines: string[] = [];
      const startTime = Date.now();
      const { success } = await outcome(work, options, { ...context, projectName: task.target.project, targetName: task.target.target }, keepingLog(lines));
      yield { task: taskId, result: { success, terminalOutput: lines.join('\n'), startTime, endTime: Date.now() } };
    }
  };
}
