import { setTimeout as sleep } from 'node:timers/promises';
/**
 * One registry-to-registry copy in a process of its own, for bench:mirror:
 * prints `{"ms":..,"peakRssBytes":..,"blobs":..}` on its last line, the peak
 * being this process's resident memory sampled every 5 ms (getrusage's
 * maxrss would carry the parent's, as the child is forked from it). With
 * `--idle` it loads the same modules and copies nothing: the baseline.
 * Usage: copy-once.ts <from registry> <from repo> <reference> <to registry> <to repo> <tag> [--idle]
 */
import { performance } from 'node:perf_hooks';
import { copyImage } from '../../src/lib/io/registry/copy';
import { createRegistryClient } from '../../src/lib/io/registry/oci-client';

async function main(argv: string[]): Promise<void> {
  const [fromRegistry = '', fromRepo = '', reference = '', toRegistry = '', toRepo = '', tag = ''] = argv;
  let peak = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 5);
  const start = performance.now();
  let blobs = 0;
  try {
    if (argv.includes('--idle')) {
      await sleep(500);
    } else {
      const from = createRegistryClient({ registry: fromRegistry, env: {} });
      const to = createRegistryClient({ registry: toRegistry, env: {} });
      blobs = (await copyImage({ from, fromRepo, reference, to, toRepo, tags: [tag] })).blobs.sent;
    }
  } finally {
    clearInterval(sampler);
  }
  peak = Math.max(peak, process.memoryUsage.rss());
  console.log(JSON.stringify({ ms: performance.now() - start, peakRssBytes: peak, blobs }));
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
