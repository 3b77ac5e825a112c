import { describe, expect, it } from 'vitest';
import { repositoryCopy } from './harness/main-copy';
import { BASE, IMAGES, PLATFORM_TREE, PLATFORMS, platformsOf as platformsOfIn, UNAME } from './harness/platform-tree';
import { listTags, readImage, readIndex } from './harness/read-image';

// Three levels, each for linux/amd64 and linux/arm64, pushed by ci:images on one runner as CI pushes them
// there: read back per platform from the index in the registry (test/harness/platform-tree.ts). The
// release, its mirror copy and release-check of these indexes are platforms-release.int.test.ts's.
const SPEC = PLATFORM_TREE;

const main = repositoryCopy(SPEC);

const path = (image: string) => `${main.repo}/${image}`;
const index = (image: string, tag: string) => readIndex(main.registry.url, path(image), tag);

const platformsOf = (image: string, tag: string) => platformsOfIn(main.registry.url, main.repo, image, tag);

describe('multi-platform images: one index per image, each platform built natively (here: under QEMU) and tested', () => {
  it('a first push of the three-level tree writes one index per image, each platform built on the same platform of its base from this run', async () => {
    for (const image of IMAGES) {
      const read = await platformsOf(image, 'main');
      expect(Object.keys(read.platforms).sort(), image).toEqual(PLATFORMS);
      for (const platform of PLATFORMS) {
        expect(read.platforms[platform]?.stamp, `${image} ${platform}`).toBe(UNAME[platform]);
        const base = BASE[image];
        if (!base) continue;
        const ofBase = await index(base, 'main');
        expect(read.platforms[platform]?.baseDigest, `${image} ${platform} is built on ${base}'s ${platform}`).toBe(ofBase?.platforms[platform]);
      }
    }
    // Each platform was tested in its own container before anything was pushed.
    expect(main.first.all).toMatch(/pt-mid: linux\/arm64: tests passed/);
    expect(main.first.all).toMatch(/pt-mid: linux\/amd64: tests passed/);
  });

  // A base's change is not an input of the images on it (docs/ci.md), so the branch changes the one on it too.
  it('a branch changing the mid-level image and the one on it writes new indexes for those two only, the leaf on this branch\'s mid, per platform', async () => {
    const before: Record<string, string | undefined> = Object.fromEntries(await Promise.all(IMAGES.map(async (image) => [image, (await index(image, 'main'))?.digest] as const)));
    const sha = await main.ws.branch('feature/mid', { 'images/pt-mid/stamp.txt': 'pt-mid 2\n', 'images/pt-leaf/stamp.txt': 'pt-leaf 2\n' });
    const run = await main.run({ name: 'push', branch: 'feature/mid', sha });
    expect(run.exitCode, run.all).toBe(0);
    expect(await index('pt-root', 'feature-mid')).toBeUndefined();
    const mid = await platformsOf('pt-mid', 'feature-mid');
    const leaf = await platformsOf('pt-leaf', 'feature-mid');
    const root = await index('pt-root', 'main');
    for (const platform of PLATFORMS) {
      expect(mid.platforms[platform]?.stamp).toBe(UNAME[platform]);
      expect(mid.platforms[platform]?.baseDigest, `pt-mid ${platform} on main's pt-root`).toBe(root?.platforms[platform]);
      expect(leaf.platforms[platform]?.baseDigest, `pt-leaf ${platform} on this branch's pt-mid`).toBe(mid.platforms[platform]?.digest);
    }
    expect(mid.digest).not.toBe(before['pt-mid']);
    // main's tags stay where they were.
    for (const image of IMAGES) expect((await index(image, 'main'))?.digest, image).toBe(before[image]);
  });

  it('a test failing on arm64 only moves no tag, publishes no platform alone, and skips what is built on the image', async () => {
    const tagsBefore: Record<string, string[]> = Object.fromEntries(await Promise.all(IMAGES.map(async (image) => [image, await listTags(main.registry.url, path(image))] as const)));
    await main.ws.git('checkout', '--quiet', 'main');
    const sha = await main.ws.branch('feature/arm-fails', { 'images/pt-mid/stamp.txt': 'pt-mid 3\n', 'images/pt-mid/tests/check.env': 'FAIL_ON=aarch64\n', 'images/pt-leaf/stamp.txt': 'pt-leaf 3\n' });
    const run = await main.run({ name: 'push', branch: 'feature/arm-fails', sha });
    expect(run.exitCode, run.all).not.toBe(0);
    expect(run.all).toMatch(/pt-mid: linux\/arm64: its tests failed: pt-mid\/check.sh; nothing was pushed for any platform \(linux\/amd64 included\)/);
    expect(run.all).toMatch(/skipping pt-leaf: it takes from pt-mid, which failed/);
    // amd64 passed, yet nothing of pt-mid was pushed: no tag, and the record names no digest.
    expect(await readImage(main.registry.url, path('pt-mid'), 'feature-arm-fails')).toBeUndefined();
    expect(await readImage(main.registry.url, path('pt-leaf'), 'feature-arm-fails')).toBeUndefined();
    for (const image of IMAGES) expect(await listTags(main.registry.url, path(image)), image).toEqual(tagsBefore[image]);
  });

  it('an image asking for a platform its base lacks is refused before anything is built, in one line, by the plan (dry run) and the build alike', async () => {
    await main.ws.git('checkout', '--quiet', 'main');
    const tagsBefore = await listTags(main.registry.url, path('pt-mid'));
    for (const extra of [['--dry-run'], ['--push']]) {
      const run = await main.ws.nx(['run', 'pt-mid:docker-build', `--registry=${main.registry.host}`, `--repository=${main.repo}`, '--exclude-task-dependencies', '--platforms=linux/amd64', '--platforms=linux/s390x', ...extra]);
      expect(run.exitCode, run.all).not.toBe(0);
      expect(run.all).toContain(`pt-mid: asks for linux/s390x, which its base ${main.registry.host}/${main.repo}/pt-root:main lacks (it has linux/amd64, linux/arm64): build pt-root for linux/s390x too (its platforms option), or leave linux/s390x out of pt-mid's platforms.`);
      expect(run.all).not.toMatch(/platform linux\/amd64\n/);
    }
    expect(await listTags(main.registry.url, path('pt-mid'))).toEqual(tagsBefore);
  });

  it('image-diff compares an index platform by platform: each platform\'s packages and size', async () => {
    const run = await main.ws.nx(['run', 'pt-mid:image-diff', `--registry=${main.registry.host}`, `--repository=${main.repo}`, '--from=main', '--to=feature-mid']);
    expect(run.exitCode, run.all).toBe(0);
    for (const platform of PLATFORMS) {
      const heading = `## \`pt-mid ${platform}\`: \`main ${platform}\` → \`feature-mid ${platform}\``;
      expect(run.all).toContain(heading);
      const section = run.all.slice(run.all.indexOf(heading)).split('\n## ')[0] ?? '';
      expect(section, platform).toMatch(/Size \(compressed\): .*; layers: /);
      expect(section, platform).toMatch(/Packages: /);
    }
  });
});
