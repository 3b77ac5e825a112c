/**
 * `npm run bench:push`: what a push costs on the twelve-image tree
 * (test/fixtures/tree, its main built and pushed once: test/harness/built-main.ts),
 * side by side in one run, each figure the median of BENCH_RUNS rounds:
 *
 * 1. No-op push: the plan job (`npm run ci:images -- --plan`) after a commit
 *    that changes only README.md, against `nx show projects` in the same
 *    checkout; both cold (.nx removed first), as on a fresh runner. Goal: at
 *    most 1.2x.
 * 2. Merge: a branch changes two top images (fornax-hea, fornax-main); its
 *    push builds, tests and pushes both. Merged into main, main's push reuses
 *    both. Each round on a fresh copy of main.
 * 3. Refresh: `ci:images --refresh` on main when no outside base moved,
 *    against the no-op push of 1 run to its end.
 *
 * Asserts nothing on timings; fails if the no-op push or the refresh would
 * build anything, or if the merge does not reuse both images. Removes every
 * copy and registry it started, also on failure and Ctrl-C.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { errorMessage, UserError } from '../src/lib/core/errors';
import { FORNAX_TREE_MAIN, mainRepository, type MainRepository } from '../test/harness/built-main';
import type { SimulatedRun } from '../test/harness/github-run';
import { cleanupOnExit } from './lib/cleanup';
import { median, runsFrom } from './lib/figures';
import { forgetCiVariables } from './lib/workspace-copy';

const DEFAULT_RUNS = 3;
const GOAL_PLAN_OVER_NX = 1.2;
const CHANGED = ['fornax-hea', 'fornax-main'] as const;

async function main(): Promise<void> {
  const runs = runsFrom(process.env.BENCH_RUNS, 'bench:push', DEFAULT_RUNS);
  forgetCiVariables(process.env);
  const cleanup = cleanupOnExit((line) => console.error(`bench:push: ${line}`));
  const copy = async (): Promise<MainRepository> => {
    const repository = await mainRepository(FORNAX_TREE_MAIN);
    cleanup.add(`remove the copy ${repository.ws.dir}`, () => repository.cleanup());
    return repository;
  };
  try {
    console.log(`bench:push: ${runs} rounds per figure (BENCH_RUNS), on the twelve-image tree's main (built once, then copied)`);
    const figures = { plan: [] as number[], nx: [] as number[], noop: [] as number[], refresh: [] as number[], build: [] as number[], reuse: [] as number[] };

    const quiet = await copy();
    const readme = await quiet.ws.commit('README only', { 'README.md': '# Images\n\nA push that changes no image.\n' });
    const noop = { name: 'push', branch: 'main', sha: readme, before: quiet.c0 } as const;
    // One discarded round first: the files are in the page cache for every measured one.
    for (let round = 0; round <= runs; round++) {
      const keep = round > 0;
      const nx = await timed(async () => {
        await rm(join(quiet.ws.dir, '.nx'), { recursive: true, force: true });
        const listed = await quiet.ws.nx(['show', 'projects']);
        if (listed.exitCode !== 0) throw new Error(`nx show projects failed:\n${listed.all}`);
      });
      const plan = await timed(async () => {
        await rm(join(quiet.ws.dir, '.nx'), { recursive: true, force: true });
        expectNothingBuilt('the no-op plan', await quiet.run(noop, {}, ['--plan']));
      });
      const whole = await timed(async () => expectNothingBuilt('the no-op push', await quiet.run(noop)));
      const refresh = await timed(async () => expectNothingBuilt('the refresh', await quiet.run(noop, {}, ['--refresh'])));
      if (keep) {
        figures.nx.push(nx);
        figures.plan.push(plan);
        figures.noop.push(whole);
        figures.refresh.push(refresh);
      }
    }

    for (let round = 1; round <= runs; round++) {
      const merge = await copy();
      await merge.ws.git('checkout', '--quiet', '-b', 'pr/two');
      const head = await merge.ws.commit('two top images changed', Object.fromEntries(CHANGED.map((image) => [`images/${image}/stamp.txt`, `${image} ${round + 1}\n`])));
      const build = await timed(async () => expectExit('the branch push', await merge.run({ name: 'push', branch: 'pr/two', sha: head })));
      await merge.ws.git('checkout', '--quiet', 'main');
      await merge.ws.git('merge', '--quiet', '--no-ff', '-m', 'Merge pull request #1 from pr/two', 'pr/two');
      const merged = await merge.ws.git('rev-parse', 'HEAD');
      let output = '';
      const reuse = await timed(async () => {
        output = expectExit('the merge push', await merge.run({ name: 'push', branch: 'main', sha: merged, before: merge.c0 }));
      });
      for (const image of CHANGED) {
        if (!new RegExp(`${image}: reused `).test(output)) throw new Error(`bench:push: the merge did not reuse ${image}:\n${output}`);
      }
      figures.build.push(build);
      figures.reuse.push(reuse);
    }
    print(figures, runs);
  } finally {
    const failed = await cleanup.run();
    cleanup.release();
    if (failed.length === 0) console.log('bench:push: cleaned up (every copy and registry removed).');
    else process.exitCode = 1;
  }
}

function print(figures: Record<'plan' | 'nx' | 'noop' | 'refresh' | 'build' | 'reuse', number[]>, runs: number): void {
  const row = (label: string, values: number[], note = '') => console.log(`  ${label.padEnd(72)} ${median(values).toFixed(0).padStart(8)} ms${note}`);
  const ratio = (a: number[], b: number[]) => median(a) / median(b);
  console.log('');
  console.log(`No-op push (a commit changing only README.md), twelve images, cold, median of ${runs} rounds`);
  row('nx show projects', figures.nx);
  const plan = ratio(figures.plan, figures.nx);
  row('npm run ci:images -- --plan', figures.plan, `  (${plan.toFixed(2)}x nx show projects; goal <= ${GOAL_PLAN_OVER_NX}x: ${plan <= GOAL_PLAN_OVER_NX ? 'met' : 'NOT met'})`);
  console.log('');
  console.log(`Merge of a pull request that changed two top images, median of ${runs} rounds`);
  row('the branch push: build, test and push both', figures.build);
  row('the push to main after the merge: both reused', figures.reuse, `  (${ratio(figures.reuse, figures.build).toFixed(2)}x building them)`);
  console.log('');
  console.log(`Refresh with no outside base moved, median of ${runs} rounds`);
  row('the no-op push, run to its end', figures.noop);
  row('ci:images --refresh', figures.refresh, `  (${ratio(figures.refresh, figures.noop).toFixed(2)}x the no-op push)`);
  console.log('');
  console.log(`  runs (ms): ${Object.entries(figures).map(([name, values]) => `${name} ${values.map((ms) => ms.toFixed(0)).join(', ')}`).join('; ')}`);
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await work();
  return performance.now() - start;
}

function expectExit(what: string, run: SimulatedRun): string {
  if (run.exitCode !== 0) throw new Error(`bench:push: ${what} failed (exit ${run.exitCode}):\n${run.all}`);
  return run.all;
}

function expectNothingBuilt(what: string, run: SimulatedRun): void {
  const output = expectExit(what, run);
  if (!output.includes('no image is affected; nothing to build.') && !output.includes('ci:images: levels = 0')) {
    throw new Error(`bench:push: ${what} would build something:\n${output}`);
  }
}



main().catch((error: unknown) => {
  console.error(error instanceof UserError ? error.message : errorMessage(error));
  process.exitCode = 1;
});
