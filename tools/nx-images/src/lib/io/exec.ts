import { execa } from 'execa';

/** A command as data: never a shell string. */
export interface Command {
  command: string;
  args: string[];
  /** Variables added to the environment of the command. */
  env?: Record<string, string>;
  cwd?: string;
}

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

function lastLines(text: string, count: number): string {
  return text.split('\n').slice(-count).join(' | ');
}
