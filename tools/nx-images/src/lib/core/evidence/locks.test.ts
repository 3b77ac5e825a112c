import { describe, expect, it } from 'vitest';
import { assertLockCommand, DEFAULT_LOCK_SCRIPT, lockArchiveName, lockCommand, lockFilesProblem, MAX_LOCK_FILE_BYTES, noLocksText, parseLockIndex } from './locks';

describe('lockCommand', () => {
  it('runs a configured command as given, else the built-in script through sh', () => {
    expect(lockCommand(['sh', '/opt/export.sh'])).toEqual({ argv: ['sh', '/opt/export.sh'], builtIn: false });
    expect(lockCommand([])).toEqual({ argv: ['sh', '-c', DEFAULT_LOCK_SCRIPT], builtIn: true });
  });

  it('the built-in script asks conda for every environment and pip for every virtual environment, and never fails for their absence', () => {
    expect(DEFAULT_LOCK_SCRIPT).toContain('conda list --explicit --prefix "$prefix"');
    expect(DEFAULT_LOCK_SCRIPT).toContain('-m pip freeze --all');
    expect(DEFAULT_LOCK_SCRIPT).toContain('-name pyvenv.cfg');
    expect(DEFAULT_LOCK_SCRIPT.trimEnd().endsWith('exit 0')).toBe(true);
  });

  it('refuses a configured command that is not a list of words, naming where it was set', () => {
    const where = { image: 'tractor', subject: 'docker-build option lockCommand' };
    expect(assertLockCommand(undefined, where)).toEqual([]);
    expect(() => assertLockCommand('sh run.sh', where)).toThrow(expect.objectContaining({ ...where, problem: 'not a list of non-empty strings', fix: 'give one such as ["sh", "/opt/export-locks.sh"]' }));
    expect(() => assertLockCommand('sh run.sh', where)).toThrow(/^tractor: docker-build option lockCommand: not a list of non-empty strings: give one such as \["sh", "\/opt\/export-locks\.sh"\]\.$/);
    expect(() => assertLockCommand(['sh', ''], where)).toThrow(expect.objectContaining({ problem: 'not a list of non-empty strings' }));
  });
});

describe('lockFilesProblem', () => {
  const file = (name: string, size = 10) => ({ name, size, kind: 'file' as const });

  it('accepts plain files with plain names', () => {
    expect(lockFilesProblem('tractor', [file('conda-base.txt'), file('pip-venv-opt-x.txt')])).toBeUndefined();
    expect(lockFilesProblem('tractor', [])).toBeUndefined();
  });

  const PLAIN = 'the lock command must write plain files with names of letters, digits, ".", "_" and "-" straight into $LOCKS_DIR';
  it.each<[string, { name: string; size: number; kind: 'file' | 'other' }[], string, string]>([
    ['a folder', [{ name: 'envs', size: 0, kind: 'other' }], 'the lock command left "envs", which is not a plain file', PLAIN],
    ['a hidden file', [file('.envs')], 'the lock command wrote ".envs", a name that is reserved or not plain', PLAIN],
    ['a reserved name', [file('locks.json')], 'the lock command wrote "locks.json", a name that is reserved or not plain', PLAIN],
    ['the empty-set name', [file('NO-LOCK-FILES.txt')], 'the lock command wrote "NO-LOCK-FILES.txt", a name that is reserved or not plain', PLAIN],
    ['a name with a space', [file('conda base.txt')], 'the lock command wrote "conda base.txt", a name that is reserved or not plain', PLAIN],
    ['a huge file', [file('conda-base.txt', MAX_LOCK_FILE_BYTES + 1)], `lock file conda-base.txt is ${MAX_LOCK_FILE_BYTES + 1} bytes, over ${MAX_LOCK_FILE_BYTES}`, 'a lock file lists packages; check the command'],
    ['too many files', Array.from({ length: 201 }, (_, index) => file(`f${index}.txt`)), 'the lock command wrote 201 files, over 200', 'write one file per environment'],
  ])('refuses %s, naming the image', (_name, files, problem, fix) => {
    expect(lockFilesProblem('tractor', files)).toEqual({ subject: 'tractor', problem, fix });
  });
});

describe('parseLockIndex', () => {
  it('reads what locks.json says, and nothing from what is not one', () => {
    const index = { image: 'tractor', imageId: 'sha256:abc', files: ['conda-base.txt'] };
    expect(parseLockIndex(Buffer.from(JSON.stringify(index)))).toEqual(index);
    expect(parseLockIndex(Buffer.from(JSON.stringify({ image: 'x', files: [], note: 'none' })))).toEqual({ image: 'x', files: [], note: 'none' });
    expect(parseLockIndex(Buffer.from('not json'))).toBeUndefined();
    expect(parseLockIndex(Buffer.from(JSON.stringify({ image: 'x', files: ['../../etc/passwd'] })))).toBeUndefined();
    expect(parseLockIndex(Buffer.from(JSON.stringify({ files: [] })))).toBeUndefined();
  });
});

describe('archive names and texts', () => {
  it('names the archive by image and release tag, and says why a set is empty', () => {
    expect(lockArchiveName('tractor', 'v0.1.1')).toBe('tractor-v0.1.1-locks.tar.gz');
    expect(noLocksText('base_image', 'sha256:abc', 'the image has neither conda nor pip')).toBe('base_image (sha256:abc) has no environment lock files: the image has neither conda nor pip.\n');
    expect(noLocksText('base_image', 'sha256:abc', undefined)).toContain('its lock command wrote none');
  });
});
