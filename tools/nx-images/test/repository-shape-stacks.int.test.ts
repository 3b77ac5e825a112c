import { beforeAll, describe, expect, it } from 'vitest';
import { mainCopy } from './harness/main-copy';
import { STACKS_IMAGES, STACKS_SHAPE as SHAPE } from './harness/shape-stacks';
import { shapeOf } from './harness/shape';
import type { SimulatedRun } from './harness/github-run';
import { listTags } from './harness/read-image';
import type { StartedRegistry } from './harness/registry';
import type { Workspace } from './harness/workspace';

// jupyter/docker-stacks as it is, with the plugin options docs/options.md gives for it: images/<name>,
// ARG BASE_IMAGE=$REGISTRY/$OWNER/<base> and FROM $BASE_IMAGE with no tag at all, no base tag arg, and
// a variant images/pytorch-notebook/cuda12 (test/harness/shape-stacks.ts). Stamps as in repository-shape-fornax.
// main is built once per run (test/harness/built-main.ts); a release and a pull request are
// repository-shape-stacks-release.int.test.ts's, on a copy of their own.

describe('a repository like docker-stacks: images/<name>, FROM $BASE_IMAGE with no tag, a variant', () => {
  const REPO = SHAPE.repository;
  const IMAGES = STACKS_IMAGES;
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

  it('the first push to main builds every image and the variant, each untagged base resolved to this run\'s main', async () => {
    expect(first.exitCode, first.all).toBe(0);
    expect(first.all).toContain('ci:images: level 4: pytorch-notebook (after scipy-notebook), pytorch-notebook-cuda12 (after scipy-notebook)\n');
    // The one line per base says why the branch rule applies: the Dockerfile names no tag.
    expect(first.all).toContain(`scipy-notebook: base base-notebook: no tag in the Dockerfile, so this branch's ${builtOn}/${REPO}/base-notebook:main is sha256:`);
    for (const name of IMAGES) expect((await it$.read(name, 'main'))?.labels['org.opencontainers.image.revision'], name).toBe(c0);
    const scipy = await it$.read('scipy-notebook', 'main');
    expect(await it$.basesOf('pytorch-notebook', 'main')).toEqual([{ image: 'scipy-notebook', reference: `${builtOn}/${REPO}/scipy-notebook:main`, digest: scipy?.digest }]);
    expect((await it$.read('pytorch-notebook', 'main'))?.labels['org.opencontainers.image.base.digest']).toBe(scipy?.digest);
    // The variant: pytorch-notebook:cuda12-main, on the same base, its own stamp.
    const variant = await it$.read('pytorch-notebook', 'cuda12-main');
    expect(variant?.labels['org.opencontainers.image.revision']).toBe(c0);
    expect(variant?.labels['org.opencontainers.image.base.digest']).toBe(scipy?.digest);
    expect(await it$.stamp('pytorch-notebook', 'cuda12-main', 'pytorch-notebook-cuda12')).toBe('pytorch-notebook-cuda12 1\n');
    expect(await it$.stamp('pytorch-notebook', 'cuda12-main', 'docker-stacks-foundation')).toBe('docker-stacks-foundation 1\n');
    expect((await listTags(registry.url, `${REPO}/pytorch-notebook`)).filter((tag) => !tag.startsWith('sha256-')).sort()).toEqual(['cuda12-main', 'main']);
  });

  it('a second push to main with no change builds nothing, the variant included', async () => {
    const again = await it$.push(ws, { branch: 'main', sha: c0, before: c0 });
    expect(again.exitCode, again.all).toBe(0);
    expect(again.all).toContain('ci:images: no image is affected; nothing to build.');
  });

  it('a branch that changes a mid-level image and one built on it builds exactly those two, on the branch\'s base', async () => {
    const sha = await ws.branch('feature/scipy', { 'images/scipy-notebook/stamp.txt': 'scipy-notebook 2\n', 'images/pytorch-notebook/stamp.txt': 'pytorch-notebook 2\n' });
    const result = await it$.push(ws, { branch: 'feature/scipy', sha });
    expect(result.exitCode, result.all).toBe(0);
    expect(await it$.tagged(IMAGES, 'feature-scipy')).toEqual(['pytorch-notebook', 'scipy-notebook']);
    expect((await listTags(registry.url, `${REPO}/pytorch-notebook`)).includes('cuda12-feature-scipy')).toBe(false);
    const bases = await it$.basesOf('pytorch-notebook', 'feature-scipy');
    expect(bases).toEqual([{ image: 'scipy-notebook', reference: `${registry.host}/${REPO}/scipy-notebook:feature-scipy`, digest: (await it$.read('scipy-notebook', 'feature-scipy'))?.digest }]);
    expect(await it$.stamp('pytorch-notebook', 'feature-scipy', 'scipy-notebook')).toBe('scipy-notebook 2\n');
    // scipy-notebook itself stands on main's base-notebook: this branch did not build one.
    expect(await it$.stamp('scipy-notebook', 'feature-scipy', 'base-notebook')).toBe('base-notebook 1\n');
  });

  it('a branch that changes only the variant\'s folder builds only the variant, as <image>:<variant>-<branch>', async () => {
    const sha = await ws.branch('feature/cuda', { 'images/pytorch-notebook/cuda12/stamp.txt': 'pytorch-notebook-cuda12 2\n' });
    const result = await it$.push(ws, { branch: 'feature/cuda', sha });
    expect(result.exitCode, result.all).toBe(0);
    expect(result.all).toContain('ci:images: level 1: pytorch-notebook-cuda12\n');
    expect(await it$.tagged(IMAGES, 'feature-cuda')).toEqual([]);
    expect(await it$.tagged(['pytorch-notebook'], 'cuda12-feature-cuda')).toEqual(['pytorch-notebook']);
    expect(await it$.stamp('pytorch-notebook', 'cuda12-feature-cuda', 'pytorch-notebook-cuda12')).toBe('pytorch-notebook-cuda12 2\n');
    expect(await it$.basesOf('pytorch-notebook', 'cuda12-feature-cuda')).toEqual([
      { image: 'scipy-notebook', reference: `${registry.host}/${REPO}/scipy-notebook:main`, digest: (await it$.read('scipy-notebook', 'main'))?.digest },
    ]);
  });
});
