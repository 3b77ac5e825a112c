import { describe, expect, it } from 'vitest';
import type { Inventory } from '../../lib/core/evidence/inventory';
import { buildTagsAfterPush } from './build-tags';

const DIGEST = `sha256:${'d'.repeat(64)}`;
const build = {
  project: 'tractor',
  image: 'tractor',
  registry: 'r.io',
  repository: 'o/n',
  tag: 'main',
  extraTags: [],
  revision: 'c'.repeat(40),
  buildTime: '2026-06-30T12:00:00.000Z',
  buildTags: ['sha-cccccccccccc'],
  inventoryTags: ['py-{version:python}'],
};
const inventory: Inventory = {
  schemaVersion: 1,
  image: 'tractor',
  problems: [],
  packages: [{ environment: 'base', name: 'python', version: '3.12.7', source: 'conda', purl: 'pkg:conda/python@3.12.7', file: 'conda-base.txt' }],
};

describe('buildTagsAfterPush', () => {
  it('finishes the tags read from the inventory after the others', () => {
    expect(buildTagsAfterPush(build, DIGEST, inventory)).toEqual(['sha-cccccccccccc', 'py-3.12.7']);
    expect(buildTagsAfterPush({ ...build, inventoryTags: [] }, DIGEST, undefined)).toEqual(['sha-cccccccccccc']);
  });

  it('a template the inventory cannot fill keeps its problem, and its fix says the push stays', () => {
    const call = () => buildTagsAfterPush({ ...build, inventoryTags: ['py-{version:scipy}'] }, DIGEST, inventory);
    expect(call).toThrow(
      expect.objectContaining({
        image: 'tractor',
        subject: 'tags template "py-{version:scipy}"',
        problem: 'the inventory of tractor holds no package "scipy" (environments: base)',
        fix: `name a package the image has, or remove the template (r.io/o/n/tractor@${DIGEST} was pushed and stays; no per-build tag was written)`,
      }),
    );
    expect(call).toThrow(/^tractor: tags template "py-\{version:scipy\}": [^\n]+ \(r\.io\/o\/n\/tractor@sha256:d+ was pushed and stays; no per-build tag was written\)\.$/);
  });

  it('no inventory at all says so, the push staying', () => {
    expect(() => buildTagsAfterPush(build, DIGEST, undefined)).toThrow(expect.objectContaining({ problem: expect.stringMatching(/^no inventory was made for tractor/) as unknown, fix: expect.stringContaining('was pushed and stays') as unknown }));
  });
});
