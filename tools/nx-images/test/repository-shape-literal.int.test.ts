import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { SimulatedRun } from './harness/github-run';
import type { StartedRegistry } from './harness/registry';
import { IMAGES, INIT_OUTPUT, literalShape, type LiteralShape } from './harness/shape-literal';
import type { Workspace } from './harness/workspace';

// A repository that names its images literally (fixture tree test/fixtures/shape-literal, image folders at
// the root): Docker Hub implied, `ARG BASE_TAG=master` then `FROM owner/base-image:${BASE_TAG}`, default
// branch master, no remote, tests/test_all.py beside tests/test_<name>.py driving the image through a
// `container` fixture. Before main is built, `init --no-interactive` adopts it and decides everything from
// the files; main is then built once per run (test/harness/built-main.ts). Stamps and labels are read back
// from the loopback registry, where every self-reference resolves: this run's registry and repository.

// Adopted by init, the first push and a branch on the base here; a digest pin, a fork and a missing COPY
// source in repository-shape-literal-pins.int.test.ts (the repository: test/harness/shape-literal.ts).
describe('a repository that names its images literally: FROM owner/base-image:${BASE_TAG}, Docker Hub implied', () => {
  const shape = literalShape();
  const { REPO } = shape;
  let ws: Workspace;
  let first: SimulatedRun;
  let registry: StartedRegistry;
  let builtOn: string;
  let it$: LiteralShape['it$'];
  beforeAll(() => {
    ({ ws, first, registry, builtOn, it$ } = shape);
  });
  const { push, branch } = shape;

  it('init --no-interactive decides everything from the files, and prints the evidence', () => {
    const lines = readFileSync(join(ws.dir, INIT_OUTPUT), 'utf8').split('\n').map((line) => line.trim()).filter((line) => line.startsWith('init:'));
    const options = (JSON.parse(readFileSync(join(ws.dir, 'nx.json'), 'utf8')) as { defaultBase: string; plugins: { plugin: string; options: Record<string, unknown> }[] });
    expect(options.defaultBase).toBe('master');
    expect(options.plugins.find((entry) => entry.plugin === '@fornax/nx-images')?.options).toEqual({
      dockerfiles: '*/Dockerfile',
      buildArgs: { registry: 'REGISTRY', repository: 'REPOSITORY', imageTag: '', baseTag: 'BASE_TAG' },
      selfNames: ['owner/', 'docker.io/owner/'],
      tests: { path: ['tests/test_all.py', 'tests/test_{name}.py'], run: 'host' },
    });
    expect(lines).toContain(
      'init: self names: owner/, docker.io/owner/, read as this repository\'s images wherever it pushes (3 references name a folder of this repository literally (astro-tools/Dockerfile: owner/base-image:${BASE_TAG}; jupyter-lab/Dockerfile: owner/astro-tools:${BASE_TAG}; jupyter-lab/Dockerfile: docker.io/owner/base-image:${BASE_TAG}))',
    );
    expect(lines).toContain('init: images go to docker.io/owner/<image> (from the literal references to this repository\'s images (astro-tools/Dockerfile: owner/base-image:${BASE_TAG}, and 2 more; no registry written, so Docker Hub: docker.io))');
    expect(lines).toContain('init: default branch master (from git)');
    expect(lines.find((line) => line.startsWith('init: tests: '))).toMatch(/they run on the host: .*uses the container fixture of tests\/conftest\.py/);
    expect(lines).toContain('init: level 3: jupyter-lab');
    expect(lines.filter((line) => line.startsWith('init: note:') || line.startsWith('init: missing:'))).toEqual([]);
  });

  it('the first push builds the base first and every image on it, each reading this run\'s registry', async () => {
    expect(first.exitCode, first.all).toBe(0);
    expect(first.all).toContain('ci:images: level 1: base-image\n');
    expect(first.all).toContain('ci:images: level 2: astro-tools (after base-image)\n');
    expect(first.all).toContain('ci:images: level 3: jupyter-lab (after astro-tools, base-image)\n');
    const base = await it$.read('base-image', 'master');
    expect(await it$.basesOf('astro-tools', 'master')).toEqual([{ image: 'base-image', reference: `${builtOn}/${REPO}/base-image:master`, digest: base?.digest, written: 'owner/base-image:${BASE_TAG}' }]);
    expect((await it$.read('astro-tools', 'master'))?.labels['org.opencontainers.image.base.name']).toBe(`${builtOn}/${REPO}/base-image:master`);
    expect((await it$.basesOf('jupyter-lab', 'master')).map((entry) => [entry.image, entry.written])).toEqual([
      ['astro-tools', 'owner/astro-tools:${BASE_TAG}'],
      ['base-image', 'docker.io/owner/base-image:${BASE_TAG}'],
    ]);
    expect(await it$.stamp('jupyter-lab', 'master', 'copied-base-image')).toBe('base-image 1\n');
    // Every image ran the common test file; astro-tools its own too, and jupyter-lab its ancestors' (4 tests).
    expect(first.all).toContain('jupyter-lab: tests passed (4 tests)');
  });

  it('a branch changing the base and one image builds both, the image on the branch\'s base', async () => {
    const sha = await branch('feature/base', { 'base-image/stamp.txt': 'base-image 2\n', 'astro-tools/stamp.txt': 'astro-tools 2\n' });
    const result = await push('feature/base', sha);
    expect(result.exitCode, result.all).toBe(0);
    expect(await it$.tagged(IMAGES, 'feature-base')).toEqual(['astro-tools', 'base-image']);
    expect(await it$.stamp('astro-tools', 'feature-base', 'base-image')).toBe('base-image 2\n');
    expect(await it$.basesOf('astro-tools', 'feature-base')).toEqual([
      { image: 'base-image', reference: `${registry.host}/${REPO}/base-image:feature-base`, digest: (await it$.read('base-image', 'feature-base'))?.digest, written: 'owner/base-image:${BASE_TAG}' },
    ]);
  });
});
