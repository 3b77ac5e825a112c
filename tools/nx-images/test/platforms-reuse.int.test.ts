import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { MainRepository } from './harness/built-main';
import type { FanoutRun } from './harness/fanout-run';
import { platformFanout, platformJob, PLATFORMS, platformsOf as platformsOfIn, UNAME } from './harness/platform-tree';

// Reuse by content, platform by platform: each platform of an image of several is recorded under its own
// reuse digest once its tests passed, and a later push of the same inputs on the same bases takes it
// from the registry, on one runner and in the fan-out's platform jobs alike. The tree is
// test/fixtures/platform-tree (test/harness/platform-tree.ts).

const tree = platformFanout();
let main: MainRepository;
let fanout: FanoutRun;
beforeAll(() => {
  ({ main, fanout } = tree);
});

const platformsOf = (image: string, tag: string) => platformsOfIn(main.registry.url, main.repo, image, tag);
const CHANGE = { 'images/pt-leaf/stamp.txt': 'pt-leaf reused\n' };
const reusedLine = (platform: string) => new RegExp(`pt-leaf: ${platform}: reused \\S+/pt-leaf@sha256:[0-9a-f]{64}, built from the same inputs on the same bases by \\S+:reuse-first \\([0-9a-f]{7}\\)`);
const builtLine = (platform: string) => `pt-leaf: platform ${platform}`;

/** The digests of the index under `tag` and of each of its platforms. */
async function digests(tag: string): Promise<{ index: string; platforms: Record<string, string | undefined> }> {
  const read = await platformsOf('pt-leaf', tag);
  return { index: read.digest, platforms: Object.fromEntries(PLATFORMS.map((platform) => [platform, read.platforms[platform]?.digest])) };
}

describe('a multi-platform image is reused platform by platform', () => {
  let first: Awaited<ReturnType<typeof digests>>;

  it('one runner: a second branch with the same change takes both platforms from the registry and writes the same index, with no build', async () => {
    await main.ws.git('checkout', '--quiet', 'main');
    const built = await main.run({ name: 'push', branch: 'reuse/first', sha: await main.ws.branch('reuse/first', CHANGE) });
    expect(built.exitCode, built.all).toBe(0);
    for (const platform of PLATFORMS) expect(built.all).toContain(builtLine(platform));
    expect(built.all.match(/pt-leaf: recorded for reuse as sha256:/g)).toHaveLength(PLATFORMS.length);
    first = await digests('reuse-first');
    const stamps = await platformsOf('pt-leaf', 'reuse-first');
    for (const platform of PLATFORMS) expect(stamps.platforms[platform]?.stamp).toBe(UNAME[platform]);

    await main.ws.git('checkout', '--quiet', 'main');
    const again = await main.run({ name: 'push', branch: 'reuse/second', sha: await main.ws.branch('reuse/second', CHANGE) });
    expect(again.exitCode, again.all).toBe(0);
    for (const platform of PLATFORMS) {
      expect(again.all).toMatch(reusedLine(platform));
      expect(again.all).not.toContain(builtLine(platform));
    }
    // The index lists the manifests the first push built and tested: byte for byte the same index.
    expect(await digests('reuse-second')).toEqual(first);
    expect(again.summary).toMatch(/reused from `\S+:reuse-first` \(`[0-9a-f]{7}`\), which built it in \d+ s/);
  });

  it('the fan-out: each platform job takes its platform from the registry, and the merge writes the same index', async () => {
    fanout.newRun();
    await main.ws.git('checkout', '--quiet', 'main');
    const sha = await main.ws.branch('reuse/fan', CHANGE);
    const planned = await fanout.plan({ name: 'push', branch: 'reuse/fan', sha });
    expect(planned.exitCode, planned.all).toBe(0);
    expect(fanout.level(planned.outputs, 1)).toEqual(PLATFORMS.map((platform) => platformJob('pt-leaf', platform)));
    for (const entry of fanout.level(planned.outputs, 1)) {
      const result = await fanout.job(planned.outputs, entry, 'reuse/fan');
      expect(result.exitCode, result.all).toBe(0);
      expect(result.all).toMatch(reusedLine(entry.platform));
      expect(result.all).not.toContain(builtLine(entry.platform));
    }
    const merged = await fanout.merge(planned.outputs, 1, 'reuse/fan');
    expect(merged.exitCode, merged.all).toBe(0);
    expect(await digests('reuse-fan')).toEqual(first);
    const record = JSON.parse(readFileSync(join(fanout.store, 'record-merge1', 'docker-build', 'pt-leaf.json'), 'utf8')) as { digest: string; reused?: { from: string } };
    expect(record.digest).toBe(first.index);
    expect(record.reused?.from).toMatch(/:reuse-first$/);
    const summary = await fanout.summary(planned.outputs, 'reuse/fan');
    expect(summary.exitCode, summary.all).toBe(0);
    expect(summary.summary).toMatch(/reused from `\S+:reuse-first`/);
  });

  it('a forced rebuild builds every platform again and takes none', async () => {
    await main.ws.git('checkout', '--quiet', 'main');
    const forced = await main.run({ name: 'push', branch: 'reuse/forced', sha: await main.ws.branch('reuse/forced', CHANGE) }, { REBUILD: 'true' });
    expect(forced.exitCode, forced.all).toBe(0);
    for (const platform of PLATFORMS) {
      expect(forced.all).toContain(builtLine(platform));
      expect(forced.all).toContain(`pt-leaf: ${platform}: reuse skipped (--reuse=false): building`);
      expect(forced.all).not.toMatch(reusedLine(platform));
    }
    const rebuilt = await platformsOf('pt-leaf', 'reuse-forced');
    for (const platform of PLATFORMS) expect(rebuilt.platforms[platform]?.stamp).toBe(UNAME[platform]);
  });
});
