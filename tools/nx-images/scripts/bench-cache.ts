/**
 * `npm run bench:cache`: what the registry layer cache (docker-build's
 * `registryCache`) saves when a CI runner starts with an empty engine.
 *
 * A fixture image with a slow, deterministic layer and a last layer that
 * changes is built and pushed once with the cache on, to a loopback
 * registry. Then only the last layer changes, and it is rebuilt on an
 * emptied engine (its images removed, the build cache pruned) twice:
 * without the registry cache and with it. Each build is the real executor
 * through `nx run`, as CI runs it. Prints the times, the ratio and which
 * steps were CACHED; asserts nothing. Removes everything it made.
 *
 * Note: emptying the engine prunes the engine's whole build cache
 * (`docker builder prune --all`), as a fresh CI runner has none.
 */
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { cacheTag } from '../src/lib/core/build/build-plan';
import type { DockerCli } from '../src/lib/io/docker';
import { errorMessage, UserError } from '../src/lib/core/errors';
import { CommandError, run } from '../src/lib/io/exec';
import { buildSteps, type BuildStep } from './lib/buildkit-progress';
import { cleanupOnExit } from './lib/cleanup';
import { removeLocalImages } from './lib/local-images';
import { startRegistry } from './lib/local-registry';
import { preflight } from './lib/preflight';
import { createWorkspaceCopy, forgetCiVariables, type WorkspaceCopy } from './lib/workspace-copy';

const PROJECT = 'bench_cache';
const REPOSITORY = 'bench/cache';
const fixtures = resolve(__dirname, '../test/fixtures/bench');

interface Measured {
  label: string;
  seconds: number;
  steps: BuildStep[];
}

async function main(): Promise<void> {
  forgetCiVariables(process.env);
  const cleanup = cleanupOnExit();
  try {
    const { cli, busybox } = await preflight(process.env, { registry: true });
    const registry = await startRegistry({ docker: cli.docker });
    cleanup.add(`stop the registry on ${registry.host}`, () => registry.stop());
    const workspace = await createWorkspaceCopy({
      branch: 'main',
      prefix: 'fornax-bench-',
      busybox,
      images: [{ name: PROJECT, files: join(fixtures, PROJECT) }],
    });
    cleanup.add(`remove ${workspace.dir}`, () => workspace.remove());
    const prefix = `${registry.host}/${REPOSITORY}/`;
    cleanup.add('prune the build cache', () => pruneBuildCache(cli));
    cleanup.add(`remove the local images ${prefix}*`, () => removeLocalImages(cli.docker, prefix));

    const name = `${prefix}${PROJECT}`;
    console.log(`bench:cache: registry ${registry.url} (${registry.via}), workspace ${workspace.dir}`);
    console.log(
      !cli.usesEngineStore
        ? `bench:cache: ${cli.docker} builds in a buildx container: the cache is a registry cache image, ${name}:${cacheTag('main')} (mode=max)`
        : `bench:cache: ${cli.docker} builds on the engine's own image store: the cache is inline, in the pushed image ${name}:main itself`,
    );

    const seed = await build(workspace, registry.host, 'first build and push, cache on (tag main)', ['--registryCache']);
    report(seed);

    await writeFile(join(workspace.dir, 'images', PROJECT, 'stamp.txt'), `changed ${new Date().toISOString()}\n`);
    await workspace.commit('bench: change the last layer only');

    await emptyEngine(cli, prefix);
    // Its own tag, so this push does not replace main, the cache the next build reads.
    const cold = await build(workspace, registry.host, 'rebuild on an empty engine, WITHOUT registry cache', ['--tag=nocache']);
    report(cold);

    await emptyEngine(cli, prefix);
    const warm = await build(workspace, registry.host, 'rebuild on an empty engine, WITH registry cache (tag main)', ['--registryCache']);
    report(warm);

    // The same run with --dryRun builds nothing: what Nx start-up and planning add to every figure.
    const overhead = await build(workspace, registry.host, 'Nx start-up and plan only (--dryRun)', ['--dryRun']);

    const row = (m: Measured) => console.log(`  ${m.label.padEnd(58)} ${m.seconds.toFixed(1).padStart(7)} s   cached: ${cachedNames(m)}`);
    console.log('');
    console.log('bench:cache results (wall time of `nx run bench_cache:docker-build --push`, Nx start-up included)');
    row(seed);
    row(cold);
    row(warm);
    row(overhead);
    console.log(`  without cache / with cache: ${(cold.seconds / warm.seconds).toFixed(1)}x faster with the registry cache`);
    console.log(`  saved per build: ${(cold.seconds - warm.seconds).toFixed(1)} s`);
    console.log(
      `  builds alone (minus the dry run): ${(cold.seconds - overhead.seconds).toFixed(1)} s vs ${(warm.seconds - overhead.seconds).toFixed(1)} s, ${((cold.seconds - overhead.seconds) / Math.max(warm.seconds - overhead.seconds, 0.1)).toFixed(1)}x`,
    );
  } finally {
    const failed = await cleanup.run();
    cleanup.release();
    if (failed.length === 0) console.log('bench:cache: cleaned up (registry stopped, images and build cache removed, workspace copy deleted).');
    else process.exitCode = 1;
  }
}

async function build(workspace: WorkspaceCopy, registryHost: string, label: string, extra: string[]): Promise<Measured> {
  console.log(`bench:cache: ${label}...`);
  const start = performance.now();
  let output: string;
  try {
    const result = await workspace.nx([
      'run',
      `${PROJECT}:docker-build`,
      '--push',
      `--registry=${registryHost}`,
      `--repository=${REPOSITORY}`,
      '--outputStyle=stream',
      ...extra,
    ]);
    output = `${result.stdout}\n${result.stderr}`;
  } catch (error) {
    if (error instanceof CommandError) {
      console.error(`${error.stdout}\n${error.stderr}`.trim().split('\n').slice(-40).join('\n'));
      throw new UserError({ subject: 'bench:cache', problem: `the build "${label}" failed`, fix: 'see its last output above' });
    }
    throw error;
  }
  return { label, seconds: (performance.now() - start) / 1000, steps: buildSteps(output) };
}

function report(measured: Measured): void {
  console.log(`  ${measured.seconds.toFixed(1)} s`);
  for (const step of measured.steps) {
    const how = step.cached ? 'CACHED' : step.seconds !== undefined ? `${step.seconds.toFixed(1)} s` : '';
    console.log(`    ${how.padEnd(8)} ${step.name.length > 100 ? `${step.name.slice(0, 97)}...` : step.name}`);
  }
}

function cachedNames(measured: Measured): string {
  const cached = measured.steps.filter((step) => step.cached).map((step) => /^\[[^\]]*\]/.exec(step.name)?.[0] ?? step.name);
  return cached.length > 0 ? cached.join(' ') : 'none';
}

/** What a fresh CI runner has: none of the fixture's images and no build cache. */
async function emptyEngine(cli: DockerCli, prefix: string): Promise<void> {
  await removeLocalImages(cli.docker, prefix);
  await pruneBuildCache(cli);
}

async function pruneBuildCache(cli: DockerCli): Promise<void> {
  const args = cli.mode === 'buildx' ? ['buildx', 'prune', '--all', '--force'] : ['builder', 'prune', '--all', '--force'];
  await run({ command: cli.docker, args, env: { DOCKER_BUILDKIT: '1' } }, { timeout: 300_000 });
}

main().catch((error: unknown) => {
  console.error(errorMessage(error));
  process.exitCode = 1;
});
