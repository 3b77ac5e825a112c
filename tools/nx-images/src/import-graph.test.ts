import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// The shape of the shipped code's imports: no circle anywhere under src, and no
// executor reaching into another's folder (what they share is in lib, or is
// executors/outcome.ts, the plumbing every executor ends with).
const SRC = __dirname;

// Static imports, re-exports, import() and require() with a literal relative path.
const RELATIVE_SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]*)['"]/gm;

/** Every file under `src` (tests left out) with the files it imports, as paths relative to `src` (a path that names no file is kept as written). */
function importGraph(src: string): Map<string, string[]> {
  const files = readdirSync(src, { recursive: true, encoding: 'utf8' }).filter((path) => path.endsWith('.ts') && !path.endsWith('.test.ts'));
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const imported = new Set<string>();
    for (const match of readFileSync(join(src, file), 'utf8').matchAll(RELATIVE_SPECIFIER)) {
      const base = resolve(src, dirname(file), match[1] ?? '');
      const target = [`${base}.ts`, `${base}.d.ts`, join(base, 'index.ts'), base].find((path) => existsSync(path) && statSync(path).isFile());
      imported.add(relative(src, target ?? base));
    }
    graph.set(file, [...imported].sort());
  }
  return graph;
}

/** The import circles: each a list of files that import one another, sorted (Tarjan's strongly connected components). */
function importCircles(graph: Map<string, string[]>): string[][] {
  const order = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const circles: string[][] = [];
  const visit = (file: string) => {
    order.set(file, order.size);
    low.set(file, order.get(file) ?? 0);
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (!order.has(next)) {
        visit(next);
        low.set(file, Math.min(low.get(file) ?? 0, low.get(next) ?? 0));
      } else if (stack.includes(next)) low.set(file, Math.min(low.get(file) ?? 0, order.get(next) ?? 0));
    }
    if (low.get(file) !== order.get(file)) return;
    const members = stack.splice(stack.indexOf(file));
    if (members.length > 1 || (graph.get(file) ?? []).includes(file)) circles.push(members.sort());
  };
  for (const file of [...graph.keys()].sort()) if (!order.has(file)) visit(file);
  return circles.sort();
}

/** Every `importer -> imported` edge from one executor's folder into another's. */
function crossExecutorImports(graph: Map<string, string[]>): string[] {
  const executorOf = (path: string) => {
    const [top, folder, ...rest] = path.split(sep);
    return top === 'executors' && folder !== undefined && rest.length > 0 ? folder : undefined;
  };
  const found: string[] = [];
  for (const [file, imported] of graph) {
    const own = executorOf(file);
    if (own === undefined) continue;
    for (const target of imported) {
      const other = executorOf(target);
      if (other !== undefined && other !== own) found.push(`${file} -> ${target}`);
    }
  }
  return found.sort();
}

const scratch = mkdtempSync(join(tmpdir(), 'fornax-import-graph-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(scratch, 'src-'));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

const p = (...parts: string[]) => parts.join(sep);

describe('no import circle under src', () => {
  it('src has none', () => {
    expect(importCircles(importGraph(SRC))).toEqual([]);
  });

  it.each<[string, Record<string, string>, string[][]]>([
    ['two files importing each other', { 'a.ts': "import { b } from './b';\n", 'b.ts': "import { a } from './a';\n" }, [['a.ts', 'b.ts']]],
    [
      'three folders in a ring, through a type import',
      { 'core/ci/s.ts': "import type { R } from '../release/r';\n", 'core/release/r.ts': "import { d } from '../evidence/d';\n", 'core/evidence/d.ts': "import { s } from '../ci/s';\n" },
      [[p('core', 'ci', 's.ts'), p('core', 'evidence', 'd.ts'), p('core', 'release', 'r.ts')]],
    ],
    ['a folder import through its index', { 'a.ts': "export * from './lib';\n", 'lib/index.ts': "import '../a';\n" }, [['a.ts', p('lib', 'index.ts')]]],
    ['a file importing itself', { 'a.ts': "import './a';\n" }, [['a.ts']]],
    ['a chain is no circle', { 'a.ts': "import './b';\n", 'b.ts': "import './c';\n", 'c.ts': '' }, []],
    ['a test file may close a ring', { 'a.ts': "import './b';\n", 'b.ts': '', 'b.test.ts': "import './a';\nimport './b';\n" }, []],
  ])('finds %s', (_case, files, expected) => {
    expect(importCircles(importGraph(tree(files)))).toEqual(expected);
  });
});

describe('no executor imports another executor', () => {
  it('no file under src/executors/<a>/ imports src/executors/<b>/', () => {
    expect(crossExecutorImports(importGraph(SRC))).toEqual([]);
  });

  it.each<[string, Record<string, string>, string[]]>([
    ['a function from another executor', { 'executors/a/executor.ts': "import { f } from '../b/f';\n", 'executors/b/f.ts': '' }, [`${p('executors', 'a', 'executor.ts')} -> ${p('executors', 'b', 'f.ts')}`]],
    ['a type from another executor\'s schema.d.ts', { 'executors/a/schema.d.ts': "export type { S } from '../b/schema';\n", 'executors/b/schema.d.ts': '' }, [`${p('executors', 'a', 'schema.d.ts')} -> ${p('executors', 'b', 'schema.d.ts')}`]],
    ['a path that names no file yet', { 'executors/a/x.ts': "import '../b/gone';\n" }, [`${p('executors', 'a', 'x.ts')} -> ${p('executors', 'b', 'gone')}`]],
    ['a file deeper inside an executor', { 'executors/a/deep/x.ts': "import '../../b/y';\n", 'executors/b/y.ts': '' }, [`${p('executors', 'a', 'deep', 'x.ts')} -> ${p('executors', 'b', 'y.ts')}`]],
    ['the shared plumbing and lib may be imported', { 'executors/a/executor.ts': "import '../outcome';\nimport '../../lib/io/x';\n", 'executors/outcome.ts': '', 'lib/io/x.ts': '' }, []],
    ['an executor\'s own files may', { 'executors/a/executor.ts': "import './normalize';\n", 'executors/a/normalize.ts': '' }, []],
    ['a test file may', { 'executors/a/executor.test.ts': "import '../b/f';\n" }, []],
  ])('finds %s', (_case, files, expected) => {
    expect(crossExecutorImports(importGraph(tree(files)))).toEqual(expected);
  });
});
