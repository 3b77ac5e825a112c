import { isAbsolute } from 'node:path';
import { UserError } from '../core/errors';
import { run } from './exec';
import { which } from './which';

const PROBE = 'import sys, pytest; print(sys.executable)';

/**
 * The absolute path of the host's Python with pytest, for tests run on the
 * host: PYTHON when set (it must be absolute), else python3 on PATH. The
 * interpreter's own sys.executable, so a shim or a later PATH cannot swap it.
 */
export async function findTestPython(env: NodeJS.ProcessEnv): Promise<string> {
  const given = env['PYTHON']?.trim();
  if (given && !isAbsolute(given)) throw new UserError({ subject: 'PYTHON', problem: `${JSON.stringify(given)} is not an absolute path`, fix: 'set it to the path of a Python with pytest, or unset it' });
  const candidate = given || (await which('python3'));
  if (!candidate) throw new UserError({ subject: 'python3', problem: 'tests run on the host need a Python with pytest, and there is no python3 on PATH', fix: 'install python3 and pytest, or set PYTHON=/path/to/python' });
  const found = await run({ command: candidate, args: ['-c', PROBE] }).then(
    (result) => result.stdout.trim(),
    () => '',
  );
  if (!isAbsolute(found)) throw new UserError({ subject: candidate, problem: 'no pytest, which the tests run on the host need', fix: 'pip install pytest, or set PYTHON=/path/to/a/python/with/pytest' });
  return found;
}
