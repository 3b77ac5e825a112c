import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pythonWithPytest } from './harness/python';

// .ci/run hands the tests PYTHON as an absolute path, resolved once by .ci/find-python. The
// machine this guards against: the first python3 on PATH (a pyenv shim) has pytest, Debian's has
// not, and npm test puts node's folder (/usr/bin) first on PATH, so a bare python3 would be Debian's.
const findPython = resolve(__dirname, '../../../.ci/find-python');
let dir: string;
let withPytest: string;
let shims: string;
let debian: string;

function stub(folder: string, body: string): void {
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'python3'), `#!/bin/sh\n${body}\n`);
  chmodSync(join(folder, 'python3'), 0o755);
}

function python3(path: string, args: string[]) {
  return execa('python3', args, { env: { PATH: path }, extendEnv: true, reject: false });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fornax-find-python-'));
  withPytest = await pythonWithPytest();
  // A pyenv-like shim: the real interpreter with pytest behind a python3 of its own folder.
  shims = join(dir, 'shims');
  stub(shims, `exec ${JSON.stringify(withPytest)} "$@"`);
  // "Debian's" python3 without pytest: the same interpreter with site-packages switched off.
  debian = join(dir, 'debian');
  stub(debian, `exec ${JSON.stringify(withPytest)} -S "$@"`);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('.ci/find-python', () => {
  it('the machine is as described: python3 has pytest through the shim and not through the "Debian" one', async () => {
    expect((await python3(`${shims}:/usr/bin:/bin`, ['-c', 'import pytest'])).exitCode).toBe(0);
    expect((await python3(`${debian}:/usr/bin:/bin`, ['-c', 'import pytest'])).exitCode).not.toBe(0);
  });

  it('resolves the first python3 with pytest to its absolute interpreter, which still has pytest when another python3 comes first on PATH', async () => {
    const found = await execa(findPython, [], { env: { PATH: `${shims}:${debian}:/usr/bin:/bin` }, extendEnv: true });
    expect(found.stdout).toBe(withPytest);
    expect(found.stdout.startsWith(shims)).toBe(false);
    // npm test's PATH: "Debian's" python3 first. The bare name loses pytest; the resolved path keeps it.
    const npmPath = `${debian}:${shims}:/usr/bin:/bin`;
    expect((await python3(npmPath, ['-m', 'pytest', '--version'])).exitCode).not.toBe(0);
    const pinned = await execa(found.stdout, ['-m', 'pytest', '--version'], { env: { PATH: npmPath }, extendEnv: true, reject: false });
    expect(pinned.exitCode, pinned.stderr).toBe(0);
  });

  it('passes over a python3 without pytest to Debian\'s /usr/bin/python3, or says what to install', async () => {
    const found = await execa(findPython, [], { env: { PATH: `${debian}:/bin` }, extendEnv: true, reject: false });
    const debianHasPytest = (await execa('/usr/bin/python3', ['-c', 'import pytest'], { reject: false })).exitCode === 0;
    if (debianHasPytest) {
      expect(found.exitCode, found.stderr).toBe(0);
      expect(found.stdout).toBe('/usr/bin/python3');
    } else {
      expect(found.exitCode).toBe(1);
      expect(found.stderr).toBe('find-python: no python3 with pytest (tried python3 on PATH and /usr/bin/python3): apt-get install python3-pytest');
    }
  });

  it('the tests refuse a PYTHON that is a bare name', async () => {
    const harness = await execa(process.execPath, ['--require', '@swc-node/register', '-e', "require('./test/harness/python').pythonWithPytest().then(console.log, (e) => { console.error(e.message); process.exit(3); })"], {
      cwd: resolve(__dirname, '..'),
      env: { PYTHON: 'python3' },
      reject: false,
    });
    expect(harness.exitCode).toBe(3);
    expect(harness.stderr).toContain('PYTHON="python3" is not an absolute path: set it to the interpreter .ci/find-python prints, or leave it unset.');
  });
});
