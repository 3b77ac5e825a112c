/**
 * `npm run bench:suite`: `npm test` at two commits, one after the other on
 * this machine, as issue 25 asks the suite to be measured.
 *
 * BENCH_BASE (default 8decabe: the commit the issue measured, 1,827 tests in
 * 601 s) and BENCH_HEAD (default HEAD) are each checked out into a throwaway
 * worktree, get their own `npm install` (not timed), and run `npm test`;
 * with BENCH_RUNS=n, n times each, alternating, so a drift of the machine
 * falls on both. For each run it prints the wall time, the machine's busy
 * CPU seconds over the run (from /proc/stat: every process, the Docker
 * engine and the registries included, so run it on an otherwise idle
 * machine), vitest's own duration and the tests passed (with PYTHON
 * resolved once by .ci/find-python, as .ci/run does); then the medians
 * and head/base ratios. Asserts nothing on timings. A run whose tests fail
 * still counts (an older commit may have a flaky test) but is marked, its
 * output kept and named, and the bench exits 1 at the end. Removes the
 * images a run left in the engine before the next run, and the worktrees
 * and the logs of runs that passed, also on failure and Ctrl-C.
 *
 * BENCH_COVERAGE=base measures the base's coverage at both commits: the
 * head's worktree loses the test files of the features built after 8decabe
 * (LATER_FEATURES), so the two sides run what 8decabe's suite covered. What
 * is left at the head still holds more tests than the base (the refactor's
 * unit tables, and the later features' checks inside older files), so the
 * ratio errs against the head. The default, BENCH_COVERAGE=all, runs each
 * commit's whole suite.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createWriteStream, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { execa } from 'execa';
import { errorMessage, UserError } from '../src/lib/core/errors';
import { run } from '../src/lib/io/exec';
import { cleanupOnExit } from './lib/cleanup';
import { imageIds, removeImagesOtherThan } from './lib/local-images';
import { median, runsFrom } from './lib/figures';
import { repoRoot } from './lib/workspace-copy';

const BENCH = 'bench:suite';
/** The commit issue 25 measured the suite at. */
const DEFAULT_BASE = '8decabe';
const REPORT = 'tools/nx-images/dist/test-results/vitest.json';
const TESTS = 'tools/nx-images/test';

/** The test files of the features built after DEFAULT_BASE, by issue: the files their commits added, and the later splits of those files. */
const LATER_FEATURES: readonly { issue: number; feature: string; files: readonly string[] }[] = [
  { issue: 22, feature: 'build what the inputs say: reuse by content, refresh, retest', files: ['inputs-plan', 'reuse-merges', 'reuse-history', 'refresh', 'retest'] },
  { issue: 23, feature: 'amd64 and arm64 under one tag', files: ['platforms', 'platforms-release', 'platforms-reuse', 'platforms-fanout', 'platforms-fanout-pr', 'platforms-fanout-race', 'platforms-fanout-failure'] },
  { issue: 24, feature: 'literal self-references, shared tests, the context check, init deciding from the files', files: ['repository-shape-literal', 'repository-shape-literal-pins', 'adopt-detects', 'tests-shared', 'context-sources'] },
];

interface Figures {
  /** Where the run's output is kept when its tests failed. */
  kept?: string;
  wall: number;
  cpu: number;
  vitest: number;
  passed: number;
  failed: number;
}

/** The machine's busy CPU time so far, in seconds: /proc/stat's first line, every field but idle and iowait, in Linux's USER_HZ of 100 a second. */
async function busyCpuSeconds(): Promise<number> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0] ?? '';
  const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
  return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / 100;
}

function coverageFrom(value: string | undefined): 'all' | 'base' {
  if (value === undefined || value === '' || value === 'all') return 'all';
  if (value === 'base') return 'base';
  throw new UserError({ subject: BENCH, problem: `BENCH_COVERAGE=${value} is not a coverage`, fix: "set it to 'all' (each commit's whole suite) or 'base' (the base's coverage at both)" });
}

/** Removes the later features' test files from the head's worktree, so its npm test covers what the base's did; names what it removed. */
async function keepBaseCoverage(dir: string): Promise<string[]> {
  const files = LATER_FEATURES.flatMap((entry) => entry.files.map((name) => `${TESTS}/${name}.int.test.ts`));
  const missing = files.filter((file) => !existsSync(join(dir, file)));
  if (missing.length > 0) {
    throw new UserError({ subject: BENCH, problem: `the head has no ${missing.join(', ')}`, fix: 'update LATER_FEATURES in tools/nx-images/scripts/bench-suite.ts to the files the later features\' tests live in now' });
  }
  await Promise.all(files.map((file) => rm(join(dir, file))));
  return files;
}

/** The Python with pytest the suite's image tests run, resolved once as .ci/run resolves it (npm puts other folders first on PATH). */
async function pythonForTests(): Promise<string> {
  const given = process.env.PYTHON;
  if (given) return given;
  try {
    return (await run({ command: join(repoRoot, '.ci', 'find-python'), args: [] })).stdout.trim();
  } catch {
    throw new UserError({ subject: BENCH, problem: 'no python3 with pytest, which the suite\'s image tests run', fix: 'apt-get install python3-pytest, or set PYTHON to an interpreter that has pytest' });
  }
}

async function commitOf(ref: string): Promise<string> {
  try {
    return (await run({ command: 'git', args: ['rev-parse', '--verify', '--end-of-options', `${ref}^{commit}`], cwd: repoRoot })).stdout.trim();
  } catch {
    throw new UserError({ subject: BENCH, problem: `${ref} is not a commit of this repository`, fix: 'set BENCH_BASE and BENCH_HEAD to commits, branches or tags git knows' });
  }
}

/** `npm test` once in `dir`, its output in `log`: the figures, read back from the machine and from vitest's report. */
async function measure(dir: string, log: string, python: string): Promise<Figures> {
  await rm(join(dir, REPORT), { force: true });
  const out = createWriteStream(log);
  const cpuBefore = await busyCpuSeconds();
  const start = performance.now();
  const child = execa('npm', ['test'], { cwd: dir, env: { PYTHON: python }, reject: false, all: true, stdin: 'ignore', buffer: false });
  child.all?.pipe(out);
  const result = await child;
  const wall = (performance.now() - start) / 1000;
  const cpu = (await busyCpuSeconds()) - cpuBefore;
  await new Promise<void>((resolve) => out.end(resolve));
  const report = JSON.parse(await readFile(join(dir, REPORT), 'utf8').catch(() => '{}')) as { numPassedTests?: number; numFailedTests?: number; startTime?: number; testResults?: { endTime?: number }[] };
  const end = Math.max(0, ...(report.testResults ?? []).map((file) => file.endTime ?? 0));
  const figures: Figures = { wall, cpu, vitest: report.startTime ? (end - report.startTime) / 1000 : Number.NaN, passed: report.numPassedTests ?? 0, failed: report.numFailedTests ?? 0 };
  if (figures.passed === 0) {
    throw new UserError({ subject: BENCH, problem: `npm test ran no test (exit ${result.exitCode})`, fix: `read its output in ${log} (kept), and run the bench where npm test runs` });
  }
  if (result.exitCode !== 0 || figures.failed > 0) figures.kept = log;
  return figures;
}

function row(label: string, figures: Figures): string {
  const failed = figures.kept ? `   ${figures.failed} failed: ${figures.kept}` : '';
  return `${label.padEnd(22)} ${figures.wall.toFixed(0).padStart(6)} s ${figures.cpu.toFixed(0).padStart(7)} s ${figures.vitest.toFixed(0).padStart(7)} s ${String(figures.passed).padStart(7)}${failed}`;
}

async function main(): Promise<void> {
  if (process.platform !== 'linux') throw new UserError({ subject: BENCH, problem: 'it reads the machine\'s CPU time from /proc/stat', fix: 'run it on Linux' });
  const runs = runsFrom(process.env.BENCH_RUNS, BENCH, 1);
  const coverage = coverageFrom(process.env.BENCH_COVERAGE);
  const python = await pythonForTests();
  const commits = { base: await commitOf(process.env.BENCH_BASE ?? DEFAULT_BASE), head: await commitOf(process.env.BENCH_HEAD ?? 'HEAD') };
  if (coverage === 'base' && commits.base !== (await commitOf(DEFAULT_BASE))) {
    throw new UserError({ subject: BENCH, problem: `BENCH_COVERAGE=base knows the features built after ${DEFAULT_BASE} only, not after ${commits.base.slice(0, 12)}`, fix: 'leave BENCH_BASE unset, or set BENCH_COVERAGE=all' });
  }
  const cleanup = cleanupOnExit();
  const scratch = await mkdtemp(join(tmpdir(), 'fornax-bench-suite-'));
  cleanup.add(`remove ${scratch}`, () => rm(scratch, { recursive: true, force: true }));
  // A run that passed removes its log at once, so what is left here is the output of runs that failed: kept.
  const logs = await mkdtemp(join(tmpdir(), 'fornax-bench-suite-logs-'));
  cleanup.add(`remove ${logs}`, async () => ((await readdir(logs)).length === 0 ? rm(logs, { recursive: true, force: true }) : undefined));
  const results: Record<'base' | 'head', Figures[]> = { base: [], head: [] };
  try {
    const dirs = { base: join(scratch, 'base'), head: join(scratch, 'head') };
    for (const side of ['base', 'head'] as const) {
      await run({ command: 'git', args: ['worktree', 'add', '--detach', '--quiet', dirs[side], commits[side]], cwd: repoRoot });
      cleanup.add(`remove the worktree ${dirs[side]}`, () => run({ command: 'git', args: ['worktree', 'remove', '--force', dirs[side]], cwd: repoRoot }));
      console.log(`${BENCH}: ${side} ${commits[side].slice(0, 12)}: npm install`);
      await run({ command: 'npm', args: ['install', '--no-audit', '--no-fund', '--prefer-offline'], cwd: dirs[side] });
    }
    if (coverage === 'base') {
      const removed = await keepBaseCoverage(dirs.head);
      console.log(`${BENCH}: the base's coverage: the head runs without the ${removed.length} test files of the features built after ${DEFAULT_BASE} (issues ${LATER_FEATURES.map((entry) => entry.issue).join(', ')}): ${removed.map((file) => file.slice(TESTS.length + 1)).join(', ')}`);
    }
    console.log(`${BENCH}: ${runs} run(s) of npm test at each commit, alternating; this takes about ${runs * 20} minutes on an idle 2-core machine`);
    console.log(`${'run'.padEnd(22)} ${'wall'.padStart(8)} ${'busy CPU'.padStart(9)} ${'vitest'.padStart(9)} ${'passed'.padStart(7)}`);
    for (let index = 1; index <= runs; index++) {
      for (const side of ['base', 'head'] as const) {
        const log = join(logs, `${side}-${index}.log`);
        const engine = new Set(await imageIds('docker').catch((): string[] => []));
        const figures = await measure(dirs[side], log, python);
        if (!figures.kept) await rm(log, { force: true });
        results[side].push(figures);
        console.log(row(`${side} ${commits[side].slice(0, 7)} #${index}`, figures));
        // An older commit's tests leave images behind: the next run starts from the engine this one found.
        const left = await removeImagesOtherThan('docker', engine).catch(() => 0);
        if (left > 0) console.log(`${BENCH}: removed ${left} image(s) the run left in the engine`);
      }
    }
    const of = (side: 'base' | 'head', key: 'wall' | 'cpu' | 'vitest') => median(results[side].map((figures) => figures[key]));
    console.log('');
    for (const key of ['wall', 'cpu', 'vitest'] as const) {
      console.log(`${BENCH}: ${key.padEnd(6)} base ${of('base', key).toFixed(0)} s, head ${of('head', key).toFixed(0)} s: head/base ${(of('head', key) / of('base', key)).toFixed(2)}x (goal: at most 0.50x)`);
    }
    console.log(`${BENCH}: tests passed: base ${results.base[0]?.passed}, head ${results.head[0]?.passed}`);
    const failedRuns = [...results.base, ...results.head].filter((figures) => figures.kept).length;
    if (failedRuns > 0) {
      console.error(`${BENCH}: ${failedRuns} run(s) had failing tests (their output is kept, named above); their figures count all the same`);
      process.exitCode = 1;
    }
  } finally {
    const left = await cleanup.run();
    cleanup.release();
    if (left.length > 0) process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof UserError ? errorMessage(error) : `${BENCH}: ${errorMessage(error)}`);
  process.exitCode = 1;
});
