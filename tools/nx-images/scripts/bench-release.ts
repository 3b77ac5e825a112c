/**
 * `npm run bench:release`: how long a release (manifest copy in the
 * registry) takes for a ~200 MB image and a few-KB image, against
 * `docker pull` + `docker tag` + `docker push` of the 200 MB image from an
 * engine without it. Prints the figures and ratios; asserts nothing.
 */
import { performance } from 'node:perf_hooks';
import { CommandError, run } from '../src/lib/io/exec';
import { createRegistryClient, type RegistryClient } from '../src/lib/io/registry/oci-client';
import { startRegistry } from '../test/harness/registry';
import { pushImage, randomLayer, tarLayer } from '../test/harness/seed';

// The Debian CLI: /usr/local/bin/docker (first on PATH here) cannot build or talk BuildKit.
const DOCKER = process.env.BENCH_DOCKER ?? '/usr/bin/docker';
const BIG_LAYERS = 4;
const BIG_LAYER_BYTES = 50 * 1024 * 1024;
const SMALL_BYTES = 4 * 1024;
const RUNS = 5;

/** What the release executor does per image: check, then copy the manifest under each tag and read it back. */
async function releaseOnce(client: RegistryClient, repoPath: string, tags: string[]): Promise<void> {
  const source = await client.resolve(repoPath, 'main');
  if (!source) throw new Error(`${repoPath}:main is missing`);
  await client.readLabels(repoPath, source.digest);
  await client.checkPushAccess(repoPath);
  const manifest = await client.getManifest(repoPath, source.digest);
  for (const tag of tags) await client.retag(repoPath, manifest, tag);
}

async function timeMs(work: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await work();
  return performance.now() - start;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function docker(args: string[]): Promise<void> {
  await run({ command: DOCKER, args }, { timeout: 600_000 });
}

async function removeImage(reference: string): Promise<void> {
  try {
    await docker(['image', 'rm', '--force', reference]);
  } catch (error) {
    if (!(error instanceof CommandError) || error.notFound) throw error;
    // not present: nothing to remove
  }
}

async function main(): Promise<void> {
  const registry = await startRegistry();
  const big = 'bench/images/big';
  const small = 'bench/images/small';
  const pulled = [`${registry.host}/${big}:main`, `${registry.host}/${big}:docker-v1`];
  try {
    console.log(`registry ${registry.url}; seeding ${(BIG_LAYERS * BIG_LAYER_BYTES) / 2 ** 20} MiB and ${SMALL_BYTES / 1024} KiB images over HTTP...`);
    const layers = Array.from({ length: BIG_LAYERS }, (_, i) => tarLayer(`data-${i}.bin`, randomLayer(BIG_LAYER_BYTES)));
    await pushImage(registry.url, big, 'main', { layers });
    await pushImage(registry.url, small, 'main', { layers: [tarLayer('data.bin', randomLayer(SMALL_BYTES))] });

    const client = createRegistryClient({ registry: registry.host, env: {} });
    const bigTimes: number[] = [];
    const smallTimes: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      // New tags each run, so every run writes (a repeated release would be a no-op).
      bigTimes.push(await timeMs(() => releaseOnce(client, big, [`v0.${i}.0`, 'stable'])));
      smallTimes.push(await timeMs(() => releaseOnce(client, small, [`v0.${i}.0`, 'stable'])));
    }

    for (const reference of pulled) await removeImage(reference);
    const dockerMs = await timeMs(async () => {
      await docker(['pull', '--quiet', pulled[0]]);
      await docker(['tag', pulled[0], pulled[1]]);
      await docker(['push', '--quiet', pulled[1]]);
    });

    const bigMs = median(bigTimes);
    const smallMs = median(smallTimes);
    const row = (name: string, ms: number) => console.log(`${name.padEnd(44)} ${ms.toFixed(1).padStart(10)} ms`);
    console.log('');
    row(`release, ${(BIG_LAYERS * BIG_LAYER_BYTES) / 2 ** 20} MiB image (median of ${RUNS})`, bigMs);
    row(`release, ${SMALL_BYTES / 1024} KiB image (median of ${RUNS})`, smallMs);
    row(`docker pull + tag + push, ${(BIG_LAYERS * BIG_LAYER_BYTES) / 2 ** 20} MiB image`, dockerMs);
    console.log('');
    console.log(`release big / release small:        ${(bigMs / smallMs).toFixed(2)}x  (1x: the release does not grow with image size)`);
    console.log(`pull+tag+push / release big:        ${(dockerMs / bigMs).toFixed(0)}x faster by manifest copy`);
    console.log(`runs (ms): big ${bigTimes.map((t) => t.toFixed(1)).join(', ')}; small ${smallTimes.map((t) => t.toFixed(1)).join(', ')}`);
  } finally {
    for (const reference of pulled) await removeImage(reference).catch(() => undefined);
    await registry.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
