import { beforeAll, describe, expect, it } from 'vitest';
import { run } from '../src/lib/io/exec';
import { entryOf, type FanoutRun } from './harness/fanout-run';
import type { Registry } from './harness/registry';
import { DOCKER, type SecondEngine } from './harness/second-engine';
import type { Workspace } from './harness/workspace';
import { fanoutTree, REPO } from './harness/fanout-tree';

// image-build.yml fanned out, its commands run the way its jobs run them: the plan job, then every
// matrix entry of every level as its own process in a fresh clone, on a private engine emptied
// before each job (it holds nothing the registry or an artifact did not give it), then the summary
// job. The tree is test/fixtures/tree (the real tree's shape and convention), built once on main
// (test/harness/fanout-tree.ts). A failed image, ci:free-disk and a stale run are in fanout-failures.

const tree = fanoutTree();
let registry: Registry;
let ws: Workspace;
let engine: SecondEngine;
let fanout: FanoutRun;
let c0: string;
beforeAll(() => {
  ({ registry, ws, engine, fanout, c0 } = tree);
});
const { image, file, basesOf, taggedWith } = tree;

describe('the image build fanned out over one job per image', () => {
  it('a push changing a mid-level image and a top image: two levels, the top image built on the fresh mid-level one', async () => {
    fanout.newRun();
    const sha = await ws.branch('fan/hea', { 'images/env-heasoft/stamp.txt': 'env-heasoft 2\n', 'images/fornax-hea/stamp.txt': 'fornax-hea 2\n' });
    const planned = await fanout.plan({ name: 'push', branch: 'fan/hea', sha });
    expect(planned.exitCode, planned.all).toBe(0);
    expect(planned.outputs.levels).toBe('2');
    expect(fanout.level(planned.outputs, 1)).toEqual([entryOf('env-heasoft')]);
    expect(fanout.level(planned.outputs, 2)).toEqual([entryOf('fornax-hea')]);
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
    expect(fanout.level(planned.outputs, 2)).toEqual([entryOf('env-sas', 'image-@(env-heasoft)')]);

    const base = await fanout.job(planned.outputs, entryOf('env-heasoft'), 'fan/pr');
    expect(base.exitCode, base.all).toBe(0);
    expect(base.all).toContain('saved for the next levels as image-env-heasoft');
    const dependent = await fanout.job(planned.outputs, entryOf('env-sas', 'image-@(env-heasoft)'), 'fan/pr');
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
});
