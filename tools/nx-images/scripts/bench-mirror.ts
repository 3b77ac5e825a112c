/**
 * `npm run bench:mirror`: how long copying a ~200 MiB image to a mirror
 * takes through our registry-to-registry copy, against `docker pull` +
 * `docker tag` + `docker push` from an engine without the image, with the
 * bytes each sends to the mirror (counted by a proxy in front of it); then
 * the copy again with nothing changed, which should send no blob bytes;
 * then an image built on it, copied with and without the base's
 * repository on the mirror to mount the shared layers from.
 * Prints figures and ratios; asserts nothing.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { CommandError, run } from '../src/lib/io/exec';
import { copyImage } from '../src/lib/io/registry/copy';
import { createRegistryClient } from '../src/lib/io/registry/oci-client';
import { startFaultProxy } from '../test/harness/fault-proxy';
import { startRegistry } from '../test/harness/registry';
import { pushImage, randomLayer, tarLayer } from '../test/harness/seed';

// The Debian CLI: /usr/local/bin/docker (first on PATH here) has no BuildKit; pull and push work with either.
const DOCKER = process.env.BENCH_DOCKER ?? '/usr/bin/docker';
const LAYERS = Number(process.env.BENCH_LAYERS ?? 4);
const LAYER_BYTES = 50 * 1024 * 1024;
const MiB = 2 ** 20;

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await work();
  return { ms: performance.now() - start, value };
}

/** One copy in a process of its own (scripts/lib/copy-once.ts): its time and its peak resident memory. */
async function copyInChild(args: string[]): Promise<{ ms: number; peakRssBytes: number; blobs: number }> {
  const { stdout } = await run({ command: process.execPath, args: ['--require', '@swc-node/register', join(__dirname, 'lib', 'copy-once.ts'), ...args] }, { timeout: 900_000 });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as { ms: number; peakRssBytes: number; blobs: number };
}

async function docker(args: string[]): Promise<void> {
  await run({ command: DOCKER, args }, { timeout: 900_000 });
}

async function removeImage(reference: string): Promise<void> {
  try {
    await docker(['image', 'rm', '--force', reference]);
  } catch (error) {
    if (!(error instanceof CommandError) || error.notFound) throw error;
  }
}

async function seed(registryUrl: string, repoPath: string, count: number, below: Buffer[] = []): Promise<Buffer[]> {
  const layers = [...below, ...Array.from({ length: count }, (_, i) => tarLayer(`data-${i}.bin`, randomLayer(LAYER_BYTES)))];
  await pushImage(registryUrl, repoPath, 'main', { layers, locks: false });
  return layers;
}

async function main(): Promise<void> {
  const primary = await startRegistry();
  const mirror = await startRegistry();
  const proxy = await startFaultProxy(mirror.url);
  const source = `${primary.host}/bench/images/big:main`;
  const baseline = `${proxy.host}/mirror/docker/big:main`;
  try {
    console.log(`primary ${primary.url}, mirror ${mirror.url} behind a byte-counting proxy ${proxy.url}`);
    console.log(`seeding a ${(LAYERS * LAYER_BYTES) / MiB} MiB image (${LAYERS} layers of random data) on the primary over HTTP...`);
    const bigLayers = await seed(primary.url, 'bench/images/big', LAYERS);
    console.log(`and one built on it: its ${LAYERS} layers and one ${LAYER_BYTES / MiB} MiB layer of its own...`);
    await seed(primary.url, 'bench/images/dependent', 1, bigLayers);
    console.log(`and a ${(3 * LAYERS * LAYER_BYTES) / MiB} MiB one, to show the copy's memory does not grow with the image...`);
    await seed(primary.url, 'bench/images/bigger', 3 * LAYERS);

    const from = createRegistryClient({ registry: primary.host, env: {} });
    const to = createRegistryClient({ registry: proxy.host, env: {} });
    const copy = () => copyImage({ from, fromRepo: 'bench/images/big', reference: 'main', to, toRepo: 'mirror/ours/big', tags: ['main'] });

    // The first copy in a process of its own, so its peak memory is the copy's; then the same process copying nothing.
    let mark = proxy.bytesSent();
    const child = await copyInChild([primary.host, 'bench/images/big', 'main', proxy.host, 'mirror/ours/big', 'main']);
    const firstBytes = proxy.bytesSent() - mark;
    const idle = await copyInChild(['', '', '', '', '', '', '--idle']);
    const bigger = await copyInChild([primary.host, 'bench/images/bigger', 'main', proxy.host, 'mirror/ours/bigger', 'main']);
    const first = { ms: child.ms, value: { blobs: { sent: child.blobs }, digest: (await from.resolve('bench/images/big', 'main'))?.digest ?? '' } };

    mark = proxy.bytesSent();
    const again = await timed(copy);
    const againBytes = proxy.bytesSent() - mark;

    // The image built on it, to its own repository on the mirror: once with the base's repository to mount from, once without.
    const dependent = (toRepo: string, mountFrom: string[]) => copyImage({ from, fromRepo: 'bench/images/dependent', reference: 'main', to, toRepo, tags: ['main'], mountFrom });
    mark = proxy.bytesSent();
    const mounted = await timed(() => dependent('mirror/ours/dependent', ['mirror/ours/big']));
    const mountedBytes = proxy.bytesSent() - mark;
    mark = proxy.bytesSent();
    const unmounted = await timed(() => dependent('mirror/ours/dependent-alone', []));
    const unmountedBytes = proxy.bytesSent() - mark;

    for (const reference of [source, baseline]) await removeImage(reference);
    mark = proxy.bytesSent();
    const dockerRun = await timed(async () => {
      await docker(['pull', '--quiet', source]);
      await docker(['tag', source, baseline]);
      await docker(['push', '--quiet', baseline]);
    });
    const dockerBytes = proxy.bytesSent() - mark;

    const row = (name: string, ms: number, bytes: number) => console.log(`${name.padEnd(48)} ${(ms / 1000).toFixed(2).padStart(8)} s ${(bytes / MiB).toFixed(1).padStart(9)} MiB sent`);
    console.log('');
    row(`copy, registry to registry (${first.value.blobs.sent} blobs)`, first.ms, firstBytes);
    row('copy again, nothing changed', again.ms, againBytes);
    row('docker pull + tag + push', dockerRun.ms, dockerBytes);
    row(`an image built on it, base layers mounted (${mounted.value.blobs.mounted})`, mounted.ms, mountedBytes);
    row('the same image, nothing to mount from', unmounted.ms, unmountedBytes);
    console.log('');
    console.log(`pull+tag+push / copy:            ${(dockerRun.ms / first.ms).toFixed(2)}x`);
    console.log(`copy again / copy:               ${(again.ms / first.ms).toFixed(4)}x (${againBytes} bytes sent; blobs sent ${again.value.blobs.sent})`);
    console.log(`built on a base: not mounted / mounted: ${(unmounted.ms / mounted.ms).toFixed(2)}x the time, ${(unmountedBytes / Math.max(mountedBytes, 1)).toFixed(1)}x the bytes`);
    console.log(`same digest on the mirror:       ${first.value.digest === (await to.resolve('mirror/ours/big', 'main'))?.digest ? 'yes' : 'NO'} (${first.value.digest})`);
    console.log(`bytes sent by the copy / layers: ${(firstBytes / (LAYERS * LAYER_BYTES)).toFixed(3)}x (each layer once, plus config and manifest)`);
    const mib = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`;
    console.log(
      `memory (peak RSS of the copying process): ${mib(idle.peakRssBytes)} copying nothing, ${mib(child.peakRssBytes)} copying ${(LAYERS * LAYER_BYTES) / MiB} MiB, ${mib(bigger.peakRssBytes)} copying ${(3 * LAYERS * LAYER_BYTES) / MiB} MiB`,
    );
    console.log(
      `  above idle: +${mib(child.peakRssBytes - idle.peakRssBytes)} and +${mib(bigger.peakRssBytes - idle.peakRssBytes)}: ${((bigger.peakRssBytes - idle.peakRssBytes) / Math.max(child.peakRssBytes - idle.peakRssBytes, 1)).toFixed(2)}x for 3x the bytes (streamed: it does not grow with the image)`,
    );
  } finally {
    for (const reference of [source, baseline]) await removeImage(reference).catch(() => undefined);
    await proxy.stop();
    await mirror.stop();
    await primary.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
