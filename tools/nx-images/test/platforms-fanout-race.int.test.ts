import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { MainRepository } from './harness/built-main';
import type { FanoutRun } from './harness/fanout-run';
import { platformFanout, platformJob, PLATFORMS, platformsOf as platformsOfIn } from './harness/platform-tree';

// image-build.yml fanned out per image and platform (as platforms-fanout.int.test.ts plays it), when a
// newer run of the same branch moves the tag between an older run's platform jobs and its merge job:
// the merge checks the tag again, and moves nothing back.

const tree = platformFanout();
let main: MainRepository;
let fanout: FanoutRun;
beforeAll(() => {
  ({ main, fanout } = tree);
});

const platformsOf = (image: string, tag: string) => platformsOfIn(main.registry.url, main.repo, image, tag);

describe('an older run merging after a newer one', () => {
  it('writes no index and leaves the tag on the newer run\'s image', async () => {
    fanout.newRun();
    await main.ws.git('checkout', '--quiet', 'main');
    const older = await main.ws.branch('fan/race', { 'images/pt-leaf/stamp.txt': 'pt-leaf older\n' });
    const planned = await fanout.plan({ name: 'push', branch: 'fan/race', sha: older });
    expect(planned.exitCode, planned.all).toBe(0);
    expect(fanout.level(planned.outputs, 1)).toEqual(PLATFORMS.map((platform) => platformJob('pt-leaf', platform)));
    // The older run's platform jobs find the tag free, build and push by digest.
    for (const entry of fanout.level(planned.outputs, 1)) {
      const result = await fanout.job(planned.outputs, entry, older);
      expect(result.exitCode, result.all).toBe(0);
      expect(result.all).toContain(`pt-leaf: ${entry.platform} pushed by digest`);
    }

    // Meanwhile a newer commit of the branch is pushed, and its run writes the tag.
    const newer = await main.ws.commit('pt-leaf: newer', { 'images/pt-leaf/stamp.txt': 'pt-leaf newer\n' });
    const newerRun = await main.run({ name: 'push', branch: 'fan/race', sha: newer, before: older });
    expect(newerRun.exitCode, newerRun.all).toBe(0);
    const tagged = await platformsOf('pt-leaf', 'fan-race');

    // The older run's merge comes last: the tag names a newer run's image, so it writes nothing.
    const merged = await fanout.merge(planned.outputs, 1, older);
    expect(merged.exitCode, merged.all).toBe(0);
    expect(merged.all).toMatch(/ci:images: pt-leaf: skipped the push: a newer run already pushed \S+pt-leaf:fan-race from [0-9a-f]{7}, which is not an ancestor of [0-9a-f]{7}/);
    expect(merged.all).toContain('ci:images: pt-leaf: no index written and no tag moved, as a newer run pushed there');
    expect(merged.all).not.toMatch(/pt-leaf: index sha256:/);
    expect((await platformsOf('pt-leaf', 'fan-race')).digest).toBe(tagged.digest);
    const record = JSON.parse(readFileSync(join(fanout.store, 'record-merge1', 'docker-build', 'pt-leaf.json'), 'utf8')) as { pushed: boolean; skippedPush?: string };
    expect(record.pushed).toBe(false);
    expect(record.skippedPush).toMatch(/a newer run already pushed \S+pt-leaf:fan-race/);
  });
});
