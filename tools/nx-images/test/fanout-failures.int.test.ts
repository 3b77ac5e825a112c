import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { run } from '../src/lib/io/exec';
import { entryOf, type FanoutRun } from './harness/fanout-run';
import { listTags } from './harness/read-image';
import type { Registry } from './harness/registry';
import { DOCKER, type SecondEngine } from './harness/second-engine';
import type { Workspace } from './harness/workspace';
import { fanoutTree, REPO } from './harness/fanout-tree';

// image-build.yml fanned out when something goes wrong (a failed image, a stale run) and ci:free-disk;
// otherwise as fanout.int.test.ts: its commands run the way its jobs run them: the plan job, then every
// matrix entry of every level as its own process in a fresh clone, on a private engine emptied
// before each job (it holds nothing the registry or an artifact did not give it), then the summary
// job. The tree is test/fixtures/tree (the real tree's shape and convention), built once on main
// (test/harness/fanout-tree.ts).

const tree = fanoutTree();
let registry: Registry;
let ws: Workspace;
let engine: SecondEngine;
let fanout: FanoutRun;
beforeAll(() => {
  ({ registry, ws, engine, fanout } = tree);
});
const { image, taggedWith } = tree;

describe('the image build fanned out over one job per image', () => {
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
    const first = await fanout.job(olderPlan.outputs, entryOf('env-heasoft'), older);
    expect(first.exitCode, first.all).toBe(0);

    // A newer push to the branch builds env-heasoft again before the older run reaches level 2.
    const newer = await ws.commit('fan/stale: newer', { 'images/env-heasoft/stamp.txt': 'env-heasoft newer\n' });
    const newerPlan = await fanout.plan({ name: 'push', branch: 'fan/stale', sha: newer, before: older });
    expect(newerPlan.exitCode, newerPlan.all).toBe(0);
    const moved = await fanout.job(newerPlan.outputs, entryOf('env-heasoft'), newer);
    expect(moved.exitCode, moved.all).toBe(0);
    expect((await image('env-heasoft', 'fan-stale'))?.labels['org.opencontainers.image.revision']).toBe(newer);

    const stale = await fanout.job(olderPlan.outputs, entryOf('fornax-hea'), older);
    expect(stale.exitCode).not.toBe(0);
    expect(stale.all).toMatch(/fornax-hea: stale: \S+env-heasoft:fan-stale was built from \w{7}, not this run's \w{7}: a newer run moved it, so this run is stale/);
    expect(await listTags(registry.url, `${REPO}/fornax-hea`)).not.toContain('fan-stale');
  });
});
