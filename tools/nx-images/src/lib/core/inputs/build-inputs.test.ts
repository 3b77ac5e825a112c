import { describe, expect, it } from 'vitest';
import { buildInputs, canonicalJson, contextFilter, digestOf, type ImageBuildSpec, type InputsSource, type TreeFile } from './build-inputs';

/** A tree from path -> content; ids are the content itself, which is all buildInputs compares. */
function tree(files: Record<string, string>, modes: Record<string, string> = {}): InputsSource {
  const list: TreeFile[] = Object.entries(files).map(([path, content]) => ({ path, mode: modes[path] ?? '100644', id: `id:${content}` }));
  return { files: list, text: (path) => files[path] };
}

const BASE = {
  'images/a/Dockerfile': 'FROM scratch\nCOPY . /\n',
  'images/a/a.txt': 'a',
  'images/a/tests/test_a.py': 'def test(): pass',
  'images/b/Dockerfile': 'FROM scratch\n',
  'images/b/b.txt': 'b',
  'README.md': 'readme',
  '.gitignore': 'dist\n',
  'introduction.md': 'intro',
};
const A: ImageBuildSpec = { context: 'images/a', dockerfile: 'images/a/Dockerfile', settings: { target: 'x' } };
const digest = (files: Record<string, string>, spec = A, modes: Record<string, string> = {}) => buildInputs(spec, tree(files, modes))?.digest;

describe('buildInputs: the digest changes exactly when what the build reads changes', () => {
  const before = digest(BASE);
  it.each<[string, Record<string, string>]>([
    ['a file of another image', { 'images/b/b.txt': 'b2' }],
    ['the README', { 'README.md': 'new' }],
    ['.gitignore', { '.gitignore': 'dist\nnode_modules\n' }],
    ['a file next to the context folder with the same prefix', { 'images/ab/x.txt': 'x' }],
    ['a root file no step copies', { 'introduction.md': 'intro 2' }],
  ])('unchanged by %s', (_what, change) => {
    expect(digest({ ...BASE, ...change })).toBe(before);
  });

  it('unchanged by a file .dockerignore leaves out; the .dockerignore itself is a file of the context', () => {
    const ignoring = { ...BASE, 'images/a/.dockerignore': 'tests\n' };
    expect(digest({ ...ignoring, 'images/a/tests/test_a.py': 'def test(): assert 0' })).toBe(digest(ignoring));
    expect(digest({ ...BASE, 'images/a/.dockerignore': 'nothing-here\n' })).not.toBe(before);
  });

  it.each<[string, Record<string, string>]>([
    ['a context file', { 'images/a/a.txt': 'a2' }],
    ['a new context file', { 'images/a/new.txt': 'n' }],
    ['a test inside the context', { 'images/a/tests/test_a.py': 'def test(): assert 0' }],
    ['the Dockerfile', { 'images/a/Dockerfile': 'FROM scratch\n' }],
    ['a hidden file in the context', { 'images/a/.env': 'X=1' }],
  ])('changed by %s', (_what, change) => {
    expect(digest({ ...BASE, ...change })).not.toBe(before);
  });

  it('changed by a removed context file, and by the executable bit', () => {
    const removed: Record<string, string> = { ...BASE };
    delete removed['images/a/a.txt'];
    expect(digest(removed)).not.toBe(before);
    expect(digest(BASE, A, { 'images/a/a.txt': '100755' })).not.toBe(before);
  });

  it('changed by a setting, not by the order of its keys', () => {
    expect(digest(BASE, { ...A, settings: { target: 'y' } })).not.toBe(before);
    expect(digest(BASE, { ...A, settings: { b: 1, a: { d: 2, c: 3 } } })).toBe(digest(BASE, { ...A, settings: { a: { c: 3, d: 2 }, b: 1 } }));
  });

  it('a root file a step copies in is an input; the same path of another image is not', () => {
    const withCopy = { ...A, copies: ['introduction.md'] };
    expect(digest({ ...BASE, 'introduction.md': 'intro 2' }, withCopy)).not.toBe(digest(BASE, withCopy));
    expect(buildInputs(withCopy, tree(BASE))?.files).toContain('introduction.md');
  });

  it('the same context moved to another folder keeps its digest (paths are read relative to the context)', () => {
    const moved = { 'images/c/Dockerfile': BASE['images/a/Dockerfile'], 'images/c/a.txt': 'a', 'images/c/tests/test_a.py': BASE['images/a/tests/test_a.py'] };
    expect(digest(moved, { ...A, context: 'images/c', dockerfile: 'images/c/Dockerfile' })).toBe(before);
  });

  it('a Dockerfile the tree lacks: no inputs (the image does not exist there)', () => {
    const gone: Record<string, string> = { ...BASE };
    delete gone['images/a/Dockerfile'];
    expect(buildInputs(A, tree(gone))).toBeUndefined();
  });

  it('BuildKit\'s <Dockerfile>.dockerignore wins over the context\'s', () => {
    const files = { ...BASE, 'images/a/.dockerignore': 'a.txt\n', 'images/a/Dockerfile.dockerignore': 'tests\n' };
    expect(buildInputs(A, tree(files))?.files).toEqual(['images/a/.dockerignore', 'images/a/Dockerfile', 'images/a/Dockerfile.dockerignore', 'images/a/a.txt']);
  });

  it('a context at the workspace root reads every file .dockerignore keeps', () => {
    const files = { 'Dockerfile': 'FROM scratch\n', '.dockerignore': '**/*.md\n!keep.md\n', 'a.md': 'a', 'keep.md': 'k', 'src/x.py': 'x' };
    expect(buildInputs({ context: '.', dockerfile: './Dockerfile', settings: {} }, tree(files))?.files).toEqual(['.dockerignore', 'Dockerfile', 'keep.md', 'src/x.py']);
  });
});

describe('contextFilter: .dockerignore as Docker reads it', () => {
  it.each<[string, string, boolean]>([
    ['tests\n', 'tests/test_a.py', true],
    ['tests\n', 'other/tests/x', false],
    ['**/tests\n', 'other/tests/x', true],
    ['*.md\n!README.md\n', 'README.md', false],
    ['*.md\n!README.md\n', 'NOTES.md', true],
    ['# a comment\n\n  \n', 'anything', false],
    ['/build\n', 'build/out', true],
    ['*\n!Dockerfile\n', 'src/a.py', true],
    ['**/__pycache__\n', 'src/pkg/__pycache__/m.pyc', true],
    ['', '.hidden', false],
  ])('rules %j: %s ignored=%s', (rules, path, ignored) => {
    expect(contextFilter(rules)(path)).toBe(ignored);
  });
});

describe('canonicalJson and digestOf', () => {
  it.each<[unknown, string]>([
    [{ b: 1, a: 2 }, '{"a":2,"b":1}'],
    [{ z: { y: 1, x: [3, { d: 1, c: 2 }] } }, '{"z":{"x":[3,{"c":2,"d":1}],"y":1}}'],
    [{ a: undefined, b: null }, '{"b":null}'],
    [['b', 'a'], '["b","a"]'],
    ['ünïcode', '"ünïcode"'],
  ])('%j -> %s', (value, text) => {
    expect(canonicalJson(value)).toBe(text);
  });

  it('digests are sha256 of the canonical text', () => {
    expect(digestOf({ b: 1, a: 2 })).toBe(digestOf({ a: 2, b: 1 }));
    expect(digestOf({ a: 1 })).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(digestOf({ a: 1 })).not.toBe(digestOf({ a: '1' }));
  });
});
