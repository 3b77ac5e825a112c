import { beforeAll, describe, expect, it } from 'vitest';
import { run } from '../src/lib/io/exec';
import { mainCopy } from './harness/main-copy';
import { shapeOf } from './harness/shape';
import type { StartedRegistry } from './harness/registry';
import { DOCKER } from './harness/second-engine';
import { STACKS_IMAGES as IMAGES, STACKS_SHAPE as SHAPE } from './harness/shape-stacks';
import type { Workspace } from './harness/workspace';

// The docker-stacks shape (test/harness/shape-stacks.ts) on a copy of its built main: a release of every
// image and the variant, and a pull request that builds on its own untagged base.

describe('a repository like docker-stacks: its release and a pull request', () => {
  const REPO = SHAPE.repository;
  const copy = mainCopy(SHAPE);
  let ws: Workspace;
  let c0: string;
  let registry: StartedRegistry;
  let it$: ReturnType<typeof shapeOf>;

  beforeAll(() => {
    ({ ws, registry, c0 } = copy);
    it$ = shapeOf(registry, REPO);
  });

  it('a release tags every image and the variant, the variant\'s tags as <variant>-<tag>, each read back to its main digest', async () => {
    const released = await ws.nx(['run-many', '-t', 'release', '--tags=v1.0.0,stable', `--commit=${c0}`, `--registry=${registry.host}`, `--repository=${REPO}`, '--outputStyle=static']);
    expect(released.exitCode, released.all).toBe(0);
    const main = (await it$.read('pytorch-notebook', 'main'))?.digest;
    const cuda = (await it$.read('pytorch-notebook', 'cuda12-main'))?.digest;
    expect(cuda).not.toBe(main);
    for (const tag of ['v1.0.0', 'stable']) {
      expect((await it$.read('pytorch-notebook', tag))?.digest, tag).toBe(main);
      expect((await it$.read('pytorch-notebook', `cuda12-${tag}`))?.digest, `cuda12-${tag}`).toBe(cuda);
    }
    for (const name of IMAGES) expect((await it$.read(name, 'v1.0.0'))?.digest, name).toBe((await it$.read(name, 'main'))?.digest);
  });

  it('a pull request builds its dependent on the pull request\'s own untagged base, pushing nothing', async () => {
    await ws.git('checkout', '--quiet', 'main');
    const sha = await ws.branch('pr/base', { 'images/base-notebook/stamp.txt': 'base-notebook 3\n', 'images/scipy-notebook/stamp.txt': 'scipy-notebook 3\n' });
    const result = await it$.pullRequest(ws, { branch: 'pr/base', sha, baseRef: 'main', baseSha: c0 });
    expect(result.exitCode, result.all).toBe(0);
    expect(result.all).toContain('ci:images: level 2: scipy-notebook (after base-notebook)\n');
    expect(await it$.tagged(IMAGES, 'pr-base')).toEqual([]);
    // Built into the local engine: scipy-notebook carries the pull request's base-notebook.
    const local = `${registry.host}/${REPO}/scipy-notebook:pr-base`;
    expect((await run({ command: DOCKER, args: ['run', '--rm', '--network=none', local, 'cat', '/stamps/base-notebook'] })).stdout).toBe('base-notebook 3');
    expect((await run({ command: DOCKER, args: ['run', '--rm', '--network=none', local, 'cat', '/stamps/scipy-notebook'] })).stdout).toBe('scipy-notebook 3');
  });
});
