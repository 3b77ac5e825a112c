import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { listTags } from './harness/read-image';
import type { StartedRegistry } from './harness/registry';
import { IMAGES, literalShape, type LiteralShape } from './harness/shape-literal';
import { shapeOf } from './harness/shape';
import type { Workspace } from './harness/workspace';

// The repository that names its images literally (test/harness/shape-literal.ts), on a copy of its own
// built main: a digest pin written in a Dockerfile, a fork pushing to another repository, and a COPY
// source that exists nowhere.
describe('a repository that names its images literally: pins, forks and a missing source', () => {
  const shape = literalShape();
  const { REPO } = shape;
  let ws: Workspace;
  let registry: StartedRegistry;
  let it$: LiteralShape['it$'];
  beforeAll(() => {
    ({ ws, registry, it$ } = shape);
  });
  const { push, branch } = shape;

  it('a literal digest pin stays as written: the image is built on that digest, whatever the branch built', async () => {
    const pinned = (await it$.read('base-image', 'master'))?.digest ?? '';
    const dockerfile = `FROM owner/base-image@${pinned}\nCOPY stamp.txt /stamps/astro-tools\n`;
    const sha = await branch('feature/pin', { 'base-image/stamp.txt': 'base-image 3\n', 'astro-tools/Dockerfile': dockerfile });
    const result = await push('feature/pin', sha);
    expect(result.exitCode, result.all).toBe(0);
    expect(await it$.stamp('astro-tools', 'feature-pin', 'base-image')).toBe('base-image 1\n');
    expect(await it$.basesOf('astro-tools', 'feature-pin')).toEqual([{ image: 'base-image', reference: `${registry.host}/${REPO}/base-image@${pinned}`, digest: pinned, written: `owner/base-image@${pinned}` }]);
    // The Dockerfile in the repository is as it was written.
    expect(readFileSync(join(ws.dir, 'astro-tools', 'Dockerfile'), 'utf8')).toBe(dockerfile);
  });

  it('a fork pushing to another repository builds on its own bases', async () => {
    await ws.git('checkout', '--quiet', 'master');
    const head = await ws.git('rev-parse', 'HEAD');
    const FORK = 'someone/fork';
    const result = await push('master', head, { IMAGE_REPOSITORY: FORK });
    expect(result.exitCode, result.all).toBe(0);
    const fork = shapeOf(registry, FORK);
    expect(await fork.tagged(IMAGES, 'master')).toEqual(IMAGES);
    const forkBase = (await fork.read('base-image', 'master'))?.digest;
    expect(await fork.basesOf('astro-tools', 'master')).toEqual([{ image: 'base-image', reference: `${registry.host}/${FORK}/base-image:master`, digest: forkBase, written: 'owner/base-image:${BASE_TAG}' }]);
    expect((await fork.basesOf('jupyter-lab', 'master')).map((entry) => entry.reference)).toEqual([`${registry.host}/${FORK}/astro-tools:master`, `${registry.host}/${FORK}/base-image:master`]);
  });

  it('a COPY source that exists nowhere fails the plan in one line before any build, also in a fan-out plan job and a dry run', async () => {
    const sha = await branch('feature/missing', { 'astro-tools/Dockerfile': 'ARG BASE_TAG=master\nFROM owner/base-image:${BASE_TAG}\nCOPY nowhere.txt /n\n' });
    const line = 'astro-tools: astro-tools/Dockerfile:3 COPY nowhere.txt /n: nowhere.txt is not in the build context astro-tools: add it to the context';
    const single = await push('feature/missing', sha);
    const plan = await push('feature/missing', sha, {}, ['--plan']);
    for (const result of [single, plan]) {
      expect(result.exitCode).not.toBe(0);
      expect(result.all.split('\n').filter((text) => text.includes('nowhere.txt'))).toEqual([expect.stringContaining(line)]);
      expect(result.all).not.toContain('ci:images: level 1');
    }
    expect(await listTags(registry.url, `${REPO}/astro-tools`)).not.toContain('feature-missing');
    const dry = await ws.nx(['run', 'astro-tools:docker-build', '--dry-run', `--registry=${registry.host}`, `--repository=${REPO}`, '--tag=feature-missing', '--outputStyle=stream']);
    expect(dry.exitCode).not.toBe(0);
    expect(dry.all).toContain(line);
  });
});
