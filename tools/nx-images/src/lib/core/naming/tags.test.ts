import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { branchToTag, isValidTag, MAX_TAG_LENGTH, resolveTag } from './tags';

const long = 'feature/' + 'a'.repeat(300);
const hash8 = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 8);

describe('branchToTag', () => {
  it.each([
    ['main', 'main'],
    ['feature/Fix_Issue#34', 'feature-Fix_Issue-34'],
    ['feature/x', 'feature-x'],
    ['release/v1.2.3', 'release-v1.2.3'],
    ['a//b', 'a-b'],
    ['x$(touch${IFS}/tmp/pwned)', 'x-touch-IFS-tmp-pwned-'],
    ['`id`', 'id-'],
    ['a;rm -rf /', 'a-rm--rf-'],
    ['--output=/', 'output-'],
    ['-leading', 'leading'],
    ['.hidden', 'hidden'],
    ['..-.x', 'x'],
    ['../../etc/passwd', 'etc-passwd'],
    ['ünïcødé/branch', 'n-c-d-branch'],
    ['日本語-branch', 'branch'],
    ['UPPER/Case', 'UPPER-Case'],
    ['under_score', 'under_score'],
    ['tab\there', 'tab-here'],
    ['new\nline', 'new-line'],
    ['dots...ok', 'dots...ok'],
    ['trailing/', 'trailing-'],
  ])('%j -> %j', (branch, tag) => {
    expect(branchToTag(branch)).toBe(tag);
    expect(isValidTag(tag)).toBe(true);
  });

  it.each([[''], ['/'], ['###'], ['...'], ['---'], ['日本語'], ['-.-.']])('%j sanitizes to nothing: error', (branch) => {
    expect(() => branchToTag(branch)).toThrow(expect.objectContaining({ subject: 'branch', problem: `${JSON.stringify(branch)} has no character that can stand in a Docker tag`, fix: 'pass --tag=<tag>' }));
  });

  it('cuts a long name to 128 characters ending in a hash of the whole name', () => {
    const tag = branchToTag(long);
    expect(tag).toHaveLength(MAX_TAG_LENGTH);
    expect(tag.endsWith(`-${hash8(long)}`)).toBe(true);
    expect(tag.startsWith('feature-aaaa')).toBe(true);
    expect(isValidTag(tag)).toBe(true);
  });

  it('gives two long names with the same start different tags', () => {
    const a = `${long}/one`;
    const b = `${long}/two`;
    expect(branchToTag(a)).not.toBe(branchToTag(b));
  });

  it('keeps a name of exactly 128 characters as it is', () => {
    const name = 'b'.repeat(128);
    expect(branchToTag(name)).toBe(name);
    expect(branchToTag('b'.repeat(129))).toHaveLength(128);
  });
});

describe('isValidTag', () => {
  it.each([
    ['main', true],
    ['v0.1.1', true],
    ['_x', true],
    ['a'.repeat(128), true],
    ['a'.repeat(129), false],
    ['', false],
    ['-x', false],
    ['.x', false],
    ['a/b', false],
    ['a b', false],
    ['a:b', false],
    ['ä', false],
  ])('%j -> %s', (tag, valid) => {
    expect(isValidTag(tag)).toBe(valid);
  });
});

describe('resolveTag', () => {
  it.each([
    [{ option: 'v1', env: { GITHUB_REF_NAME: 'main' }, gitBranch: 'dev' }, 'v1', '--tag'],
    [{ env: { GITHUB_HEAD_REF: 'feature/pr', GITHUB_REF_NAME: '12/merge' }, gitBranch: 'x' }, 'feature-pr', 'GITHUB_HEAD_REF'],
    [{ env: { GITHUB_HEAD_REF: '', GITHUB_REF_NAME: 'feature/Fix_Issue#34' } }, 'feature-Fix_Issue-34', 'GITHUB_REF_NAME'],
    [{ env: {}, gitBranch: 'feature/local' }, 'feature-local', 'the current git branch'],
  ])('%j', (source, tag, from) => {
    expect(resolveTag(source)).toEqual({ tag, from });
  });

  it('refuses an explicit tag that is not valid instead of changing it', () => {
    expect(() => resolveTag({ option: 'feature/x', env: {} })).toThrow(expect.objectContaining({ subject: '--tag', problem: '"feature/x" is not a valid Docker tag' }));
  });

  it('explains a detached HEAD with nothing else to go on', () => {
    expect(() => resolveTag({ env: {} })).toThrow(expect.objectContaining({ subject: 'tag', problem: expect.stringContaining('HEAD is detached') as unknown, fix: 'check out a branch or pass --tag=<tag>' }));
  });
});
