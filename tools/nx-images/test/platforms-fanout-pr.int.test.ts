import { beforeAll, describe, expect, it } from 'vitest';
import { run } from '../src/lib/io/exec';
import type { MainRepository } from './harness/built-main';
import type { FanoutRun } from './harness/fanout-run';
import { platformFanout, platformJob as job, PLATFORMS } from './harness/platform-tree';
import { DOCKER, type SecondEngine } from './harness/second-engine';

// image-build.yml fanned out per image and platform for a pull request, which pushes nothing: each
// platform's image reaches the dependents of the same platform as an artifact. Jobs run as in
// platforms-fanout (test/harness/platform-tree.ts).

const tree = platformFanout();
let main: MainRepository;
let engine: SecondEngine;
let fanout: FanoutRun;
beforeAll(() => {
  ({ main, engine, fanout } = tree);
});
const path = (image: string) => `${main.repo}/${image}`;

describe('a pull request fanned out over one job per image and platform', () => {
  it('a pull request pushes nothing, and each platform of the dependent is built on the same platform of its base, through that platform\'s artifact', async () => {
    fanout.newRun();
    await main.ws.git('checkout', '--quiet', 'main');
    const sha = await main.ws.branch('fan/pr', { 'images/pt-mid/stamp.txt': 'pt-mid pr\n', 'images/pt-leaf/stamp.txt': 'pt-leaf pr\n' });
    const planned = await fanout.plan({ name: 'pull_request', branch: 'fan/pr', sha, baseRef: 'main', baseSha: main.c0 });
    expect(planned.exitCode, planned.all).toBe(0);
    expect(fanout.level(planned.outputs, 2)).toEqual(PLATFORMS.map((platform) => job('pt-leaf', platform, `image-@(pt-mid-${platform.replace('/', '-')})`)));
    const results = await fanout.levels(planned.outputs, 'fan/pr');
    for (const [name, result] of Object.entries(results)) expect(result.exitCode, `${name}: ${result.all}`).toBe(0);
    expect(results['pt-mid-linux-arm64']?.all).toContain('pt-mid for linux/arm64: saved for the next levels as image-pt-mid-linux-arm64');
    expect(results['pt-leaf-linux-arm64']?.all).toContain('loaded pt-mid from the artifact image-pt-mid-linux-arm64');
    expect(await tree.tagged('fan-pr')).toEqual([]);

    // Read back from the last job's engine (pt-leaf for arm64): an arm64 image on the pull request's arm64 pt-mid.
    const reference = `${main.registry.host}/${path('pt-leaf')}:fan-pr`;
    const inspect = await run({ command: DOCKER, args: ['image', 'inspect', '--format', '{{.Architecture}}', reference], env: { DOCKER_HOST: engine.host } });
    expect(inspect.stdout.trim()).toBe('arm64');
    const cat = await run({ command: DOCKER, args: ['run', '--rm', '--network=none', '--platform=linux/arm64', reference, 'cat', '/stamps/pt-mid.txt', '/stamps/pt-mid', '/stamps/pt-leaf'], env: { DOCKER_HOST: engine.host } });
    expect(cat.stdout).toBe('pt-mid pr\naarch64\naarch64');

    const summary = await fanout.summary(planned.outputs, 'fan/pr');
    expect(summary.exitCode, summary.all).toBe(0);
    expect(summary.summary).toMatch(/`pt-leaf` \| `fan-pr` \| not pushed/);
  });
});
