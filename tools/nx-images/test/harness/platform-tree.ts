import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { REAL_CONVENTION } from '../fixtures/fornax-tree';
import { arm64Busybox } from './arm64';
import { mainRepository, type MainRepository, type MainSpec } from './built-main';
import { FanoutRun } from './fanout-run';
import { listTags, readImage, readImageFile, readIndex } from './read-image';
import { startSecondEngine, type SecondEngine } from './second-engine';

/**
 * test/fixtures/platform-tree: three levels (pt-root FROM scratch, pt-mid,
 * pt-leaf), each for linux/amd64 and linux/arm64 (under QEMU here). Each
 * image records `uname -m` at build time in /stamps/<image>; pt-mid's test
 * fails on the architecture its tests/check.env names. Its main, built once
 * per run, is shared by platforms and platforms-fanout.
 */
export const PLATFORMS = ['linux/amd64', 'linux/arm64'];
export const UNAME: Record<string, string> = { 'linux/amd64': 'x86_64', 'linux/arm64': 'aarch64' };
export const IMAGES = ['pt-root', 'pt-mid', 'pt-leaf'];
export const BASE: Record<string, string> = { 'pt-mid': 'pt-root', 'pt-leaf': 'pt-mid' };
const BASE_DIGEST = 'org.opencontainers.image.base.digest';

export const PLATFORM_TREE: MainSpec = {
  workspace: { tree: 'platform-tree', pluginOptions: { ...REAL_CONVENTION, platforms: PLATFORMS } },
  repository: 'fornax/platforms',
  prepare: {
    key: 'a static busybox per platform in pt-root, v1',
    async run(ws) {
      copyFileSync('/bin/busybox', join(ws.dir, 'images/pt-root/busybox-amd64'));
      copyFileSync(arm64Busybox(), join(ws.dir, 'images/pt-root/busybox-arm64'));
      await ws.commit('pt-root: a static busybox of each platform');
    },
  },
};

/** Every platform of `repo/image:tag` in the registry at `url`: its manifest, its stamp, and the base digest its label records. */
export async function platformsOf(url: string, repo: string, image: string, tag: string) {
  const found = await readIndex(url, `${repo}/${image}`, tag);
  if (!found) throw new Error(`${image}:${tag} is not an index`);
  const entries = await Promise.all(
    Object.entries(found.platforms).map(async ([platform, digest]) => ({
      platform,
      digest,
      stamp: (await readImageFile(url, `${repo}/${image}`, digest, `stamps/${image}`))?.trim(),
      baseDigest: (await readImage(url, `${repo}/${image}`, digest))?.labels[BASE_DIGEST],
    })),
  );
  return { digest: found.digest, platforms: Object.fromEntries(entries.map((entry) => [entry.platform, entry])) };
}

/** What a fan-out test of the platform tree works with (see platformFanout). */
export interface PlatformFanout {
  main: MainRepository;
  engine: SecondEngine;
  fanout: FanoutRun;
  /** The images of the tree that have `tag`. */
  tagged(tag: string): Promise<string[]>;
}

/**
 * For a fan-out test file of the platform tree: a copy of its built main, a
 * private engine emptied before each job, and the FanoutRun that plays
 * image-build.yml's jobs on it. Registers the file's set-up and tear-down;
 * the returned object is filled in before its first test.
 */
export function platformFanout(): PlatformFanout {
  const tree = {} as PlatformFanout;
  beforeAll(async () => {
    const [main, engine] = await Promise.all([mainRepository(PLATFORM_TREE), startSecondEngine({ runnable: true })]);
    Object.assign(tree, { main, engine, fanout: new FanoutRun(main.ws, engine, main.registry.host, { IMAGE_REPOSITORY: main.repo }) });
  }, 600_000);
  afterAll(async () => {
    tree.fanout?.cleanup();
    await tree.engine?.stop();
    await tree.main?.cleanup();
  });
  tree.tagged = async (tag) => (await Promise.all(IMAGES.map(async (image) => ((await listTags(tree.main.registry.url, `${tree.main.repo}/${image}`)).includes(tag) ? [image] : [])))).flat();
  return tree;
}

/** The matrix entry of one platform of an image of several, as the plan writes it with the default runners. */
export function platformJob(image: string, platform: string, artifacts = '') {
  return { image, platform, 'runs-on': platform === 'linux/arm64' ? 'ubuntu-24.04-arm' : 'ubuntu-24.04', job: `${image}-${platform.replace('/', '-')}`, artifacts };
}
