import { beforeAll, describe, expect, it } from 'vitest';
import type { MainRepository } from './harness/built-main';
import type { FanoutRun } from './harness/fanout-run';
import { IMAGES, platformFanout, PLATFORMS } from './harness/platform-tree';
import { listTags } from './harness/read-image';

// image-build.yml fanned out per image and platform (as platforms-fanout.int.test.ts plays it), when one
// platform of an image fails its tests: the merge writes nothing and names the platform.

const tree = platformFanout();
let main: MainRepository;
let fanout: FanoutRun;
beforeAll(() => {
  ({ main, fanout } = tree);
});

const path = (image: string) => `${main.repo}/${image}`;

describe('a platform that fails in the fan-out', () => {
  it('a test failing on arm64 only: the merge writes nothing and names the platform, the amd64 image is not published alone, the dependents are skipped', async () => {
    fanout.newRun();
    await main.ws.git('checkout', '--quiet', 'main');
    const tagsBefore = Object.fromEntries(await Promise.all(IMAGES.map(async (image) => [image, await listTags(main.registry.url, path(image))] as const)));
    const sha = await main.ws.branch('fan/arm-fails', { 'images/pt-mid/stamp.txt': 'pt-mid arm fails\n', 'images/pt-mid/tests/check.env': 'FAIL_ON=aarch64\n', 'images/pt-leaf/stamp.txt': 'pt-leaf arm fails\n' });
    const planned = await fanout.plan({ name: 'push', branch: 'fan/arm-fails', sha });
    expect(planned.exitCode, planned.all).toBe(0);
    const results = await fanout.levels(planned.outputs, 'fan/arm-fails');
    expect(results['pt-mid-linux-amd64']?.exitCode, results['pt-mid-linux-amd64']?.all).toBe(0);
    expect(results['pt-mid-linux-arm64']?.exitCode).toBe(1);
    expect(results['pt-mid-linux-arm64']?.all).toMatch(/ci:images: pt-mid for linux\/arm64: failed: its tests failed/);
    expect(results.merge1?.exitCode).toBe(1);
    expect(results.merge1?.all).toMatch(/ci:images: pt-mid: failed: linux\/arm64: its tests failed[^\n]*; no tag moved, and linux\/amd64 is not published alone/);
    // Each of pt-leaf's platform jobs finds its base's tag unmoved, and skips; the merge of its level says so.
    for (const platform of PLATFORMS) {
      const leaf = results[`pt-leaf-${platform.replace('/', '-')}`];
      expect(leaf?.exitCode, leaf?.all).toBe(0);
      expect(leaf?.all).toMatch(/pt-leaf for linux\/(amd|arm)64: skipped: takes from pt-mid, which this run did not build/);
    }
    expect(results.merge2?.all).toMatch(/ci:images: pt-leaf: skipped: linux\/amd64: takes from pt-mid/);
    for (const image of IMAGES) expect(await listTags(main.registry.url, path(image)), image).toEqual(tagsBefore[image]);

    const summary = await fanout.summary(planned.outputs, 'fan/arm-fails');
    expect(summary.exitCode).not.toBe(0);
    expect(summary.summary).toMatch(/\| `pt-mid` \| `fan-arm-fails` \| \*\*failed\*\*/);
    expect(summary.summary).toMatch(/- `pt-mid`: linux\/arm64: its tests failed: pt-mid\/check\.sh; no tag moved, and linux\/amd64 is not published alone/);
  });
});
