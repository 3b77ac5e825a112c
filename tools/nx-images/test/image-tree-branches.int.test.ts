import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FORNAX_TREE } from './fixtures/fornax-tree';
import { FORNAX_TREE_MAIN } from './harness/built-main';
import { mainCopy } from './harness/main-copy';
import { runCiImages, type EventSpec } from './harness/github-run';
import { listTags, readImageFile } from './harness/read-image';
import type { Registry } from './harness/registry';
import type { Workspace } from './harness/workspace';

// The twelve-image tree of image-tree.int.test.ts (its main built once per run, test/harness/built-main.ts),
// on a copy of its own: what a branch builds when only a base changes, and when a mid-level image fails.

const IMAGES = Object.keys(FORNAX_TREE).sort();
const REPO = FORNAX_TREE_MAIN.repository;

const copy = mainCopy(FORNAX_TREE_MAIN);

let registry: Registry;
let ws: Workspace;

const push = (spec: Omit<EventSpec, 'name'>) => runCiImages(ws, { name: 'push', ...spec }, registry.host, { IMAGE_REPOSITORY: REPO });
const file = (name: string, tag: string, path: string) => readImageFile(registry.url, `${REPO}/${name}`, tag, path);

beforeAll(() => {
  ({ ws, registry } = copy);
});

describe('branches of the twelve-image tree that build less than they touch', () => {
  it('a change to a base alone builds no image built from it', async () => {
    const sha = await ws.branch('feature/base', { 'images/fornax-base/stamp.txt': 'fornax-base 2\n' });
    const result = await push({ branch: 'feature/base', sha });
    expect(result.exitCode, result.all).toBe(0);
    const built = [];
    for (const name of IMAGES) if ((await listTags(registry.url, `${REPO}/${name}`)).includes('feature-base')) built.push(name);
    expect(built).toEqual(['fornax-base']);
    expect(result.all).toMatch(/env-heasoft: not affected: compared with .*: inputs unchanged/);
  });

  it('a failing mid-level image skips what takes from it and nothing else; a declared dependency orders the build', async () => {
    const dockerfile = readFileSync(join(ws.dir, 'images/env-heasoft/Dockerfile'), 'utf8');
    const sha = await ws.branch('feature/broken', {
      'images/env-heasoft/Dockerfile': dockerfile.replace('RUN cp', 'RUN false && cp'),
      'images/env-sas/stamp.txt': 'env-sas 3\n',
      'images/fornax-hea/stamp.txt': 'fornax-hea 3\n',
      'images/env-core/stamp.txt': 'env-core 3\n',
      'images/fornax-jupyter/stamp.txt': 'fornax-jupyter 3\n',
    });
    const result = await push({ branch: 'feature/broken', sha });
    expect(result.exitCode, result.all).not.toBe(0);
    expect(result.all).toContain('ci:images: level 1: env-core, env-heasoft\n');
    expect(result.all).toContain('ci:images: level 2: env-sas (after env-heasoft), fornax-jupyter (after env-core)\n');
    expect(result.all).toContain('ci:images: level 2: skipping env-sas: it takes from env-heasoft, which failed\n');
    expect(result.all).toContain('ci:images: level 3: skipping fornax-hea: it takes from env-heasoft, which failed, and from env-sas, which was skipped\n');
    expect(result.all).toMatch(/ci:images: failed: env-heasoft; skipped, as they take from it: env-sas, fornax-hea; every other image was built\./);

    const tagged = [];
    for (const name of IMAGES) if ((await listTags(registry.url, `${REPO}/${name}`)).includes('feature-broken')) tagged.push(name);
    expect(tagged).toEqual(['env-core', 'fornax-jupyter']);
    expect(await file('fornax-jupyter', 'feature-broken', '/stamps/fornax-jupyter')).toBe('fornax-jupyter 3\n');
    expect(result.summary).toContain('- `env-heasoft`: the build failed; see its log');
    expect(result.summary).toContain('- `env-sas`: takes from env-heasoft, which failed');
    expect(result.summary).toContain('- `fornax-hea`: takes from env-heasoft, which failed, and from env-sas, which was skipped');
  });
});
