import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../src/lib/io/exec';
import { entryOf, FanoutRun } from './harness/fanout-run';
import { runCiImages } from './harness/github-run';
import { readImage, readImageFile } from './harness/read-image';
import { startRegistry, type Registry } from './harness/registry';
import { DOCKER, startSecondEngine, type SecondEngine } from './harness/second-engine';
import { createWorkspace, type Workspace } from './harness/workspace';

// Steps before the build (test/fixtures/prepare-tree): fornax-jupyter's prepare target copies the
// root's introduction.md into its folder and extracts env-core's kernel, which no Dockerfile shows;
// its Dockerfile COPYs both. Each run stamps env-core's kernel anew, so a kernel read back from
// fornax-jupyter in the registry can only have come from that run's env-core.

const REPO = 'fornax/prepare';
const KERNEL = '/opt/kernels/env-core/kernel.json';

let registry: Registry;
let ws: Workspace;
let engine: SecondEngine;
let fanout: FanoutRun;
/** The fan-out test's plan, as its plan job handed it on. */
let fanPlan = '';

const stamp = () => `{"display_name": "env-core ${randomBytes(6).toString('hex')}"}\n`;
const file = (name: string, tag: string, path: string) => readImageFile(registry.url, `${REPO}/${name}`, tag, path);

beforeAll(async () => {
  registry = await startRegistry();
  ws = await createWorkspace({ tree: 'prepare-tree' });
  await ws.commit('introduction', { 'introduction.md': '# Fornax\n', 'changes.md': '- first\n' });
  engine = await startSecondEngine();
  fanout = new FanoutRun(ws, engine, registry.host, { IMAGE_REPOSITORY: REPO });
}, 180_000);

afterAll(async () => {
  fanout?.cleanup();
  await engine?.stop();
  await registry?.stop();
  ws?.cleanup();
});

describe('steps before the build', () => {
  it('one runner (ci:images) runs fornax-jupyter\'s prepare after env-core is pushed: the image holds the root file and this run\'s kernel, and the outputs stay out of git and out of affected', async () => {
    const kernel = stamp();
    const sha = await ws.commit('main: kernel', { 'images/env-core/kernel.json': kernel, 'introduction.md': '# Fornax, main\n' });
    const result = await runCiImages(ws, { name: 'push', branch: 'main', sha }, registry.host, { IMAGE_REPOSITORY: REPO });
    expect(result.exitCode, result.all).toBe(0);
    expect(result.all).toContain('ci:images: fornax-jupyter: before the build: nx run fornax-jupyter:prepare --exclude-task-dependencies');
    expect(result.all).toMatch(/fornax-jupyter: extracted \/opt\/kernels\/env-core of env-core to images\/fornax-jupyter\/kernels\/env-core: this branch's \S+env-core:main is sha256:[0-9a-f]{64} in the registry/);
    expect(await file('fornax-jupyter', 'main', KERNEL)).toBe(kernel);
    expect(await file('fornax-jupyter', 'main', '/opt/introduction.md')).toBe('# Fornax, main\n');
    expect((await readImage(registry.url, `${REPO}/fornax-jupyter`, 'main'))?.labels['org.opencontainers.image.revision']).toBe(sha);

    // What the step wrote is in the image's folder, ignored: git sees nothing, and Nx makes nothing affected.
    expect(readFileSync(join(ws.dir, 'images/fornax-jupyter/kernels/env-core/kernel.json'), 'utf8')).toBe(kernel);
    expect(existsSync(join(ws.dir, 'images/fornax-jupyter/introduction.md'))).toBe(true);
    expect(await ws.git('status', '--porcelain')).toBe('');
    const affected = await ws.nx(['show', 'projects', '--affected', '--base=HEAD']);
    expect(affected.exitCode, affected.all).toBe(0);
    expect(affected.stdout).not.toContain('fornax-jupyter');
  }, 420_000);

  it('fanned out, on engines that start empty: the fornax-jupyter job pulls this run\'s env-core by digest for its step, and leaves no container', async () => {
    fanout.newRun();
    const kernel = stamp();
    const sha = await ws.branch('prep/fan', { 'images/env-core/kernel.json': kernel, 'images/fornax-jupyter/stamp.txt': 'fornax-jupyter 2\n' });
    const planned = await fanout.plan({ name: 'push', branch: 'prep/fan', sha });
    expect(planned.exitCode, planned.all).toBe(0);
    expect(fanout.level(planned.outputs, 2)).toEqual([entryOf('fornax-jupyter')]);
    expect((JSON.parse(planned.outputs.plan ?? '{}') as { images?: unknown[] }).images).toContainEqual(expect.objectContaining({ image: 'fornax-jupyter', level: 2, takesFrom: ['env-core'], steps: ['prepare'] }));

    const jobs = await fanout.levels(planned.outputs, 'prep/fan');
    for (const [name, job] of Object.entries(jobs)) expect(job.exitCode, `${name}: ${job.all}`).toBe(0);
    const envCore = await readImage(registry.url, `${REPO}/env-core`, 'prep-fan');
    expect(jobs['fornax-jupyter']?.all).toContain(`env-core:prep-fan is ${envCore?.digest ?? 'no digest'} in the registry`);
    expect(await file('fornax-jupyter', 'prep-fan', KERNEL)).toBe(kernel);
    expect(await file('fornax-jupyter', 'prep-fan', '/opt/introduction.md')).toBe('# Fornax, main\n');
    expect(await file('fornax-jupyter', 'prep-fan', '/stamps/fornax-jupyter')).toBe('fornax-jupyter 2\n');
    const containers = await run({ command: DOCKER, args: ['container', 'ls', '--all', '--quiet'], env: { DOCKER_HOST: engine.host } });
    expect(containers.stdout).toBe('');
    fanPlan = planned.outputs.plan ?? '';
  }, 420_000);

  it('a failing step fails its image in its fan-out job, which builds nothing and names the step', async () => {
    fanout.newRun();
    await ws.branch('prep/broken');
    await ws.git('rm', '--quiet', 'introduction.md');
    const sha = await ws.commit('no introduction', { 'images/fornax-jupyter/stamp.txt': 'fornax-jupyter 3\n' });
    // The plan job's plan for this commit, made from the last one's rather than planned again (an Nx run saved).
    const plan: Record<string, unknown> = { ...(JSON.parse(fanPlan) as Record<string, unknown>), head: sha, branch: 'prep/broken', tag: 'prep-broken', levels: [['fornax-jupyter']] };
    plan.images = [{ image: 'fornax-jupyter', why: 'changed', level: 1, takesFrom: [], steps: ['prepare'] }];
    const job = await fanout.job({ plan: JSON.stringify(plan) }, entryOf('fornax-jupyter'), sha);
    expect(job.exitCode).not.toBe(0);
    expect(job.all).toContain('fornax-jupyter: prepare option copy: introduction.md does not exist: fix "from", or create the file.');
    expect(job.all).toMatch(/ci:images: fornax-jupyter: failed: its step prepare before the build failed/);
    expect(await readImage(registry.url, `${REPO}/fornax-jupyter`, 'prep-broken')).toBeUndefined();
  }, 300_000);
});
