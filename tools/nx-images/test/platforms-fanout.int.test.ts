import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { MainRepository } from './harness/built-main';
import type { FanoutRun } from './harness/fanout-run';
import { BASE, platformFanout, platformJob, PLATFORMS, platformsOf as platformsOfIn, UNAME } from './harness/platform-tree';
import { readIndex } from './harness/read-image';

// image-build.yml fanned out per image and platform, its jobs run the way its jobs run them: the plan
// job, then each level's platform jobs (each its own process in a fresh clone, on a private engine
// emptied before each job; arm64 under QEMU where GitHub gives it a native runner), then the level's
// merge job, then the summary job. The tree is test/fixtures/platform-tree, its main built once per run
// on one runner (test/harness/platform-tree.ts). A platform that fails is platforms-fanout-failure's, a
// pull request's run platforms-fanout-pr's.

const tree = platformFanout();
let main: MainRepository;
let fanout: FanoutRun;
beforeAll(() => {
  ({ main, fanout } = tree);
});

const path = (image: string) => `${main.repo}/${image}`;
const platformsOf = (image: string, tag: string) => platformsOfIn(main.registry.url, main.repo, image, tag);
const { tagged } = tree;
const job = platformJob;

describe('the image build fanned out over one job per image and platform, and a merge job per level', () => {
  it('a push: each platform job pushes by digest only, and the merge writes one index, each platform on the same platform of its base', async () => {
    fanout.newRun();
    await main.ws.git('checkout', '--quiet', 'main');
    const sha = await main.ws.branch('fan/mid', { 'images/pt-mid/stamp.txt': 'pt-mid fan\n', 'images/pt-leaf/stamp.txt': 'pt-leaf fan\n' });
    const planned = await fanout.plan({ name: 'push', branch: 'fan/mid', sha });
    expect(planned.exitCode, planned.all).toBe(0);
    expect(fanout.level(planned.outputs, 1)).toEqual(PLATFORMS.map((platform) => job('pt-mid', platform)));
    expect(planned.outputs.merge1).toBe('platform-@(pt-mid-linux-amd64|pt-mid-linux-arm64)');
    expect(fanout.level(planned.outputs, 2)).toEqual(PLATFORMS.map((platform) => job('pt-leaf', platform)));
    expect(planned.outputs.merge3).toBe('');

    for (const entry of fanout.level(planned.outputs, 1)) {
      const result = await fanout.job(planned.outputs, entry, 'fan/mid');
      expect(result.exitCode, result.all).toBe(0);
      expect(result.all).toMatch(new RegExp(`pt-mid: ${entry.platform} pushed by digest as \\S+pt-mid@sha256:[0-9a-f]{64} \\(no tag`));
    }
    // Both platforms are in the registry by digest, and no tag has moved yet.
    expect(await tagged('fan-mid')).toEqual([]);
    const merged = await fanout.merge(planned.outputs, 1, 'fan/mid');
    expect(merged.exitCode, merged.all).toBe(0);
    expect(merged.all).toMatch(/ci:images: pt-mid: index sha256:[0-9a-f]{64} of linux\/amd64, linux\/arm64 written under \S+pt-mid:fan-mid/);

    const root = await readIndex(main.registry.url, path('pt-root'), 'main');
    const mid = await platformsOf('pt-mid', 'fan-mid');
    expect(Object.keys(mid.platforms).sort()).toEqual(PLATFORMS);
    for (const platform of PLATFORMS) {
      expect(mid.platforms[platform]?.stamp, platform).toBe(UNAME[platform]);
      expect(mid.platforms[platform]?.baseDigest, `pt-mid ${platform} on main's ${BASE['pt-mid'] ?? ''} ${platform}`).toBe(root?.platforms[platform]);
    }
    // The merge's record lists the digests each platform job pushed: the index's.
    const record = JSON.parse(readFileSync(join(fanout.store, 'record-merge1', 'docker-build', 'pt-mid.json'), 'utf8')) as { digest: string; platforms: { platform: string; digest: string }[] };
    expect(record.digest).toBe(mid.digest);
    expect(Object.fromEntries(record.platforms.map((entry) => [entry.platform, entry.digest]))).toEqual(Object.fromEntries(PLATFORMS.map((platform) => [platform, mid.platforms[platform]?.digest])));

    for (const entry of fanout.level(planned.outputs, 2)) {
      const result = await fanout.job(planned.outputs, entry, 'fan/mid');
      expect(result.exitCode, result.all).toBe(0);
    }
    expect((await fanout.merge(planned.outputs, 2, 'fan/mid')).exitCode).toBe(0);
    const leaf = await platformsOf('pt-leaf', 'fan-mid');
    for (const platform of PLATFORMS) {
      expect(leaf.platforms[platform]?.stamp, platform).toBe(UNAME[platform]);
      expect(leaf.platforms[platform]?.baseDigest, `pt-leaf ${platform} on this run's pt-mid ${platform}`).toBe(mid.platforms[platform]?.digest);
    }
    expect(await tagged('fan-mid')).toEqual(['pt-mid', 'pt-leaf']);

    const summary = await fanout.summary(planned.outputs, 'fan/mid');
    expect(summary.exitCode, summary.all).toBe(0);
    expect(summary.all).toContain('ci:images: all 2 image(s) of the plan were built.');
    expect(summary.summary).toContain(mid.digest);
    // Each platform's packages and size, against the same platform of main's index.
    for (const platform of PLATFORMS) expect(summary.summary).toContain(`#### \`pt-mid ${platform}\`: \`main ${platform}\` → \`fan-mid ${platform}\``);
  });
});
