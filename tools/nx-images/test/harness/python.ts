import { isAbsolute, resolve } from 'node:path';
import { run } from '../../src/lib/io/exec';

const findPython = resolve(__dirname, '../../../../.ci/find-python');
let resolved: Promise<string> | undefined;

/**
 * The absolute path of the Python with pytest that the tests run: PYTHON as
 * .ci/run resolved it, else resolved here by the same script. A bare name is
 * refused: the PATH a test runs under (npm puts node's folder first) may
 * find another interpreter than the one that was checked.
 */
export function pythonWithPytest(): Promise<string> {
  resolved ??= resolvePython(process.env['PYTHON']);
  return resolved;
}

async function resolvePython(fromEnv: string | undefined): Promise<string> {
  if (fromEnv === undefined || fromEnv.trim() === '') return (await run({ command: findPython, args: [] })).stdout.trim();
  if (!isAbsolute(fromEnv)) {
    throw new Error(`PYTHON=${JSON.stringify(fromEnv)} is not an absolute path: set it to the interpreter .ci/find-python prints, or leave it unset.`);
  }
  await run({ command: fromEnv, args: ['-c', 'import pytest'] }).catch(() => {
    throw new Error(`PYTHON=${fromEnv} has no pytest: set it to the interpreter .ci/find-python prints, or leave it unset.`);
  });
  return fromEnv;
}
