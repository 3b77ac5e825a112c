import { execFile } from 'node:child_process';
import type { Command } from '../core/command';

export type { Command } from '../core/command';

export interface RunOptions {
  /** Stream the command's output to this process's stdout/stderr as it runs. */
  stream?: boolean;
  /** Data for the command's standard input. */
  input?: string;
  /** Kill the command after this many milliseconds. */
  timeout?: number;
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

/** A command that exited non-zero, was killed, or could not start. */
export class CommandError extends Error {
  override name = 'CommandError';
  constructor(
    message: string,
    readonly command: Command,
    readonly exitCode: number | undefined,
    readonly stderr: string,
    /** The command could not be started at all (ENOENT, EACCES). */
    readonly notFound: boolean,
    readonly stdout: string = '',
  ) {
    super(message);
  }
}

/**
 * Runs a command without a shell. Fails with a CommandError that carries the
 * command's own trimmed stderr, including on a non-zero exit with no stderr.
 *
 * A command whose output is captured (git's answers, `docker inspect`) runs
 * through Node's own `execFile`; one that streams through execa, loaded
 * then. A plan makes a dozen git calls and nothing else: loading execa's
 * module graph for them cost about a fifth of its time (docs/performance.md).
 */
export async function run(cmd: Command, options: RunOptions = {}): Promise<RunResult> {
  if (!options.stream) return runCapturing(cmd, options);
  const { execa } = await import('execa');
  // Its output goes to this process's as it comes: nothing is kept.
  const result = await execa(cmd.command, cmd.args, {
    cwd: cmd.cwd,
    env: cmd.env,
    extendEnv: true,
    shell: false,
    reject: false,
    stdin: options.input === undefined ? 'ignore' : 'pipe',
    input: options.input,
    stdout: 'inherit',
    stderr: 'inherit',
    timeout: options.timeout,
  });
  if (!result.failed) return { stdout: '', stderr: '' };
  const code = (result as { code?: string }).code;
  throw commandFailed(cmd, { code, exitCode: result.exitCode, timedOut: result.timedOut, signal: result.isTerminated ? result.signal : undefined, timeout: options.timeout, stdout: '', stderr: '' });
}

/** `run` of a command whose output is captured, not streamed. */
function runCapturing(cmd: Command, { input, timeout }: RunOptions): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      cmd.command,
      cmd.args,
      {
        ...(cmd.cwd === undefined ? {} : { cwd: cmd.cwd }),
        ...(cmd.env === undefined ? {} : { env: { ...process.env, ...cmd.env } }),
        encoding: 'utf8',
        maxBuffer: Number.POSITIVE_INFINITY,
        windowsHide: true,
        ...(timeout === undefined ? {} : { timeout }),
      },
      (error, out, err) => {
        const stdout = out.endsWith('\n') ? out.slice(0, out.endsWith('\r\n') ? -2 : -1) : out;
        const stderr = err.trim();
        if (!error) return resolve({ stdout, stderr });
        const { code, killed, signal } = error as { code?: number | string | null; killed?: boolean; signal?: NodeJS.Signals | null };
        const timedOut = timeout !== undefined && killed === true;
        reject(commandFailed(cmd, { code: typeof code === 'string' ? code : undefined, exitCode: typeof code === 'number' ? code : undefined, timedOut, signal: signal ?? undefined, timeout, stdout, stderr }));
      },
    );
    // A command that exits before reading all of its input is judged by its exit, not by the broken pipe.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input);
  });
}

/** How a command ended when it failed, whichever runner ran it. */
interface Failure {
  /** The spawn error's code (ENOENT, EACCES), when it could not start. */
  code: string | undefined;
  exitCode: number | undefined;
  timedOut: boolean;
  signal: string | undefined;
  timeout: number | undefined;
  stdout: string;
  stderr: string;
}

function commandFailed(cmd: Command, failure: Failure): CommandError {
  const { code, exitCode, timedOut, signal, timeout, stdout, stderr } = failure;
  const notFound = code === 'ENOENT' || code === 'EACCES';
  const why = notFound ? `could not be started (${code})` : timedOut ? `timed out after ${timeout} ms` : signal ? `was killed by ${signal}` : `exited with code ${exitCode}`;
  const detail = stderr ? `: ${lastLines(stderr, 5)}` : '';
  return new CommandError(`${cmd.command} ${cmd.args[0] ?? ''} ${why}${detail}`.replace(/\s+/g, ' ').trim(), cmd, exitCode, stderr, notFound, stdout);
}

/** What a command printed (stdout and stderr in the order they came, up to a limit) and how it ended. */
export interface Captured {
  exitCode: number;
  output: string;
  /** More was printed than was kept. */
  truncated: boolean;
}

/**
 * Runs a command without a shell, its output streaming to this process's
 * as it comes, and keeps the first `keepBytes` of it: for commands whose
 * exit code is the verdict and whose output may be huge (an image's tests).
 * Never throws for a non-zero exit; a command that cannot start is exit 127.
 */
export async function runCaptured(cmd: Command, options: { keepBytes: number }): Promise<Captured> {
  const { execa } = await import('execa');
  const subprocess = execa(cmd.command, cmd.args, {
    cwd: cmd.cwd,
    env: cmd.env,
    extendEnv: true,
    shell: false,
    reject: false,
    stdin: 'ignore',
    buffer: false,
  });
  const kept: Buffer[] = [];
  let size = 0;
  let truncated = false;
  const keep = (chunk: Buffer) => {
    if (size >= options.keepBytes) {
      truncated = true;
      return;
    }
    const part = chunk.subarray(0, options.keepBytes - size);
    kept.push(part);
    size += part.length;
    if (part.length < chunk.length) truncated = true;
  };
  subprocess.stdout?.on('data', (chunk: Buffer) => {
    process.stdout.write(chunk);
    keep(chunk);
  });
  subprocess.stderr?.on('data', (chunk: Buffer) => {
    process.stderr.write(chunk);
    keep(chunk);
  });
  const result = await subprocess;
  const notFound = (result as { code?: string }).code === 'ENOENT';
  return { exitCode: notFound ? 127 : (result.exitCode ?? 1), output: Buffer.concat(kept).toString('utf8'), truncated };
}

/**
 * Runs `from | to` without a shell: `from`'s stdout feeds `to`'s stdin, for
 * streams too large to hold (an image through `docker save | zstd`). Fails
 * with a CommandError naming the side that failed.
 */
export async function runPipeline(from: Command, to: Command): Promise<void> {
  const { execa } = await import('execa');
  const options = (cmd: Command) => ({ cwd: cmd.cwd, env: cmd.env, extendEnv: true, shell: false, stderr: 'pipe', encoding: 'utf8' }) as const;
  const source = execa(from.command, from.args, { ...options(from), stdin: 'ignore', reject: false });
  const sink = source.pipe(to.command, to.args, { ...options(to), stdout: 'pipe', reject: false });
  const [first, second] = await Promise.all([source, sink]);
  for (const [result, cmd] of [[first, from], [second, to]] as const) {
    if (!result.failed) continue;
    const stderr = typeof result.stderr === 'string' ? result.stderr.trim() : '';
    const detail = stderr ? `: ${lastLines(stderr, 5)}` : '';
    throw new CommandError(`${cmd.command} ${cmd.args[0] ?? ''} exited with code ${result.exitCode ?? 'none'}${detail}`, cmd, result.exitCode, stderr, false);
  }
}

function lastLines(text: string, count: number): string {
  return text.split('\n').slice(-count).join(' | ');
}
