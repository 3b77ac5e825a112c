import { describe, expect, test } from 'vitest';
import { CommandError, run } from '../src/lib/io/exec';

// `run` of a command whose output is captured (execFile): what every git and docker query reads back.
const node = (script: string) => ({ command: process.execPath, args: ['-e', script] });

async function failure(promise: Promise<unknown>): Promise<CommandError> {
  const error = await promise.then(() => undefined, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(CommandError);
  return error as CommandError;
}

describe('run', () => {
  test('stdout loses one final newline, stderr is trimmed', async () => {
    const result = await run(node('process.stdout.write("a\\n\\nb\\n"); process.stderr.write("  warn \\n")'));
    expect(result).toEqual({ stdout: 'a\n\nb', stderr: 'warn' });
  });

  test('a non-zero exit carries its code, its stderr and its stdout', async () => {
    const error = await failure(run(node('console.log("partial"); console.error("first\\nsecond"); process.exit(3)')));
    expect(error.message).toBe(`${process.execPath} -e exited with code 3: first | second`);
    expect([error.exitCode, error.stderr, error.stdout, error.notFound]).toEqual([3, 'first\nsecond', 'partial', false]);
  });

  test('a command that does not exist is notFound', async () => {
    const error = await failure(run({ command: 'fornax-no-such-command', args: ['x'] }));
    expect(error.notFound).toBe(true);
    expect(error.message).toBe('fornax-no-such-command x could not be started (ENOENT)');
  });

  test('a timeout kills the command and says so', async () => {
    const error = await failure(run(node('setTimeout(() => {}, 10_000)'), { timeout: 200 }));
    expect(error.message).toBe(`${process.execPath} -e timed out after 200 ms`);
  });

  test('the environment extends this process’s, and cwd is honoured', async () => {
    const result = await run({ ...node('process.stdout.write([process.env.FORNAX_EXEC_TEST, String(process.env.PATH === undefined), process.cwd()].join(" "))'), env: { FORNAX_EXEC_TEST: 'yes' }, cwd: '/' });
    expect(result.stdout).toBe('yes false /');
  });

  test('input reaches the command, and one that exits without reading it is judged by its exit', async () => {
    expect((await run(node('process.stdin.pipe(process.stdout)'), { input: 'one\ntwo\n' })).stdout).toBe('one\ntwo');
    expect((await run(node('process.exit(0)'), { input: 'x'.repeat(4 * 1024 * 1024) })).stdout).toBe('');
  });

  test('output past a megabyte is kept whole', async () => {
    const result = await run(node('process.stdout.write("x".repeat(3 * 1024 * 1024))'));
    expect(result.stdout.length).toBe(3 * 1024 * 1024);
  });
});
