import { setTimeout as sleep } from 'node:timers/promises';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { run } from '../../src/lib/io/exec';
import { startFaultProxy, type FaultProxy } from '../harness/fault-proxy';
import { readImage } from '../harness/read-image';
import { startRegistry, type Registry } from '../harness/registry';
import { DOCKER, startSecondEngine, type SecondEngine } from '../harness/second-engine';
import { pushImage } from '../harness/seed';
import { createWorkspace, type Workspace } from '../harness/workspace';

// Engine faults end in a message naming the image and a non-zero exit, and
// the other, independent images are still built. The daemon that is stopped
// mid-build is a private one: the shared engine keeps serving other suites.
const REPO = 'fornax/images';
const SOLO = {
  'images/solo/Dockerfile': 'FROM scratch\nCOPY solo.txt /solo.txt\n',
  'images/solo/solo.txt': 'an image that depends on no other\n',
};
let registry: Registry;
let ws: Workspace;

beforeAll(async () => {
  registry = await startRegistry();
  ws = await createWorkspace({ branch: 'main' });
  await ws.commit('an independent image', SOLO);
});

afterAll(async () => {
  await registry?.stop();
  ws?.cleanup();
});

function runMany(projects: string[], env: Record<string, string | undefined> = {}, extra: string[] = []) {
  return ws.nx(
    ['run-many', '-t', 'docker-build', `--projects=${projects.join(',')}`, `--registry=${registry.host}`, `--repository=${REPO}`, '--push', '--exclude-task-dependencies', ...extra],
    env,
  );
}

describe('engine faults on the shared engine', () => {
  test('a Dockerfile failing at step 3 names the image and the step; the independent image is still built', async () => {
    await ws.git('checkout', '--quiet', '-b', 'step-three');
    await ws.commit('base_image fails at its third step', {
      'images/base_image/Dockerfile': 'FROM scratch\nCOPY base.txt /base.txt\nCOPY no-such-file /nowhere\n',
    });
    const result = await runMany(['base_image', 'solo']);
    expect(result.exitCode).not.toBe(0);
    expect(result.all).toMatch(/base_image: docker build of \S+base_image:step-three failed \(exit code 1\): fix the Dockerfile/);
    expect(result.all).toMatch(/COPY no-such-file \/nowhere/);
    expect(await readImage(registry.url, `${REPO}/solo`, 'step-three')).toBeDefined();
    expect(await readImage(registry.url, `${REPO}/base_image`, 'step-three')).toBeUndefined();
    expect(existsSync(join(ws.dir, 'dist/docker-build/solo.json'))).toBe(true);
    expect(existsSync(join(ws.dir, 'dist/docker-build/base_image.json'))).toBe(false);
  });

  test('a base tag that exists nowhere is named before the build; the independent image is still built', async () => {
    await ws.git('checkout', '--quiet', 'main');
    await ws.git('checkout', '--quiet', '-b', 'no-base');
    const result = await runMany(['tractor', 'solo']);
    expect(result.exitCode).not.toBe(0);
    expect(result.all).toMatch(/tractor: its base \S+\/fornax\/images\/base_image:no-base, then \S+\/base_image:main exists nowhere \(not in the registry\): build base_image first/);
    expect(await readImage(registry.url, `${REPO}/solo`, 'no-base')).toBeDefined();
    expect(await readImage(registry.url, `${REPO}/tractor`, 'no-base')).toBeUndefined();
  });

  test('a daemon that is not running: each image says so and what to do, and nothing is pushed', async () => {
    await ws.git('checkout', '--quiet', 'main');
    await ws.git('checkout', '--quiet', '-b', 'no-daemon');
    const dead = mkdtempSync(join(tmpdir(), 'fornax-no-daemon-'));
    try {
      const result = await runMany(['base_image', 'solo'], { DOCKER_HOST: `unix://${join(dead, 'docker.sock')}` });
      expect(result.exitCode).not.toBe(0);
      for (const image of ['base_image', 'solo']) {
        expect(result.all).toMatch(new RegExp(`${image}: docker: the Docker engine does not answer .*point DOCKER_HOST at a running one`));
        expect(await readImage(registry.url, `${REPO}/${image}`, 'no-daemon')).toBeUndefined();
      }
    } finally {
      rmSync(dead, { recursive: true, force: true });
    }
  });
});

describe('registry faults on the push', () => {
  let proxy: FaultProxy;
  const manifestPut = (method: string, path: string) => method === 'PUT' && path.startsWith(`/v2/${REPO}/solo/manifests/`);

  beforeAll(async () => {
    proxy = await startFaultProxy(registry.url);
  });

  afterAll(async () => {
    await proxy?.stop();
  });

  function pushSolo() {
    return ws.nx(['run', 'solo:docker-build', `--registry=${proxy.host}`, `--repository=${REPO}`, '--push', '--exclude-task-dependencies']);
  }

  test('a server error on the push is pushed again, and the tag holds the image the record names', async () => {
    await ws.git('checkout', '--quiet', 'main');
    await ws.git('checkout', '--quiet', '-b', 'push-retry');
    // Content of its own: an image whose inputs the registry already holds is reused, not pushed.
    await ws.commit('solo changes', { 'images/solo/solo.txt': 'push-retry\n' });
    proxy.inject({ status: 500 }, 1, manifestPut);
    const result = await pushSolo();
    expect(result.exitCode, result.all).toBe(0);
    expect(result.all).toMatch(/solo: the registry answered HTTP 500 to the push of \S+\/solo:push-retry; pushing again in 1000 ms \(try 2 of 3\)/);
    expect(proxy.requests.filter((line) => line === `PUT /v2/${REPO}/solo/manifests/push-retry`)).toHaveLength(2);
    const record = JSON.parse(readFileSync(join(ws.dir, 'dist/docker-build/solo.json'), 'utf8')) as { digest?: string };
    expect((await readImage(registry.url, `${REPO}/solo`, 'push-retry'))?.digest).toBe(record.digest);
  });

  test('a registry that keeps failing: one line after three tries naming the status and the registry, no tag, no record', async () => {
    await ws.git('checkout', '--quiet', 'main');
    await ws.git('checkout', '--quiet', '-b', 'push-down');
    // Content of its own: an image whose inputs the registry already holds is reused, not pushed.
    await ws.commit('solo changes', { 'images/solo/solo.txt': 'push-down\n' });
    rmSync(join(ws.dir, 'dist/docker-build/solo.json'), { force: true });
    proxy.inject({ status: 503 }, 100, manifestPut);
    const result = await pushSolo();
    expect(result.exitCode).not.toBe(0);
    const lines = result.all.split('\n').filter((line) => /solo: docker push of \S+\/solo:push-down failed \(exit code 1\): the registry answered HTTP 503 3 times: check that 127\.0\.0\.1:\d+ is up and healthy, then build again\./.test(line));
    expect(lines, result.all).toHaveLength(1);
    expect(result.all).not.toMatch(/docker login/);
    expect(await readImage(registry.url, `${REPO}/solo`, 'push-down')).toBeUndefined();
    expect(existsSync(join(ws.dir, 'dist/docker-build/solo.json'))).toBe(false);
  });
});

describe('a private engine', () => {
  let engine: SecondEngine;
  let proxy: FaultProxy;

  beforeAll(async () => {
    engine = await startSecondEngine();
    proxy = await startFaultProxy(registry.url);
  });

  afterAll(async () => {
    await proxy?.stop();
    await engine?.stop();
  });

  test('a build leaves no container and no temporary file of its own', async () => {
    await ws.git('checkout', '--quiet', 'main');
    await ws.git('checkout', '--quiet', '-b', 'resources');
    const childTmp = mkdtempSync(join(tmpdir(), 'fornax-resources-tmp-'));
    try {
      const containers = async () => (await run({ command: DOCKER, args: ['ps', '--all', '--quiet'], env: { DOCKER_HOST: engine.host } })).stdout.trim();
      expect(await containers()).toBe('');
      const result = await runMany(['solo'], { DOCKER_HOST: engine.host, TMPDIR: childTmp });
      expect(result.exitCode, result.all).toBe(0);
      expect(await readImage(registry.url, `${REPO}/solo`, 'resources')).toBeDefined();
      expect(await containers()).toBe('');
      expect(readdirSync(childTmp).filter((name) => name.startsWith('fornax-'))).toEqual([]);
    } finally {
      rmSync(childTmp, { recursive: true, force: true });
    }
  });

  test('the daemon stopped during a build: a clear failure naming the image, nothing pushed, no record', async () => {
    await ws.git('checkout', '--quiet', 'main');
    await ws.git('checkout', '--quiet', '-b', 'killed');
    // The build waits on its upstream's manifest (held by the proxy) while the daemon is killed. Pinned
    // by digest, so the executor reads nothing of it before the build: the held request is the engine's.
    const { digest } = await pushImage(registry.url, 'upstream/slow', '1');
    await ws.commit('base_image waits on a slow upstream', {
      'images/base_image/Dockerfile': `FROM ${proxy.host}/upstream/slow@${digest}\nCOPY base.txt /base.txt\n`,
    });
    proxy.inject({ delayMs: 120_000 }, 100, (_method, path) => path.includes('/upstream/slow/manifests/'));
    const building = runMany(['base_image'], { DOCKER_HOST: engine.host });
    for (let i = 0; i < 600 && !proxy.requests.some((line) => line.includes('/upstream/slow/manifests/')); i++) {
      await sleep(100);
    }
    expect(proxy.requests.some((line) => line.includes('/upstream/slow/manifests/')), 'the build reached its FROM').toBe(true);
    await engine.kill('SIGKILL');
    const result = await building;
    expect(result.exitCode).not.toBe(0);
    expect(result.all, 'the build was under way when the engine died').toContain('base_image: building');
    expect(result.all).toMatch(/base_image: docker build of \S+base_image:killed (failed|could not be started)/);
    expect(await readImage(registry.url, `${REPO}/base_image`, 'killed')).toBeUndefined();
    expect(existsSync(join(ws.dir, 'dist/docker-build/base_image.json'))).toBe(false);
  });
});
