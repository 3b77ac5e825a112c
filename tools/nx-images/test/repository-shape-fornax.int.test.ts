import { beforeAll, describe, expect, it } from 'vitest';
import type { MainSpec } from './harness/built-main';
import { mainCopy } from './harness/main-copy';
import { shapeOf } from './harness/shape';
import type { SimulatedRun } from './harness/github-run';
import type { StartedRegistry } from './harness/registry';
import type { Workspace } from './harness/workspace';

// nasa-fornax/fornax-images as it is, with the plugin options docs/options.md gives for it: image folders
// at the root, REPOSITORY carries the registry, one BASE_TAG. Each image copies its stamp.txt to
// /stamps/<image> and carries its bases' stamps, so reading the files back from the registry shows
// which build of each base an image was made from. main is built once per run (test/harness/built-main.ts).

const SHAPE: MainSpec = {
  workspace: { tree: 'shape-fornax', layout: 'root', pluginOptions: { dockerfiles: '*/Dockerfile', buildArgs: { registry: '', repository: 'REPOSITORY', imageTag: '', baseTag: 'BASE_TAG' } } },
  repository: 'nasa-fornax/fornax-images',
};

describe('a repository like fornax-images: image folders at the root, REPOSITORY with the registry, one BASE_TAG', () => {
  const REPO = SHAPE.repository;
  const IMAGES = ['env-core', 'fornax-base', 'fornax-main', 'jupyter-base'];
  const copy = mainCopy(SHAPE);
  let ws: Workspace;
  let c0: string;
  let first: SimulatedRun;

  let registry: StartedRegistry;
  let builtOn: string;
  let it$: ReturnType<typeof shapeOf>;

  beforeAll(() => {
    ({ ws, registry, c0, first, builtOn } = copy);
    it$ = shapeOf(registry, REPO);
  });

  it('the first push to main builds every image in order, each on its bases of this same run', async () => {
    expect(first.exitCode, first.all).toBe(0);
    expect(first.all).toContain('ci:images: level 4: fornax-main (after env-core, fornax-base)\n');
    const digests: Record<string, string> = {};
    for (const name of IMAGES) {
      const built = await it$.read(name, 'main');
      expect(built?.labels['org.opencontainers.image.revision'], name).toBe(c0);
      digests[name] = built?.digest ?? '';
    }
    expect(await it$.basesOf('fornax-main', 'main')).toEqual(
      ['env-core', 'fornax-base'].map((base) => ({ image: base, reference: `${builtOn}/${REPO}/${base}:main`, digest: digests[base] })),
    );
    expect(await it$.stamp('fornax-main', 'main', 'env-core')).toBe('env-core 1\n');
    expect(await it$.stamp('fornax-main', 'main', 'jupyter-base')).toBe('jupyter-base 1\n');
  });

  it('a branch that changes a mid-level image and one built on it builds exactly those two, the second on the branch\'s image and main\'s other base', async () => {
    const sha = await ws.branch('feature/core', { 'env-core/stamp.txt': 'env-core 2\n', 'fornax-main/stamp.txt': 'fornax-main 2\n' });
    const result = await it$.push(ws, { branch: 'feature/core', sha });
    expect(result.exitCode, result.all).toBe(0);
    expect(await it$.tagged(IMAGES, 'feature-core')).toEqual(['env-core', 'fornax-main']);
    expect(await it$.basesOf('fornax-main', 'feature-core')).toEqual([
      { image: 'env-core', reference: `${registry.host}/${REPO}/env-core:feature-core`, digest: (await it$.read('env-core', 'feature-core'))?.digest },
      { image: 'fornax-base', reference: `${registry.host}/${REPO}/fornax-base:main`, digest: (await it$.read('fornax-base', 'main'))?.digest },
    ]);
    expect(await it$.stamp('fornax-main', 'feature-core', 'env-core')).toBe('env-core 2\n');
    expect(await it$.stamp('fornax-main', 'feature-core', 'fornax-main')).toBe('fornax-main 2\n');
  });
});

