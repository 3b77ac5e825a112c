import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// What ships as the plugin (index, plugin, executors, generators, lib) must
// never load a CI entry point: each runs main() on load. Only the bin may.
const SRC = resolve(__dirname, '..');
const MAY_IMPORT_CI = ['ci', 'bin'];

// Static imports, re-exports, import() and require() with a literal relative path.
const RELATIVE_SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]*)['"]/gm;

/** Every `importer -> imported` edge under `src` from a file outside src/ci and src/bin into src/ci. */
function importsOfCi(src: string): string[] {
  const files = (readdirSync(src, { recursive: true, encoding: 'utf8' })).filter((path) => path.endsWith('.ts') && !path.endsWith('.test.ts'));
  const found: string[] = [];
  for (const file of files) {
    const top = file.split(sep)[0] ?? '';
    if (MAY_IMPORT_CI.includes(top)) continue;
    for (const match of readFileSync(join(src, file), 'utf8').matchAll(RELATIVE_SPECIFIER)) {
      const target = relative(src, resolve(src, dirname(file), match[1] ?? ''));
      if (target === 'ci' || target.startsWith(`ci${sep}`)) found.push(`${file} -> ${target}`);
    }
  }
  return found.sort();
}

const scratch = mkdtempSync(join(tmpdir(), 'fornax-ci-isolation-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(scratch, 'src-'));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

describe('src/ci stays out of the shipped import graph', () => {
  it('no file under src/ outside src/ci and src/bin imports src/ci', () => {
    expect(importsOfCi(SRC)).toEqual([]);
  });

  it.each<[string, Record<string, string>, string[]]>([
    ['a static import from lib', { 'lib/io/x.ts': "import { a } from '../../ci/images';\n" }, [`lib${sep}io${sep}x.ts -> ci${sep}images`]],
    ['a re-export from index', { 'index.ts': "export * from './ci/release';\n" }, [`index.ts -> ci${sep}release`]],
    ['a side-effect import from an executor', { 'executors/e/executor.ts': "import '../../ci/free-disk';\n" }, [`executors${sep}e${sep}executor.ts -> ci${sep}free-disk`]],
    ['a dynamic import', { 'plugin/p.ts': "const m = await import('../ci/images');\n" }, [`plugin${sep}p.ts -> ci${sep}images`]],
    ['a require', { 'generators/g.ts': "require('../ci');\n" }, [`generators${sep}g.ts -> ci`]],
    ['a type-only import across lines', { 'lib/t.ts': "import type {\n  A,\n} from '../ci/plan-images';\n" }, [`lib${sep}t.ts -> ci${sep}plan-images`]],
    ['src/bin and src/ci themselves may', { 'bin/b.ts': "import '../ci/images';\n", 'ci/a.ts': "import './b';\n" }, []],
    ['a folder merely named like ci is not src/ci', { 'lib/ci/x.ts': "import '../core';\n", 'lib/y.ts': "import './ci/x';\n" }, []],
    ['a test file may', { 'lib/x.test.ts': "import '../ci/images';\n" }, []],
  ])('finds %s', (_case, files, expected) => {
    expect(importsOfCi(tree(files))).toEqual(expected);
  });
});
