import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../src/lib/io/exec';
import { FanoutRun } from './harness/fanout-run';
import { listTags, readImage, readImageFile } from './harness/read-image';
import type { Registry } from './harness/registry';
import { DOCKER, startSecondEngine, type SecondEngine } from './harness/second-engine';
import type { Workspace } from './harness/workspace';
import { fromBuiltMain, FORNAX_TREE_MAIN } from './harness/built-main';

// image-build.yml fanned out, its commands run the way its jobs run them: the plan job, then every
// matrix entry of every level as its own process in a fresh clone, on a private engine emptied
// before each job (it holds nothing the registry or an artifact did not give it), then the summary
// job. The tree is test/fixtures/tree (the real tree's shape and convention), built once on main.

const REPO = FORNAX_TREE_MAIN.repository;
const BASES_LABEL = 'dev.nx-images.bases';
const IMAGES = ['archive-nb', 'env-ciao', 'env-core', 'env-fermi', 'env-heasoft', 'env-sas', 'fornax-base', 'fornax-hea', 'fornax-jupyter', 'fornax-main', 'fornax-nb', 'jupyter-base'];

let registry: Registry;
let ws: Workspace;
let engine: SecondEngine;
let fanout: FanoutRun;
let c0: string;
let cleanup: () => Promise<void>;

const image = (name: string, tag: string) => readImage(registry.url, `${REPO}/${name}`, tag);
const file = (name: string, tag: string, path: string) => readImageFile(registry.url, `${REPO}/${name}`, tag, path);
const basesOf = async (name: string, tag: string) => JSON.parse((await image(name, tag))?.labels[BASES_LABEL] ?? '[]') as { image: string; digest?: string; id?: string }[];
async function taggedWith(tag: string): Promise<string[]> {
  const tagged: string[] = [];
  for (const name of IMAGES) if ((await listTags(registry.url, `${REPO}/${name}`)).includes(tag)) tagged.push(name);
  return tagged;
}

beforeAll(async () => {
  // main, built once on one runner (shared with every test of the tree): what every branch below falls back to.
  [{ ws, registry, c0, cleanup }, engine] = await Promise.all([fromBuiltMain(FORNAX_TREE_MAIN), startSecondEngine({ runnable: true })]);
  fanout = new FanoutRun(ws, engine, registry.host, { IMAGE_REPOSITORY: REPO });
}, 600_000);

afterAll(async () => {
  fanout?.cleanup();
  await engine?.stop();
  await cleanup?.();
});

describe('the image build fanned out over one job per image', () => {
  it('a push changing a mid-level image and a top image: two levels, the top image built on the fresh mid-level one', async () => {
    fanout.newRun();
    const sha = await ws.branch('fan/hea', { 'images/env-heasoft/stamp.txt': 'env-heasoft 2\n', 'images/fornax-hea/stamp.txt': 'fornax-hea 2\n' });
    const planned = await fanout.plan({ name: 'push', branch: 'fan/hea', sha });
    expect(planned.exitCode, planned.all).toBe(0);
    expect(planned.outputs.levels).toBe('2');
    expect(fanout.level(planned.outputs, 1)).toEqual([{ image: 'env-heasoft', artifacts: '' }]);
    expect(fanout.level(planned.outputs, 2)).toEqual([{ image: 'fornax-hea', artifacts: '' }]);
    expect(planned.outputs.level3).toBe('[]');
    expect(planned.summary).toContain('```mermaid');
    expect(planned.summary).toMatch(/\["env-heasoft<br\/>level 1"\]/);
    expect(await taggedWith('fan-hea')).toEqual([]);

    const jobs = await fanout.levels(planned.outputs, 'fan/hea');
    for (const [name, result] of Object.entries(jobs)) expect(result.exitCode, `${name}: ${result.all}`).toBe(0);
    expect(await taggedWith('fan-hea')).toEqual(['env-heasoft', 'fornax-hea']);
    const heasoft = await image('env-heasoft', 'fan-hea');
    expect(heasoft?.labels['org.opencontainers.image.revision']).toBe(sha);
    expect((await basesOf('fornax-hea', 'fan-hea')).find((base) => base.image === 'env-heasoft')?.digest).toBe(heasoft?.digest);
    expect((await basesOf('fornax-hea', 'fan-hea')).find((base) => base.image === 'env-ciao')?.digest).toBe((await image('env-ciao', 'main'))?.digest);
    expect(await file('fornax-hea', 'fan-hea', '/opt/env-heasoft/stamp')).toBe('env-heasoft 2\n');
    expect(await file('fornax-hea', 'fan-hea', '/stamps/env-ciao')).toBe('env-ciao 1\n');

    const summary = await fanout.summary(planned.outputs, 'fan/hea');
    expect(summary.exitCode, summary.all).toBe(0);
    expect(summary.summary).toContain(heasoft?.digest ?? 'no digest');
    expect(summary.all).toContain('ci:images: all 2 image(s) of the plan were built.');
  });

  it('a pull request with two levels pushes nothing, and its dependent is built on its base through an artifact', async () => {
    fanout.newRun();
    const sha = await ws.branch('fan/pr', { 'images/env-heasoft/stamp.txt': 'env-heasoft pr\n', 'images/env-sas/stamp.txt': 'env-sas pr\n' });
    const planned = await fanout.plan({ name: 'pull_request', branch: 'fan/pr', sha, baseRef: 'main', baseSha: c0 });
    expect(planned.exitCode, planned.all).toBe(0);
    expect(fanout.level(planned.outputs, 2)).toEqual([{ image: 'env-sas', artifacts: 'image-@(env-heasoft)' }]);

    const base = await fanout.job(planned.outputs, { image: 'env-heasoft', artifacts: '' }, 'fan/pr');
    expect(base.exitCode, base.all).toBe(0);
    expect(base.all).toContain('saved for the next levels as image-env-heasoft');
    const dependent = await fanout.job(planned.outputs, { image: 'env-sas', artifacts: 'image-@(env-heasoft)' }, 'fan/pr');
    expect(dependent.exitCode, dependent.all).toBe(0);
    expect(dependent.all).toContain('loaded env-heasoft from the artifact image-env-heasoft');
    expect(dependent.all).toMatch(/base env-heasoft: this branch's \S+env-heasoft:fan-pr is image [0-9a-f]{12} in the local engine/);
    expect(await taggedWith('fan-pr')).toEqual([]);

    // Read back from the job's engine: the dependent holds the pull request's env-heasoft, not main's.
    const reference = `${registry.host}/${REPO}/env-sas:fan-pr`;
    const cat = await run({ command: DOCKER, args: ['run', '--rm', '--network=none', reference, 'cat', '/opt/envs/env-heasoft/stamp', '/stamps/env-sas'], env: { DOCKER_HOST: engine.host } });
    expect(cat.stdout).toBe('env-heasoft pr\nenv-sas pr');
    const summary = await fanout.summary(planned.outputs, 'fan/pr');
    expect(summary.exitCode, summary.all).toBe(0);
    expect(summary.summary).toMatch(/`env-sas` \| `fan-pr` \| not pushed/);
    // Each image job compared its image while its engine held it; the summary job has no image to measure.
    expect(summary.summary).toContain('### Differences against `main`');
    expect(summary.summary).toMatch(/#### `env-sas`[\s\S]*Size \(compressed; not pushed/);
    expect(summary.summary).not.toContain('not measured');
  });

  // The whole failure scenario (skips down the levels, the summary's reasons) is image-tree's, on one
  // runner; here only what a fanned-out run adds: each job learns of its base's failure from the
  // registry, and the summary job fails the run.
  it('a failed image in level 1 skips what takes from it, and the rest build; the summary fails the run', async () => {
    fanout.newRun();
    const broken = (await ws.exec('cat', ['images/env-heasoft/Dockerfile'])).stdout.replace('RUN cp', 'RUN false && cp');
    const sha = await ws.branch('fan/broken', {
      'images/env-heasoft/Dockerfile': `${broken}\n`,
      'images/env-sas/stamp.txt': 'env-sas 3\n',
      'images/env-core/stamp.txt': 'env-core 3\n',
    });
    const planned = await fanout.plan({ name: 'push', branch: 'fan/broken', sha });
    expect(planned.exitCode, planned.all).toBe(0);
    expect(fanout.level(planned.outputs, 1).map((entry) => entry.image)).toEqual(['env-core', 'env-heasoft']);
    expect(fanout.level(planned.outputs, 2).map((entry) => entry.image)).toEqual(['env-sas']);

    const jobs = await fanout.levels(planned.outputs, 'fan/broken');
    expect(jobs['env-heasoft']?.exitCode).not.toBe(0);
    expect(jobs['env-core']?.exitCode, jobs['env-core']?.all).toBe(0);
    expect(jobs['env-sas']?.exitCode, jobs['env-sas']?.all).toBe(0);
    expect(jobs['env-sas']?.all).toMatch(/env-sas: skipped: takes from env-heasoft, which this run did not build \(\S+env-heasoft:fan-broken does not exist\)/);
    expect(await taggedWith('fan-broken')).toEqual(['env-core']);

    const summary = await fanout.summary(planned.outputs, 'fan/broken');
    expect(summary.exitCode).not.toBe(0);
    expect(summary.all).toMatch(/not built: env-heasoft \(failed\), env-sas \(skipped\); every other image of the plan was built\./);
    expect(summary.summary).toContain('- `env-sas`: takes from env-heasoft, which this run did not build');
  });

  it('ci:free-disk removes the given folders and the engine\'s images, and logs the free space before and after', async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'fornax-toolchains-'));
    const toolchains = ['dotnet', 'android'].map((name) => join(scratch, name));
    for (const dir of toolchains) {
      mkdirSync(join(dir, 'sdk'), { recursive: true });
      writeFileSync(join(dir, 'sdk', 'big.bin'), Buffer.alloc(1024 * 1024));
    }
    await run({ command: DOCKER, args: ['pull', `${registry.host}/${REPO}/jupyter-base:main`], env: { DOCKER_HOST: engine.host } });
    const result = await ws.exec('npm', ['run', '--silent', 'ci:free-disk'], { DOCKER_HOST: engine.host, FREE_DISK_PATHS: `${toolchains.join(',')},${join(scratch, 'absent')}` });
    expect(result.exitCode, result.all).toBe(0);
    expect(result.all).toMatch(/ci:free-disk: \d+\.\d GiB free before\n/);
    expect(result.all).toMatch(/ci:free-disk: \d+\.\d GiB free after\n?$/);
    for (const dir of toolchains) {
      expect(existsSync(dir)).toBe(false);
      expect(result.all).toContain(`ci:free-disk: removed ${dir}`);
    }
    expect(result.all).not.toContain('absent');
    const left = await run({ command: DOCKER, args: ['image', 'ls', '--quiet'], env: { DOCKER_HOST: engine.host } });
    expect(left.stdout).toBe('');
    const refused = await ws.exec('npm', ['run', '--silent', 'ci:free-disk'], { FREE_DISK_PATHS: '/', FREE_DISK_DOCKER: 'false' });
    expect(refused.exitCode).not.toBe(0);
    expect(refused.all.trim()).toBe('ci:free-disk: FREE_DISK_PATHS entry "/" is not an absolute folder below /: give absolute paths such as /usr/share/dotnet.');
    rmSync(scratch, { recursive: true, force: true });
  });

  it('a stale run stops rather than build on a base a newer run moved on', async () => {
    fanout.newRun();
    const older = await ws.branch('fan/stale', { 'images/env-heasoft/stamp.txt': 'env-heasoft older\n', 'images/fornax-hea/stamp.txt': 'fornax-hea older\n' });
    const olderPlan = await fanout.plan({ name: 'push', branch: 'fan/stale', sha: older });
    expect(olderPlan.exitCode, olderPlan.all).toBe(0);
    const first = await fanout.job(olderPlan.outputs, { image: 'env-heasoft', artifacts: '' }, older);
    expect(first.exitCode, first.all).toBe(0);

    // A newer push to the branch builds env-heasoft again before the older run reaches level 2.
    const newer = await ws.commit('fan/stale: newer', { 'images/env-heasoft/stamp.txt': 'env-heasoft newer\n' });
    const newerPlan = await fanout.plan({ name: 'push', branch: 'fan/stale', sha: newer, before: older });
    expect(newerPlan.exitCode, newerPlan.all).toBe(0);
    const moved = await fanout.job(newerPlan.outputs, { image: 'env-heasoft', artifacts: '' }, newer);
    expect(moved.exitCode, moved.all).toBe(0);
    expect((await image('env-heasoft', 'fan-stale'))?.labels['org.opencontainers.image.revision']).toBe(newer);

    const stale = await fanout.job(olderPlan.outputs, { image: 'fornax-hea', artifacts: '' }, older);
    expect(stale.exitCode).not.toBe(0);
    expect(stale.all).toMatch(/fornax-hea: stale: \S+env-heasoft:fan-stale was built from \w{7}, not this run's \w{7}: a newer run moved it, so this run is stale/);
    expect(await listTags(registry.url, `${REPO}/fornax-hea`)).not.toContain('fan-stale');
  });
});
