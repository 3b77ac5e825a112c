import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_ARTIFACT_TYPE } from '../src/lib/core/naming/conventions';
import { attachTestResult } from '../src/lib/io/image-tests';
import { createRegistryClient } from '../src/lib/io/registry/oci-client';
import { mainRepository, type MainRepository } from './harness/built-main';
import { BASE, IMAGES, PLATFORM_TREE, PLATFORMS, platformsOf as platformsOfIn, UNAME } from './harness/platform-tree';
import { listTags, readImage, readImageFile, readIndex } from './harness/read-image';
import { startRegistry, type StartedRegistry } from './harness/registry';
import { runReleaseExecutor } from './harness/run-release';

// Three levels, each for linux/amd64 and linux/arm64, pushed by ci:images on one runner as CI pushes them
// there: read back per platform from the index in the registry (test/harness/platform-tree.ts).
const SPEC = PLATFORM_TREE;

let main: MainRepository;

beforeAll(async () => {
  main = await mainRepository(SPEC);
}, 600_000);

afterAll(async () => {
  await main?.cleanup();
});

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

  it('a release and its mirror copy keep the index digest on both sides, with every platform and its evidence there', async () => {
    const mirror: StartedRegistry = await startRegistry();
    try {
      const source = await index('pt-mid', 'main');
      const release = await runReleaseExecutor('release', main.ws.dir, 'pt-mid', { registry: main.registry.host, repository: main.repo, tags: 'v1.0.0', commit: main.c0 }, { IMAGE_MIRRORS: `${mirror.host}/mirror/fornax` });
      expect(release.success, release.output).toBe(true);
      const released = await index('pt-mid', 'v1.0.0');
      const mirrored = await readIndex(mirror.url, 'mirror/fornax/pt-mid', 'v1.0.0');
      expect(released?.digest).toBe(source?.digest);
      expect(mirrored?.digest).toBe(source?.digest);
      expect(mirrored?.platforms).toEqual(source?.platforms);
      for (const platform of PLATFORMS) {
        const digest = source?.platforms[platform] ?? '';
        expect((await readImageFile(mirror.url, 'mirror/fornax/pt-mid', digest, 'stamps/pt-mid'))?.trim(), platform).toBe(UNAME[platform]);
        // Each platform's test result travelled with it.
        const referrers = await createRegistryClient({ registry: mirror.host, env: {} }).referrers('mirror/fornax/pt-mid', digest);
        expect(referrers.some((entry) => entry.artifactType === TEST_ARTIFACT_TYPE), platform).toBe(true);
      }
    } finally {
      await mirror.stop();
    }
  });

  it('release-check refuses an index one of whose platforms has no passing test result, naming the platform', async () => {
    // main's pt-root index, with its arm64 manifest replaced by a copy no test ever ran on (same image, other bytes).
    const repo = path('pt-root');
    const accept = { accept: 'application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json' };
    const source = await index('pt-root', 'main');
    const armDigest = source?.platforms['linux/arm64'] ?? '';
    const arm = (await (await fetch(`${main.registry.url}/v2/${repo}/manifests/${armDigest}`, { headers: accept })).json()) as Record<string, unknown>;
    const untestedArm = Buffer.from(JSON.stringify({ ...arm, annotations: { note: 'never tested' } }));
    const put = async (reference: string, bytes: Buffer, mediaType: string) => {
      const response = await fetch(`${main.registry.url}/v2/${repo}/manifests/${reference}`, { method: 'PUT', headers: { 'content-type': mediaType }, body: bytes });
      expect(response.status, await response.text()).toBe(201);
      return response.headers.get('docker-content-digest') ?? '';
    };
    const armCopy = await put('untested-arm-copy', untestedArm, 'application/vnd.oci.image.manifest.v1+json');
    const original = (await (await fetch(`${main.registry.url}/v2/${repo}/manifests/main`, { headers: accept })).json()) as { manifests: { digest: string; size: number }[] };
    const manifests = original.manifests.map((entry) => (entry.digest === armDigest ? { ...entry, digest: armCopy, size: untestedArm.length } : entry));
    await put('untested-arm', Buffer.from(JSON.stringify({ ...original, manifests })), 'application/vnd.oci.image.index.v1+json');

    const releaseCheck = (sourceTag: string) =>
      main.ws.nx(['run', 'pt-root:release-check', `--registry=${main.registry.host}`, `--repository=${main.repo}`, `--sourceTag=${sourceTag}`, '--tags=v9.0.0', `--commit=${main.c0}`, '--exclude-task-dependencies']);
    const check = await releaseCheck('untested-arm');
    expect(check.exitCode).not.toBe(0);
    expect(check.all).toContain(`${main.registry.host}/${repo}:untested-arm linux/arm64 (${armCopy.slice(0, 19)}) has no passing test result (no test result is attached`);
    // The same index with both platforms tested passes.
    const passing = await releaseCheck('main');
    expect(passing.exitCode, passing.all).toBe(0);
    // A retest of a tests-only change attaches its result to what the tag names, the index: a newer failure there stops every platform.
    await attachTestResult(createRegistryClient({ registry: main.registry.host, env: {} }), repo, source?.digest ?? '', { result: 'failed', suites: ['pt-root/check.sh'], passed: 0, failed: 1, failures: [] }, main.ws.dir, 'pt-root');
    const retested = await releaseCheck('main');
    expect(retested.exitCode).not.toBe(0);
    expect(retested.all).toMatch(/pt-root:main linux\/amd64 \(sha256:[0-9a-f]{12}\) has no passing test result \(its newest tests, run [^)]+, failed\)/);
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
