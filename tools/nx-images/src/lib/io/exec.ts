import { execa } from 'execa';
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
 */
export async function run(cmd: Command, options: RunOptions = {}): Promise<RunResult> {
  const stdio = options.stream ? 'inherit' : 'pipe';
  const result = await execa(cmd.command, cmd.args, {
    cwd: cmd.cwd,
    env: cmd.env,
    extendEnv: true,
    shell: false,
    reject: false,
    stdin: options.input === undefined ? 'ignore' : 'pipe',
    input: options.input,
    stdout: stdio,
    stderr: stdio,
    timeout: options.timeout,
    stripFinalNewline: true,
    encoding: 'utf8',
  });
  const stdout = typeof result.stdout === 'string' ? result.stdout : '';
  const stderr = typeof result.stderr === 'string' ? result.stderr.trim() : '';
  if (result.failed) {
    const code = (result as { code?: string }).code;
    const notFound = code === 'ENOENT' || code === 'EACCES';
    const why = notFound
      ? `could not be started (${code})`
      : result.timedOut
        ? `timed out after ${options.timeout} ms`
        : result.isTerminated
          ? `was killed by ${result.signal}`
          : `exited with code ${result.exitCode}`;
    const detail = stderr ? `: ${lastLines(stderr, 5)}` : '';
    throw new CommandError(`${cmd.command} ${cmd.args[0] ?? ''} ${why}${detail}`.replace(/\s+/g, ' ').trim(), cmd, result.exitCode, stderr, notFound, stdout);
  }
  return { stdout, stderr };
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
