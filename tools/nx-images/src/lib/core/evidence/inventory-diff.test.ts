import { describe, expect, it } from 'vitest';
import type { InventoryPackage, PackageSource } from './inventory';
import { diffInventories, isUnchanged } from './inventory-diff';
import { renderImageDifferences, renderPackageDiff } from './inventory-diff-report';

function pkg(environment: string, name: string, version: string, source: PackageSource = 'conda', extra: Partial<InventoryPackage> = {}): InventoryPackage {
  return { environment, name, version, source, purl: `pkg:${source}/${name}@${version}`, file: 'lock.txt', ...extra };
}
const inv = (...packages: InventoryPackage[]) => ({ packages });

describe('diffInventories', () => {
  it.each([
    ['nothing against nothing', [], [], { added: 0, removed: 0, changed: 0, unchanged: 0 }],
    ['the same packages', [pkg('base', 'numpy', '1.26.4')], [pkg('base', 'numpy', '1.26.4')], { added: 0, removed: 0, changed: 0, unchanged: 1 }],
    ['one added', [], [pkg('base', 'numpy', '1')], { added: 1, removed: 0, changed: 0, unchanged: 0 }],
    ['one removed', [pkg('base', 'numpy', '1')], [], { added: 0, removed: 1, changed: 0, unchanged: 0 }],
    ['a version bump', [pkg('base', 'numpy', '1')], [pkg('base', 'numpy', '2')], { added: 0, removed: 0, changed: 1, unchanged: 0 }],
    ['another build of one version', [pkg('base', 'numpy', '1', 'conda', { build: 'py311_0' })], [pkg('base', 'numpy', '1', 'conda', { build: 'py311_1' })], { added: 0, removed: 0, changed: 1, unchanged: 0 }],
    ['another channel', [pkg('base', 'numpy', '1', 'conda', { channel: 'defaults' })], [pkg('base', 'numpy', '1', 'conda', { channel: 'conda-forge' })], { added: 0, removed: 0, changed: 1, unchanged: 0 }],
    ['the same name in another environment', [pkg('base', 'numpy', '1')], [pkg('heasoft', 'numpy', '1')], { added: 1, removed: 1, changed: 0, unchanged: 0 }],
    ['the same name from another source', [pkg('base', 'numpy', '1', 'conda')], [pkg('base', 'numpy', '1', 'pypi')], { added: 1, removed: 1, changed: 0, unchanged: 0 }],
    ['a PyPI name spelled another way', [pkg('venv', 'Foo_Bar.baz', '1', 'pypi')], [pkg('venv', 'foo-bar-baz', '1', 'pypi')], { added: 0, removed: 0, changed: 0, unchanged: 1 }],
    ['a package listed twice (two architectures), one dropped', [pkg('system', 'libc6', '2.36', 'deb', { channel: 'amd64' }), pkg('system', 'libc6', '2.36', 'deb', { channel: 'i386' })], [pkg('system', 'libc6', '2.36', 'deb', { channel: 'amd64' })], { added: 0, removed: 0, changed: 1, unchanged: 0 }],
  ])('%s', (_name, from, to, counts) => {
    const diff = diffInventories(inv(...from), inv(...to));
    expect({ added: diff.added, removed: diff.removed, changed: diff.changed, unchanged: diff.unchanged }).toEqual(counts);
    expect(isUnchanged(diff)).toBe(counts.added + counts.removed + counts.changed === 0);
  });

  it('names each change by environment, sorted, with both states', () => {
    const diff = diffInventories(
      inv(pkg('base', 'zlib', '1.3'), pkg('base', 'astropy', '6.0.0', 'pypi'), pkg('env with spaces/#1', 'réseau', '0.1'), pkg('base', 'six', '1.16')),
      inv(pkg('base', 'zlib', '1.3'), pkg('base', 'astropy', '6.1.0', 'pypi'), pkg('base', 'Scipy', '1.13.0', 'conda', { build: 'py311h_0', channel: 'conda-forge' }), pkg('env with spaces/#1', 'réseau', '0.1')),
    );
    expect(diff.environments.map((env) => env.environment)).toEqual(['base']);
    const [base] = diff.environments;
    expect(base?.added).toEqual([{ name: 'Scipy', source: 'conda', state: { version: '1.13.0', build: 'py311h_0', channel: 'conda-forge' } }]);
    expect(base?.removed.map((entry) => entry.name)).toEqual(['six']);
    expect(base?.changed).toEqual([{ name: 'astropy', source: 'pypi', kind: 'version', from: { version: '6.0.0' }, to: { version: '6.1.0' } }]);
    expect(diff.unchanged).toBe(2);
  });
});

describe('renderPackageDiff', () => {
  it('escapes names that would break a table or inject HTML, and says when nothing moved', () => {
    const diff = diffInventories(inv(), inv(pkg('a|b', '<script>`x`', '1|2\n<b>')));
    const text = renderPackageDiff(diff).join('\n');
    expect(text).toContain('| `a\\|b` | `` <script>`x` `` | conda | added | | 1\\|2<br>&lt;b&gt; |');
    expect(renderPackageDiff(diffInventories(inv(pkg('base', 'a', '1')), inv(pkg('base', 'a', '1'))))).toEqual(['Packages: none added, removed or changed (1 unchanged).']);
  });

  it('stops at the row limit and says how many are left', () => {
    const many = Array.from({ length: 12 }, (_, index) => pkg('base', `p${String(index).padStart(2, '0')}`, '1'));
    const lines = renderPackageDiff(diffInventories(inv(), inv(...many)), 10);
    expect(lines.filter((line) => line.startsWith('| `base`'))).toHaveLength(10);
    expect(lines.at(-1)).toBe('… and 2 more row(s): run image-diff for the whole list.');
    expect(renderPackageDiff(diffInventories(inv(), inv(...many)), 10, 'compare').at(-1)).toBe('… and 2 more row(s): run compare for the whole list.');
  });

  it('renders a side that was not compared as its note', () => {
    const text = renderImageDifferences({ image: 'env-core', from: 'main', to: 'pr-1', packages: { note: 'main has no inventory attached' }, size: { note: 'x' } });
    expect(text).toContain('### `env-core`: `main` → `pr-1`');
    expect(text).toContain('Packages: not compared: main has no inventory attached');
  });
});
