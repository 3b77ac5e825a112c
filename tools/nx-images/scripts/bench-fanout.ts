/**
 * `npm run bench:fanout`: one runner against one runner per image.
 *
 * The twelve-image tree of test/fixtures/tree (five levels), each image with
 * a slow step (`RUN sleep`, BENCH_SLEEP seconds, default 20), built twice
 * against a throwaway loopback registry, every image changed both times so
 * no layer cache helps either:
 *   - single runner: `npm run ci:images`, every image one after another;
 *   - fan-out: `ci:images --plan`, then each level's jobs at the same time,
 *     each a separate process in a clone of its own (`ci:images --image`),
 *     then the level's merge job when its images build for several platforms
 *     (`ci:images --merge`), then `ci:images --summary`, as image-build.yml runs them.
 * Prints both wall times, the critical path (the sum of each level's slowest
 * build), the per-job set-up, the goal and the serial / fan-out ratio; it
 * asserts no timing. Removes what it made, also on failure and Ctrl-C.
 *
 * BENCH_PLATFORMS=linux/amd64,linux/arm64 builds every image for those
 * platforms (the plugin option `platforms`; arm64 under QEMU on an amd64
 * machine, its busybox from FORNAX_ARM64_BUSYBOX as .ci/run fetches it), so
 * the figures compare with the one-platform run's.
 */
import { copyFileSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { errorMessage, UserError } from '../src/lib/core/errors';
import { platformSlug } from '../src/lib/core/naming/platforms';
import { FanoutRun, type MatrixEntry } from '../test/harness/fanout-run';
import { runCiImages } from '../test/harness/github-run';
import { startRegistry } from '../test/harness/registry';
import { createWorkspace, type Workspace } from '../test/harness/workspace';
import { cleanupOnExit } from './lib/cleanup';
import { forgetCiVariables } from './lib/workspace-copy';
import { REAL_CONVENTION } from '../test/fixtures/fornax-tree';
import { arm64Busybox } from '../test/harness/arm64';

const REPO = 'fornax/bench-fanout';
/** This bench run's own: a stamp an earlier run wrote would find its layers in the engine's cache. */
const RUN_ID = `${process.pid}-${Date.now()}`;
const GOAL = 1.15;

interface Job {
  image: string;
  level: number;
  /** The job's whole wall time: clone, Node, Nx, the build. */
  wallMs: number;
  /** The build's own time, from its record (startedAt to finishedAt). */
  buildMs: number;
}

async function main(): Promise<void> {
  forgetCiVariables(process.env);
  const sleep = secondsFrom(process.env.BENCH_SLEEP);
  const cleanup = cleanupOnExit((line) => console.error(`bench:fanout: ${line}`));
  try {
    const registry = await startRegistry();
    cleanup.add(`stop the registry on ${registry.host}`, () => registry.stop());
    const platforms = platformsFrom(process.env.BENCH_PLATFORMS);
    const ws = await createWorkspace({ tree: 'tree', pluginOptions: { ...REAL_CONVENTION, ...(platforms.length > 0 ? { platforms } : {}) } });
    cleanup.add(`remove ${ws.dir}`, () => ws.remove());
    if (platforms.length > 0) await ws.commit(`bench: every image for ${platforms.join(', ')}`, multiPlatformRoot(ws, platforms));
    const env = { IMAGE_REPOSITORY: REPO };
    const images = readdirSync(join(ws.dir, 'images')).sort();
    await ws.commit(`bench: every image sleeps ${sleep} s`, slowImages(ws, images, sleep, 'serial'));
    console.log(`bench:fanout: ${images.length} images, RUN sleep ${sleep} in each, ${platforms.length > 0 ? platforms.join(' + ') : 'the machine\'s platform'}, registry ${registry.url}`);

    console.log('bench:fanout: one runner (npm run ci:images), every image one after another...');
    const serialStart = performance.now();
    const serial = await runCiImages(ws, { name: 'push', branch: 'main', sha: await ws.git('rev-parse', 'HEAD') }, registry.host, env);
    const serialMs = performance.now() - serialStart;
    if (serial.exitCode !== 0) throw new UserError({ subject: 'bench:fanout', problem: `the single-runner build failed:\n${serial.all.slice(-3000)}`, fix: 'fix what its output shows' });

    console.log('bench:fanout: one job per image, each level\'s jobs at once...');
    await ws.git('checkout', '--quiet', '-b', 'bench/fanout');
    const sha = await ws.commit('bench: change every image again', slowImages(ws, images, sleep, 'fanout'));
    const fanout = new FanoutRun(ws, {}, registry.host, env);
    cleanup.add('remove the job clones', () => Promise.resolve(fanout.cleanup()));
    const start = performance.now();
    const planStart = performance.now();
    const planned = await fanout.plan({ name: 'push', branch: 'bench/fanout', sha });
    const planMs = performance.now() - planStart;
    if (planned.exitCode !== 0) throw new UserError({ subject: 'bench:fanout', problem: `the plan failed:\n${planned.all.slice(-3000)}`, fix: 'fix what its output shows' });
    const jobs: Job[] = [];
    const levels = Number(planned.outputs.levels ?? '0');
    for (let level = 1; level <= levels; level++) {
      const entries = fanout.level(planned.outputs, level);
      jobs.push(...(await Promise.all(entries.map((entry) => timedJob(fanout, planned.outputs, entry, level)))));
      // Images of several platforms: the level's merge job writes each index, once every platform job is done.
      if (planned.outputs[`merge${level}`]) {
        const merged = await fanout.merge(planned.outputs, level, 'bench/fanout');
        if (merged.exitCode !== 0) throw new UserError({ subject: 'bench:fanout', problem: `the merge of level ${level} failed:\n${merged.all.slice(-3000)}`, fix: 'fix what its output shows' });
      }
    }
    const summaryStart = performance.now();
    const summary = await fanout.summary(planned.outputs, 'bench/fanout');
    const summaryMs = performance.now() - summaryStart;
    const fanoutMs = performance.now() - start;
    if (summary.exitCode !== 0) throw new UserError({ subject: 'bench:fanout', problem: `the fanned-out build did not build every image:\n${summary.all.slice(-3000)}`, fix: 'fix what its output shows' });
    printFigures({ images: images.length, levels, serialMs, fanoutMs, planMs, summaryMs, jobs });
  } finally {
    const failed = await cleanup.run();
    cleanup.release();
    if (failed.length === 0) console.log('bench:fanout: cleaned up (registry, workspace and job clones removed).');
    else process.exitCode = 1;
  }
}

/** Every image's Dockerfile with a slow last step after its stamp, the stamp new for this build (and this bench run: the engine keeps an earlier run's layers), so no cached layer can skip the sleep. */
function slowImages(ws: Workspace, images: readonly string[], sleep: number, run: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const image of images) {
    const dockerfile = readFileSync(join(ws.dir, 'images', image, 'Dockerfile'), 'utf8').replace(/\nRUN sleep \d+ # bench\n$/, '\n');
    files[`images/${image}/Dockerfile`] = `${dockerfile.trimEnd()}\nRUN sleep ${sleep} # bench\n`;
    files[`images/${image}/stamp.txt`] = `${image} ${run} ${RUN_ID}\n`;
  }
  return files;
}

async function timedJob(fanout: FanoutRun, outputs: Record<string, string>, entry: MatrixEntry, level: number): Promise<Job> {
  const start = performance.now();
  const result = await fanout.job(outputs, entry, 'bench/fanout');
  const wallMs = performance.now() - start;
  if (result.exitCode !== 0) throw new UserError({ subject: 'bench:fanout', problem: `the job for ${entry.image} failed:\n${result.all.slice(-3000)}`, fix: 'fix what its output shows' });
  // A platform job's record is in its platform artifact, for the merge job; any other's in its record artifact.
  const file = entry.platform !== '' && existsSync(join(fanout.store, `platform-${entry.job}`))
    ? join(fanout.store, `platform-${entry.job}`, entry.image, platformSlug(entry.platform), 'dist', 'docker-build', `${entry.image}.json`)
    : join(fanout.store, `record-${entry.job}`, 'docker-build', `${entry.image}.json`);
  const record = JSON.parse(readFileSync(file, 'utf8')) as { startedAt?: string; finishedAt: string };
  const buildMs = record.startedAt ? Date.parse(record.finishedAt) - Date.parse(record.startedAt) : wallMs;
  return { image: entry.platform && entry.job !== entry.image ? `${entry.image} (${entry.platform})` : entry.image, level, wallMs, buildMs };
}

interface Figures {
  images: number;
  levels: number;
  serialMs: number;
  fanoutMs: number;
  planMs: number;
  summaryMs: number;
  jobs: Job[];
}

function printFigures(figures: Figures): void {
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const byLevel = Array.from({ length: figures.levels }, (_, index) => figures.jobs.filter((job) => job.level === index + 1));
  const slowest = byLevel.map((jobs) => Math.max(...jobs.map((job) => job.buildMs)));
  const criticalPath = slowest.reduce((sum, ms) => sum + ms, 0);
  const setups = figures.jobs.map((job) => job.wallMs - job.buildMs).sort((a, b) => a - b);
  const setup = setups[Math.floor(setups.length / 2)] ?? 0;
  // Every level waits for one job's set-up, and the plan and summary jobs are set-up only.
  const allowance = setup * figures.levels + figures.planMs + figures.summaryMs;
  const goal = GOAL * criticalPath + allowance;
  console.log('');
  console.log(`Fan-out: ${figures.images} images in ${figures.levels} levels`);
  for (const [index, jobs] of byLevel.entries()) {
    console.log(`  level ${index + 1}: ${jobs.map((job) => `${job.image} ${s(job.buildMs)} (job ${s(job.wallMs)})`).join(', ')}`);
  }
  console.log(`  one runner, every image in turn (npm run ci:images)        ${s(figures.serialMs).padStart(9)}`);
  console.log(`  one job per image, each level's jobs at once               ${s(figures.fanoutMs).padStart(9)}  (plan ${s(figures.planMs)}, summary ${s(figures.summaryMs)})`);
  console.log(`  critical path: each level's slowest build, summed          ${s(criticalPath).padStart(9)}`);
  console.log(`  per-job set-up (clone, Node, Nx; median)                   ${s(setup).padStart(9)}`);
  console.log(
    `  goal: fan-out <= ${GOAL} x critical path + set-up (${figures.levels} levels x set-up + plan + summary) = ${s(goal)}: ${figures.fanoutMs <= goal ? 'met' : 'missed'}`,
  );
  console.log(`  serial / fan-out: ${(figures.serialMs / figures.fanoutMs).toFixed(2)}x`);
}

/** BENCH_PLATFORMS as a list; empty: the machine's own platform, as the plugin's default. */
function platformsFrom(value: string | undefined): string[] {
  const platforms = (value ?? '').split(',').map((platform) => platform.trim()).filter((platform) => platform !== '');
  const wrong = platforms.find((platform) => !/^linux\/(amd64|arm64)$/.test(platform));
  if (wrong) throw new UserError({ subject: 'bench:fanout', problem: `BENCH_PLATFORMS names ${wrong}`, fix: 'use linux/amd64 and linux/arm64, comma-separated' });
  return platforms;
}

/** The tree's root (FROM scratch) with a static busybox of each platform, chosen by BuildKit's TARGETARCH. */
function multiPlatformRoot(ws: Workspace, platforms: readonly string[]): Record<string, string> {
  const root = 'images/jupyter-base';
  copyFileSync('/bin/busybox', join(ws.dir, root, 'busybox-amd64'));
  if (platforms.includes('linux/arm64')) copyFileSync(arm64Busybox(), join(ws.dir, root, 'busybox-arm64'));
  const dockerfile = readFileSync(join(ws.dir, root, 'Dockerfile'), 'utf8').replace('COPY busybox /bin/busybox', 'ARG TARGETARCH\nCOPY busybox-${TARGETARCH} /bin/busybox');
  return { [`${root}/Dockerfile`]: dockerfile };
}

function secondsFrom(value: string | undefined): number {
  const seconds = Number(value ?? 20);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 600) {
    throw new UserError({ subject: 'bench:fanout', problem: `BENCH_SLEEP=${value ?? ''} is not a number of seconds from 1 to 600`, fix: 'set it to e.g. 20' });
  }
  return seconds;
}

main().catch((error: unknown) => {
  console.error(errorMessage(error));
  process.exitCode = 1;
});
