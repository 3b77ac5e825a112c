import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import releaseExecutor from '../../src/executors/release/executor';
import { readImage } from '../harness/read-image';
import { startRegistry, type Registry } from '../harness/registry';
import { imageContext } from '../harness/run-docker-build';
import { digestOf, pushImage } from '../harness/seed';
import { createWorkspace, type Workspace } from '../harness/workspace';

// Two runs for the same branch or the same release at once: the end state is
// one of the complete results, never a mix; and the workflows say the same.
const REPO = 'fornax/images';
const REVISION = 'org.opencontainers.image.revision';
const { parse: parseYaml } = createRequire(require.resolve('nx/package.json'))('yaml') as { parse: (text: string) => unknown };
const workflows = resolve(__dirname, '../../../../.github/workflows');
let registry: Registry;
const workspaces: Workspace[] = [];

beforeAll(async () => {
  registry = await startRegistry();
});

afterAll(async () => {
  await registry?.stop();
  for (const ws of workspaces) ws.cleanup();
});

async function blobReadable(path: string, digest: string): Promise<boolean> {
  const response = await fetch(`${registry.url}/v2/${path}/blobs/${digest}`, { method: 'HEAD' });
  return response.status === 200;
}

describe('concurrent runs', () => {
  test('two builds of the same branch at once: the tag is one of the two complete images', async () => {
    const [a, b] = await Promise.all(['a', 'b'].map(async (which) => {
      const ws = await createWorkspace({ branch: 'feature/race' });
      workspaces.push(ws);
      await ws.commit(`run ${which}`, {
        'images/base_image/Dockerfile': `FROM scratch\nCOPY base.txt /base.txt\nCOPY ${which}.txt /${which}.txt\n`,
        [`images/base_image/${which}.txt`]: `${which}\n`.repeat(50_000),
      });
      return ws;
    }));
    const results = await Promise.all(
      [a, b].map((ws) => ws.nx(['run', 'base_image:docker-build', `--registry=${registry.host}`, `--repository=${REPO}`, '--push', '--exclude-task-dependencies'])),
    );
    for (const result of results) expect(result.exitCode, result.all).toBe(0);
    const records = [a, b].map(
      (ws) => JSON.parse(readFileSync(join(ws.dir, 'dist/docker-build/base_image.json'), 'utf8')) as { digest?: string; skippedPush?: string },
    );
    // Each run says what it really pushed: its own image's digest, or that another build took the tag first.
    for (const record of records) expect(record.digest !== undefined || record.skippedPush !== undefined, JSON.stringify(record)).toBe(true);
    const pushed = records.map((record) => record.digest);
    if (pushed[0] && pushed[1]) expect(pushed[0]).not.toBe(pushed[1]);
    const image = await readImage(registry.url, `${REPO}/base_image`, 'feature-race');
    expect(pushed).toContain(image!.digest);
    // Complete: its manifest names a config and layers that are all there.
    expect(image!.layers.length).toBeGreaterThan(0);
    for (const layer of image!.layers) expect(await blobReadable(`${REPO}/base_image`, layer)).toBe(true);
    const winner = pushed.indexOf(image!.digest);
    expect(image!.labels[REVISION]).toBe(await [a, b][winner]?.git('rev-parse', 'HEAD'));
  });

  test('two releases of the same version at once: both succeed, one end state', async () => {
    const ws = await createWorkspace();
    workspaces.push(ws);
    const head = await ws.git('rev-parse', 'HEAD');
    const repo = 'fornax/release-race';
    const source = await pushImage(registry.url, `${repo}/base_image`, 'main', { labels: { [REVISION]: head } });
    const options = { registry: registry.host, repository: repo, tags: 'v3.0.0,stable' };
    const results = await Promise.all([1, 2].map(() => releaseExecutor(options, imageContext(ws.dir, 'base_image'))));
    expect(results).toEqual([{ success: true }, { success: true }]);
    for (const tag of ['v3.0.0', 'stable']) expect(await digestOf(registry.url, `${repo}/base_image`, tag)).toBe(source.digest);
  });
});

/** A workflow's top-level `concurrency` mapping. */
function concurrencyOf(file: string): { group?: unknown; 'cancel-in-progress'?: unknown } {
  const workflow = parseYaml(readFileSync(join(workflows, file), 'utf8')) as { concurrency?: { group?: unknown; 'cancel-in-progress'?: unknown } };
  return workflow.concurrency ?? {};
}

describe('the workflows serialize what must not race', () => {
  test('image-build: one run per ref, a newer push cancels the older', () => {
    const concurrency = concurrencyOf('image-build.yml');
    expect(concurrency.group).toMatch(/\$\{\{\s*github\.ref\s*\}\}/);
    expect(concurrency['cancel-in-progress']).toBe(true);
  });

  test('release: releases queue one after the other and are never cancelled mid-way', () => {
    const concurrency = concurrencyOf('release.yml');
    expect(typeof concurrency.group).toBe('string');
    expect(concurrency.group).not.toMatch(/github\.run_id/);
    expect(concurrency['cancel-in-progress']).toBe(false);
  });
});
