import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { run } from '../src/lib/io/exec';
import { FORNAX_TREE } from './fixtures/fornax-tree';
import { FORNAX_TREE_MAIN } from './harness/built-main';
import { mainCopy } from './harness/main-copy';
import { runCiImages, type EventSpec } from './harness/github-run';
import type { Registry } from './harness/registry';
import { DOCKER } from './harness/second-engine';
import type { Workspace } from './harness/workspace';

// The twelve-image tree of image-tree.int.test.ts, on a copy of its built main of its own: a cycle
// refused by the plan and by nx, and the local `nx run` of an image with the images it takes from.

const READS = FORNAX_TREE;
const BASES_LABEL = 'dev.nx-images.bases';
const REPO = FORNAX_TREE_MAIN.repository;

const copy = mainCopy(FORNAX_TREE_MAIN);

let registry: Registry;
let ws: Workspace;

const push = (spec: Omit<EventSpec, 'name'>) => runCiImages(ws, { name: 'push', ...spec }, registry.host, { IMAGE_REPOSITORY: REPO });

beforeAll(() => {
  ({ ws, registry } = copy);
});

describe('a tree of twelve images in the real tree\'s convention', () => {
  it('a cycle is refused, naming the images on it', async () => {
    const dockerfile = readFileSync(join(ws.dir, 'images/fornax-base/Dockerfile'), 'utf8');
    const sha = await ws.branch('feature/cycle', {
      'images/fornax-base/Dockerfile': `${dockerfile}COPY --from=\${REPOSITORY}/env-sas:\${BASE_TAG} /stamps/env-sas /stamps/env-sas\n`,
    });
    const result = await push({ branch: 'feature/cycle', sha });
    expect(result.exitCode).not.toBe(0);
    expect(result.all).toMatch(/the images fornax-base -> env-sas -> env-heasoft -> fornax-base take from each other in a cycle: remove one of these FROM, COPY --from or declared dependencies\./);
    const local = await ws.nx(['run', 'env-sas:docker-build', '--dry-run']);
    expect(local.exitCode).not.toBe(0);
    expect(local.all).toMatch(/circular/i);
    await ws.git('checkout', '--quiet', 'main');
  });

  it('locally, nx run builds the images an image takes from first, --exclude-task-dependencies builds it alone, and --dry-run shows each base', async () => {
    await ws.branch('local/try', { 'images/env-sas/stamp.txt': 'env-sas local\n' });
    const target = [`--registry=${registry.host}`, `--repository=${REPO}`, '--outputStyle=stream'];
    const chain = await ws.nx(['run', 'env-sas:docker-build', ...target]);
    expect(chain.exitCode, chain.all).toBe(0);
    const order = ['jupyter-base', 'fornax-base', 'env-heasoft', 'env-sas'].map((name) => chain.all.indexOf(`${name}: ${name}: built `));
    expect(order.every((at) => at >= 0), chain.all).toBe(true);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(chain.all).toMatch(/env-sas: base env-heasoft: this branch's \S+env-heasoft:local-try is image [0-9a-f]{12} in the local engine/);

    // The local image records the local bases it was built from, by image ID.
    const inspected = await run({ command: DOCKER, args: ['image', 'inspect', '--format={{json .Config.Labels}}', `${registry.host}/${REPO}/env-sas:local-try`] });
    const labels = JSON.parse(inspected.stdout) as Record<string, string>;
    const heasoftId = (await run({ command: DOCKER, args: ['image', 'inspect', '--format={{.Id}}', `${registry.host}/${REPO}/env-heasoft:local-try`] })).stdout.trim();
    expect(JSON.parse(labels[BASES_LABEL] ?? '[]')).toContainEqual({ image: 'env-heasoft', reference: `${registry.host}/${REPO}/env-heasoft:local-try`, id: heasoftId });
    // No tag made for the build is left behind.
    const tags = (await run({ command: DOCKER, args: ['image', 'ls', '--format={{.Tag}}', `${registry.host}/${REPO}/env-heasoft`] })).stdout;
    expect(tags).not.toContain('fornax-pin-');

    const alone = await ws.nx(['run', 'env-sas:docker-build', '--exclude-task-dependencies', ...target]);
    expect(alone.exitCode, alone.all).toBe(0);
    expect(alone.all).not.toContain('env-heasoft: env-heasoft: built');

    const dry = await ws.nx(['run', 'fornax-hea:docker-build', '--dry-run', '--exclude-task-dependencies', ...target]);
    expect(dry.exitCode, dry.all).toBe(0);
    for (const name of READS['fornax-hea'] ?? []) expect(dry.all).toMatch(new RegExp(`  base ${name}: .* the build reads it by (digest|a tag of its own)`));
    expect(dry.all).toMatch(/ {5}env-ciao -> \S+env-ciao(@sha256:[0-9a-f]{64}|:<tag of this build>)\n/);
  });
});
