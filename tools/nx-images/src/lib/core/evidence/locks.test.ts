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
    expect(assertLockCommand(undefined, 'x')).toEqual([]);
    expect(() => assertLockCommand('sh run.sh', 'tractor: docker-build option')).toThrow(/^tractor: docker-build option: lockCommand must be a list of non-empty strings/);
    expect(() => assertLockCommand(['sh', ''], 'x')).toThrow(/lockCommand must be a list/);
  });
});

describe('lockFilesProblem', () => {
  const file = (name: string, size = 10) => ({ name, size, kind: 'file' as const });

  it('accepts plain files with plain names', () => {
    expect(lockFilesProblem('tractor', [file('conda-base.txt'), file('pip-venv-opt-x.txt')])).toBeUndefined();
    expect(lockFilesProblem('tractor', [])).toBeUndefined();
  });

  it.each([
    ['a folder', [{ name: 'envs', size: 0, kind: 'other' as const }], /left "envs", which is not a plain file/],
    ['a hidden file', [file('.envs')], /wrote "\.envs", a name that is reserved or not plain/],
    ['a reserved name', [file('locks.json')], /wrote "locks\.json", a name that is reserved/],
    ['the empty-set name', [file('NO-LOCK-FILES.txt')], /reserved/],
    ['a name with a space', [file('conda base.txt')], /not plain/],
    ['a huge file', [file('conda-base.txt', MAX_LOCK_FILE_BYTES + 1)], /is \d+ bytes, over \d+/],
    ['too many files', Array.from({ length: 201 }, (_, index) => file(`f${index}.txt`)), /wrote 201 files, over 200/],
  ])('refuses %s, naming the image', (_name, files, message) => {
    const problem = lockFilesProblem('tractor', files);
    expect(problem).toMatch(/^tractor: /);
    expect(problem).toMatch(message);
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
