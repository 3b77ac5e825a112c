/**
 * `npm run bench:graph`: what the image plugin costs Nx.
 *
 * 1. Project graph: `nx show projects --json` in throwaway copies of this
 *    workspace with 0 (the floor: the tooling project alone), 12, 100 and
 *    500 generated images, cold (.nx deleted before each run) and warm.
 * 2. Executor task: in the 12-image copy, a dry-run docker-build of one
 *    image and of five, against `nx show projects` in the same copy: what a
 *    task adds beyond Nx's start-up.
 * 3. The package: in the 12-image tree, `nx show projects` (cold and warm)
 *    and one docker-build --dry-run with the packed plugin (the .tgz of
 *    `npm run plugin:pack` and nx alone in a scratch repository) next to
 *    the plugin from source (this workspace's copy), with the ratios.
 *    BENCH_ONLY=package measures this alone.
 * 4. Release tasks: release-check of all 12 images against a throwaway
 *    loopback registry seeded with their main tags, in one batch process
 *    (as executors.json prefers) and with --batch=false (a process each).
 * 5. No-op push: the plan job (`npm run ci:images -- --plan`) after a commit
 *    that changes only a root README, on the twelve-image fixture tree whose
 *    main tags record the commit before it: with the tree's plain options,
 *    with every new plugin option of this release set, and, when
 *    BENCH_BASELINE_REF names a commit, with the plugin of that commit.
 *
 * Prints medians in milliseconds and ratios next to the goals; asserts
 * nothing on timings, but fails if Nx lists the wrong projects or the no-op
 * plan would build anything. Removes every copy it made, also on failure
 * and Ctrl-C.
 */
import { cp, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { errorMessage, UserError } from '../src/lib/core/errors';
import { CommandError, run } from '../src/lib/io/exec';
import { REAL_CONVENTION } from '../test/fixtures/fornax-tree';
import { installPacked, type InstalledPlugin } from '../test/harness/packed-plugin';
import { startRegistry, type StartedRegistry } from '../test/harness/registry';
import { pushImage } from '../test/harness/seed';
import { cleanupOnExit } from './lib/cleanup';
import { median, runsFrom } from './lib/figures';
import { createWorkspaceCopy, folders, forgetCiVariables, repoRoot, type WorkspaceCopy } from './lib/workspace-copy';

const DEFAULT_RUNS = 5;
const SIZES = [12, 100, 500];
const ROOTS = 3;
const TOOLING_PROJECT = 'nx-images';
const GOAL = { warmOverFloor: 1.5, growth: 3, taskMs: 300 };
// Unreachable on purpose: the dry run resolves bases, fails to, and still prints its plan.
const EXECUTOR_FLAGS = ['--dry-run', '--exclude-task-dependencies', '--registry=127.0.0.1:9', '--repository=fornax/bench'];
// Every task's output, so each dry run can be checked (run-many hides the output of tasks that succeed).
const OUTPUT_FLAGS = ['--outputStyle=stream'];
const MANY = 5;
const FIXTURE_TREE = resolve(__dirname, '../test/fixtures/tree');
// Every plugin option this release set adds, on top of the tree's own.
const NEW_OPTIONS = {
  variants: 'images/*/*/Dockerfile',
  tests: { path: 'tests/test_{name_}.py', mount: 'tests' },
  tags: ['{branch}', 'sha-{sha:12}', '{time:%Y%m%d_%H%M}'],
  buildArgTemplates: { BUILD_VERSION: '{image}:{time:%Y%m%d_%H%M}' },
  versionScheme: 'calver',
};
// As image-build.yml's plan job runs; set because a plugin before 2c961fe, without it, looped over MAX_SAFE_INTEGER levels.
const LEVEL_JOBS = '6';

interface Image {
  name: string;
  dockerfile: string;
}

interface Workspace {
  copy: WorkspaceCopy;
  images: string[];
}

interface GraphFigures {
  size: number;
  cold: number[];
  warm: number[];
}

async function main(): Promise<void> {
  const runs = runsFrom(process.env.BENCH_RUNS, 'bench:graph', DEFAULT_RUNS);
  const packageOnly = onlyFrom(process.env.BENCH_ONLY) === 'package';
  // Checked first, so a mistyped commit fails before minutes of measuring.
  const baseline = await baselineFrom(process.env.BENCH_BASELINE_REF);
  forgetCiVariables(process.env);
  const cleanup = cleanupOnExit((line) => console.error(`bench:graph: ${line}`));
  try {
    // One parent folder, registered before any copy is made, so a Ctrl-C in the middle of a copy leaves nothing behind.
    const parent = await mkdtemp(join(tmpdir(), 'fornax-bench-graph-'));
    cleanup.add(`remove ${parent}`, () => rm(parent, { recursive: true, force: true, maxRetries: 3 }));
    console.log(`bench:graph: ${runs} runs per figure (BENCH_RUNS), workspaces under ${parent}`);

    if (packageOnly) {
      printPackageFigures(await measurePackage(parent, await createWorkspace(parent, SIZES[0] ?? 12), runs));
      return;
    }
    const workspaces: Workspace[] = [];
    for (const size of [0, ...SIZES]) workspaces.push(await createWorkspace(parent, size));
    const [floor, ...sized] = await measureGraphs(workspaces, runs);
    if (!floor) throw new Error('bench:graph: no figures for the workspace without images.');
    printGraphTable(floor, sized);

    const small = workspaces.find((workspace) => workspace.images.length === SIZES[0]);
    if (!small) throw new Error('bench:graph: no workspace for the executor figures.');
    printTaskFigures(await measureTasks(small, runs));
    printPackageFigures(await measurePackage(parent, small, runs));

    const registry = await startRegistry();
    cleanup.add(`stop the registry on ${registry.host}`, () => registry.stop());
    printReleaseFigures(await measureReleaseChecks(small, registry, runs));

    const noops = [
      await createNoopWorkspace(parent, registry, { label: 'plain options', pluginOptions: REAL_CONVENTION }),
      await createNoopWorkspace(parent, registry, { label: 'every new option', pluginOptions: { ...REAL_CONVENTION, ...NEW_OPTIONS } }),
      ...(baseline ? [await createNoopWorkspace(parent, registry, { label: `plugin of ${baseline.ref}`, pluginOptions: REAL_CONVENTION, baseline })] : []),
    ];
    printNoopFigures(await measureNoopPlans(noops, runs), baseline?.ref);
  } finally {
    const failed = await cleanup.run();
    cleanup.release();
    if (failed.length === 0) console.log('bench:graph: cleaned up (every workspace copy deleted).');
    else process.exitCode = 1;
  }
}

/** A copy of this workspace with `size` generated images, committed. */
async function createWorkspace(parent: string, size: number): Promise<Workspace> {
  const images = imageTree(size);
  const copy = await createWorkspaceCopy({
    branch: 'main',
    prefix: join(basename(parent), `images-${size}-`),
    images: [],
    // The images are written below, not copied from fixtures, so no busybox goes with them.
    busybox: '',
  });
  for (const image of images) {
    const dir = join(copy.dir, 'images', image.name);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'Dockerfile'), image.dockerfile);
  }
  await copy.commit(`bench: ${size} generated images`);
  console.log(`bench:graph: workspace with ${size} images ready`);
  return { copy, images: images.map((image) => image.name) };
}

/**
 * `count` images forming a tree, always the same for a count: ROOTS images
 * from scratch, every other image built from an earlier one (three children
 * each), and every fifth also reading one or two more earlier images in
 * named stages. The last image is a leaf: no image reads it.
 */
function imageTree(count: number): Image[] {
  const name = (index: number) => `img-${String(index + 1).padStart(3, '0')}`;
  return Array.from({ length: count }, (_, index) => {
    if (index < ROOTS) return { name: name(index), dockerfile: rootDockerfile(name(index)) };
    const base = Math.floor((index - ROOTS) / 3);
    const stages = index % 10 === 0 ? [index - 1, Math.floor(index / 2)] : index % 5 === 0 ? [index - 1] : [];
    return { name: name(index), dockerfile: childDockerfile(name(index), name(base), stages.map(name)) };
  });
}

function rootDockerfile(name: string): string {
  return ['FROM scratch', `LABEL org.opencontainers.image.title="${name}"`, ''].join('\n');
}

/** Our convention: every image of this repository read through the REGISTRY, REPOSITORY and BASE_IMAGE_TAG args. */
function childDockerfile(name: string, base: string, stageImages: string[]): string {
  const from = (image: string) => `FROM \${REGISTRY}/\${REPOSITORY}/${image}:\${BASE_IMAGE_TAG}`;
  const stages = stageImages.map((image, i) => `${from(image)} AS s${i + 1}`);
  const copies = stageImages.map((_, i) => `COPY --from=s${i + 1} /x${i + 1} /x${i + 1}`);
  return [
    'ARG REGISTRY=ghcr.io',
    'ARG REPOSITORY=nasa-fornax/fornax-images',
    'ARG BASE_IMAGE_TAG=main',
    ...stages,
    from(base),
    ...copies,
    `LABEL org.opencontainers.image.title="${name}"`,
    `RUN echo ${name} > /etc/${name}`,
    '',
  ].join('\n');
}

/**
 * Cold: Nx's caches and the plugin's parse cache (all under .nx) deleted
 * before each run. Warm: .nx kept, each workspace's first run discarded.
 * Each round visits every workspace in turn, so a slow moment of the
 * machine weighs on every size alike.
 */
async function measureGraphs(workspaces: Workspace[], runs: number): Promise<GraphFigures[]> {
  const measured = workspaces.map((workspace) => ({ workspace, figures: { size: workspace.images.length, cold: [] as number[], warm: [] as number[] } }));
  const sizes = workspaces.map((workspace) => workspace.images.length).join(', ');
  console.log(`bench:graph: nx show projects, ${runs} cold rounds over ${sizes} images...`);
  for (let round = 0; round < runs; round++) {
    for (const { workspace, figures } of measured) {
      await rm(join(workspace.copy.dir, '.nx'), { recursive: true, force: true });
      figures.cold.push(await timeShowProjects(workspace));
    }
  }
  console.log(`bench:graph: nx show projects, ${runs} warm rounds over ${sizes} images...`);
  for (const { workspace } of measured) await timeShowProjects(workspace);
  for (let round = 0; round < runs; round++) {
    for (const { workspace, figures } of measured) figures.warm.push(await timeShowProjects(workspace));
  }
  return measured.map(({ figures }) => figures);
}

/** One `nx show projects --json`, checked to list every image and the tooling project, and nothing else. */
async function timeShowProjects(workspace: Workspace): Promise<number> {
  const start = performance.now();
  const { stdout } = await nx(workspace, ['show', 'projects', '--json']);
  const ms = performance.now() - start;
  assertProjects(workspace.images, stdout);
  return ms;
}

function assertProjects(images: string[], stdout: string, tooling = true): void {
  let listed: unknown;
  try {
    listed = JSON.parse(stdout);
  } catch {
    throw new Error(`bench:graph: nx show projects --json printed no JSON list: ${stdout.slice(0, 300)}`);
  }
  if (!Array.isArray(listed)) throw new Error(`bench:graph: nx show projects --json printed no JSON list: ${stdout.slice(0, 300)}`);
  const expected = new Set(tooling ? [...images, TOOLING_PROJECT] : images);
  const names = new Set(listed.map(String));
  const missing = [...expected].filter((name) => !names.has(name));
  const extra = [...names].filter((name) => !expected.has(name));
  if (missing.length > 0 || extra.length > 0 || listed.length !== expected.size) {
    throw new Error(
      `bench:graph: Nx listed ${listed.length} projects, expected ${images.length} images${tooling ? ` + ${TOOLING_PROJECT}` : ''} = ${expected.size}` +
        ` (missing: ${missing.slice(0, 5).join(', ') || 'none'}; unexpected: ${extra.slice(0, 5).join(', ') || 'none'}): the plugin did not infer one project per Dockerfile.`,
    );
  }
}

interface TaskFigures {
  show: number[];
  one: number[];
  many: number[];
  leaf: string;
  batch: string[];
}

/** The three commands in turn each round, so a slow moment of the machine weighs on all of them alike; one round of warm-up first. */
async function measureTasks(workspace: Workspace, runs: number): Promise<TaskFigures> {
  const leaf = workspace.images.at(-1) ?? '';
  const batch = workspace.images.slice(-MANY);
  console.log(`bench:graph: ${workspace.images.length}-image workspace: show projects vs docker-build --dry-run of ${leaf} and of ${batch.join(', ')}...`);
  const figures: TaskFigures = { show: [], one: [], many: [], leaf, batch };
  for (let round = 0; round <= runs; round++) {
    const show = await timeShowProjects(workspace);
    const one = await timeTask(workspace, ['run', `${leaf}:docker-build`, ...EXECUTOR_FLAGS, ...OUTPUT_FLAGS], [leaf]);
    const many = await timeTask(workspace, ['run-many', '-t', 'docker-build', `--projects=${batch.join(',')}`, ...EXECUTOR_FLAGS, ...OUTPUT_FLAGS], batch);
    if (round === 0) continue;
    figures.show.push(show);
    figures.one.push(one);
    figures.many.push(many);
  }
  return figures;
}

/** One Nx task run, checked to have dry-run exactly `projects` (so a flag Nx did not pass on cannot turn it into a real build or an empty run). */
async function timeTask(workspace: Workspace, args: string[], projects: string[]): Promise<number> {
  return timeDryRun(() => nx(workspace, args), args, projects);
}

async function timeDryRun(runNx: () => Promise<{ stdout: string; stderr: string }>, args: string[], projects: string[]): Promise<number> {
  const start = performance.now();
  const { stdout, stderr } = await runNx();
  const ms = performance.now() - start;
  const output = `${stdout}\n${stderr}`;
  const planned = output.split('\n').filter((line) => line.includes(': dry run, nothing is run'));
  const missing = projects.filter((project) => !planned.some((line) => line.includes(`${project}: dry run`)));
  if (missing.length > 0 || planned.length !== projects.length) {
    console.error(output.trim().split('\n').slice(-30).join('\n'));
    throw new UserError({ subject: 'bench:graph', problem: `nx ${args.join(' ')} dry-ran ${planned.length} task(s), expected ${projects.join(', ')}`, fix: 'see its last output above' });
  }
  return ms;
}

async function nx(workspace: Workspace, args: string[]): Promise<{ stdout: string; stderr: string }> {
  try {
    return await workspace.copy.nx(args);
  } catch (error) {
    if (!(error instanceof CommandError)) throw error;
    console.error(`${error.stdout}\n${error.stderr}`.trim().split('\n').slice(-30).join('\n'));
    throw new UserError({ subject: 'bench:graph', problem: `nx ${args.join(' ')} failed in ${workspace.copy.dir}`, fix: 'see its last output above' });
  }
}

function printGraphTable(floor: GraphFigures, sized: GraphFigures[]): void {
  const floorWarm = median(floor.warm);
  const cell = (ms: number) => `${ms.toFixed(0).padStart(8)} ms`;
  console.log('');
  console.log(`Project graph: nx show projects --json, median of ${floor.warm.length} runs (warm: after one discarded run)`);
  console.log(`  ${'images'.padStart(6)}  ${'cold'.padStart(11)}  ${'warm'.padStart(11)}  warm / floor warm`);
  console.log(`  ${'0'.padStart(6)}  ${cell(median(floor.cold))}  ${cell(floorWarm)}  ${'1.00x'.padStart(8)}  (floor: the tooling project alone)`);
  for (const figures of sized) {
    const ratio = median(figures.warm) / floorWarm;
    console.log(
      `  ${String(figures.size).padStart(6)}  ${cell(median(figures.cold))}  ${cell(median(figures.warm))}  ${`${ratio.toFixed(2)}x`.padStart(8)}  (goal <= ${GOAL.warmOverFloor}x: ${ratio <= GOAL.warmOverFloor ? 'met' : 'missed'})`,
    );
  }
  const first = sized[0];
  const last = sized.at(-1);
  if (first && last) {
    const growth = median(last.warm) / median(first.warm);
    console.log(
      `  growth warm(${last.size}) / warm(${first.size}): ${growth.toFixed(2)}x  (goal <= ${GOAL.growth}x: ${growth <= GOAL.growth ? 'met' : 'missed'})`,
    );
    const coldGrowth = median(last.cold) / median(first.cold);
    console.log(`  growth cold(${last.size}) / cold(${first.size}): ${coldGrowth.toFixed(2)}x`);
  }
  for (const figures of [floor, ...sized]) {
    console.log(`  runs (ms), ${figures.size} images: cold ${list(figures.cold)}; warm ${list(figures.warm)}`);
  }
}

function printTaskFigures(figures: TaskFigures): void {
  const show = median(figures.show);
  const one = median(figures.one);
  const many = median(figures.many);
  const perTask = (many - show) / figures.batch.length;
  const row = (label: string, ms: number, note = '') => console.log(`  ${label.padEnd(80)} ${ms.toFixed(0).padStart(8)} ms${note}`);
  console.log('');
  console.log(`Executor task cost, ${SIZES[0]}-image workspace, median of ${figures.show.length} runs (after one discarded round)`);
  row('nx show projects', show);
  row(`nx run ${figures.leaf}:docker-build --dry-run`, one);
  row(`nx run-many -t docker-build --dry-run, ${figures.batch.length} images`, many);
  row('one task beyond start-up (run - show projects)', one - show, `  (goal <= ${GOAL.taskMs} ms: ${one - show <= GOAL.taskMs ? 'met' : 'missed'})`);
  row(`per task in run-many ((run-many - show projects) / ${figures.batch.length}, Nx's default --parallel)`, perTask, `  (goal <= ${GOAL.taskMs} ms: ${perTask <= GOAL.taskMs ? 'met' : 'missed'})`);
  console.log(`  runs (ms): show ${list(figures.show)}; run ${list(figures.one)}; run-many ${list(figures.many)}`);
}

interface PackageFigures {
  leaf: string;
  installMs: number;
  source: { cold: number[]; warm: number[]; task: number[] };
  packed: { cold: number[]; warm: number[]; task: number[] };
}

/**
 * The 12-image tree with the packed plugin: the .tgz and nx installed into a
 * scratch repository holding the same Dockerfiles and plugin options, and
 * nothing else. Each round times, for the source copy then the packed one:
 * show projects cold (.nx deleted), warm, and a docker-build dry run.
 */
async function measurePackage(parent: string, source: Workspace, runs: number): Promise<PackageFigures> {
  console.log('bench:graph: the packed plugin (npm run plugin:pack, once per state of the sources) installed with nx into a scratch repository...');
  const dir = await mkdtemp(join(parent, 'packed-'));
  for (const image of source.images) {
    await mkdir(join(dir, 'images', image), { recursive: true });
    await cp(join(source.copy.dir, 'images', image, 'Dockerfile'), join(dir, 'images', image, 'Dockerfile'));
  }
  const sourceNxJson = JSON.parse(await readFile(join(source.copy.dir, 'nx.json'), 'utf8')) as { plugins?: unknown[] };
  await writeFile(join(dir, 'nx.json'), `${JSON.stringify({ plugins: sourceNxJson.plugins }, null, 2)}\n`);
  await writeFile(join(dir, '.gitignore'), 'dist\n.nx\n');
  const installed = await installPacked(dir);
  for (const args of [['init', '--quiet', '--initial-branch=main'], ['add', '--all'], ['-c', 'user.name=bench', '-c', 'user.email=bench@example.invalid', '-c', 'commit.gpgsign=false', 'commit', '--quiet', '-m', 'bench: the packed plugin']]) {
    await run({ command: 'git', args, cwd: dir });
  }
  const leaf = source.images.at(-1) ?? '';
  const taskArgs = ['run', `${leaf}:docker-build`, ...EXECUTOR_FLAGS, ...OUTPUT_FLAGS];
  const packedNx = (args: string[]) => packedRun(installed, args);
  const figures: PackageFigures = { leaf, installMs: installed.installMs, source: { cold: [], warm: [], task: [] }, packed: { cold: [], warm: [], task: [] } };
  console.log(`bench:graph: nx show projects (cold, warm) and docker-build --dry-run of ${leaf}, plugin from source vs packed...`);
  for (let round = 0; round <= runs; round++) {
    const sides = [
      { figures: figures.source, dir: source.copy.dir, show: () => timeShowProjects(source), task: () => timeTask(source, taskArgs, [leaf]) },
      { figures: figures.packed, dir, show: () => timePackedShow(installed, source.images), task: () => timeDryRun(() => packedNx(taskArgs), taskArgs, [leaf]) },
    ];
    for (const side of sides) {
      await rm(join(side.dir, '.nx'), { recursive: true, force: true });
      const cold = await side.show();
      const warm = await side.show();
      const task = await side.task();
      if (round === 0) continue;
      side.figures.cold.push(cold);
      side.figures.warm.push(warm);
      side.figures.task.push(task);
    }
  }
  return figures;
}

async function timePackedShow(installed: InstalledPlugin, images: string[]): Promise<number> {
  const start = performance.now();
  const { stdout } = await packedRun(installed, ['show', 'projects', '--json']);
  const ms = performance.now() - start;
  assertProjects(images, stdout, false);
  return ms;
}

async function packedRun(installed: InstalledPlugin, args: string[]): Promise<{ stdout: string; stderr: string }> {
  // As the source copy runs Nx (nxCommand): no daemon, no cache, plugins in-process unless this process says otherwise.
  const result = await installed.nx(args, { NX_SKIP_NX_CACHE: 'true', NX_ISOLATE_PLUGINS: process.env.NX_ISOLATE_PLUGINS ?? 'false' });
  if (result.exitCode !== 0) {
    console.error(result.all.trim().split('\n').slice(-30).join('\n'));
    throw new UserError({ subject: 'bench:graph', problem: `nx ${args.join(' ')} failed in ${installed.dir} (the packed plugin)`, fix: 'see its last output above' });
  }
  return result;
}

function printPackageFigures(figures: PackageFigures): void {
  const row = (label: string, source: number, packed: number, note = '') =>
    console.log(`  ${label.padEnd(56)} ${source.toFixed(0).padStart(8)} ms  ${packed.toFixed(0).padStart(8)} ms  ${`${(packed / source).toFixed(2)}x`.padStart(7)}${note}`);
  const [source, packed] = [figures.source, figures.packed].map((side) => ({ cold: median(side.cold), warm: median(side.warm), task: median(side.task) }));
  if (!source || !packed) return;
  const verdict = (ratio: number) => `  (goal: packed not slower: ${ratio <= 1.05 ? 'met' : 'missed'})`;
  console.log('');
  console.log(`The package, ${SIZES[0]}-image tree, median of ${figures.source.warm.length} runs (after one discarded round); npm install of the .tgz and nx took ${(figures.installMs / 1000).toFixed(1)} s`);
  console.log(`  ${''.padEnd(56)} ${'source'.padStart(11)}  ${'packed'.padStart(11)}  packed / source`);
  row('nx show projects, cold', source.cold, packed.cold, verdict(packed.cold / source.cold));
  row('nx show projects, warm', source.warm, packed.warm, verdict(packed.warm / source.warm));
  row(`nx run ${figures.leaf}:docker-build --dry-run`, source.task, packed.task);
  row('one task beyond start-up (dry run - show projects warm)', source.task - source.warm, packed.task - packed.warm);
  for (const [label, side] of [['source', figures.source], ['packed', figures.packed]] as const) {
    console.log(`  runs (ms), ${label}: cold ${list(side.cold)}; warm ${list(side.warm)}; dry run ${list(side.task)}`);
  }
}

interface ReleaseFigures {
  show: number[];
  batched: number[];
  forked: number[];
  images: number;
}

/** release-check of every image, batched and not, against `nx show projects`; each image's main seeded with the copy's HEAD as its revision. */
async function measureReleaseChecks(workspace: Workspace, registry: StartedRegistry, runs: number): Promise<ReleaseFigures> {
  const head = await workspace.copy.git(['rev-parse', 'HEAD']);
  const repository = 'fornax/bench';
  for (const image of workspace.images) {
    await pushImage(registry.url, `${repository}/${image}`, 'main', { labels: { 'org.opencontainers.image.revision': head } });
  }
  console.log(`bench:graph: release-check of ${workspace.images.length} images against ${registry.url}, batched and one process each...`);
  const args = ['run-many', '-t', 'release-check', `--registry=${registry.host}`, `--repository=${repository}`, ...OUTPUT_FLAGS];
  const figures: ReleaseFigures = { show: [], batched: [], forked: [], images: workspace.images.length };
  for (let round = 0; round <= runs; round++) {
    const show = await timeShowProjects(workspace);
    const batched = await timeReleaseCheck(workspace, args);
    const forked = await timeReleaseCheck(workspace, [...args, '--batch=false']);
    if (round === 0) continue;
    figures.show.push(show);
    figures.batched.push(batched);
    figures.forked.push(forked);
  }
  return figures;
}

async function timeReleaseCheck(workspace: Workspace, args: string[]): Promise<number> {
  const start = performance.now();
  const { stdout, stderr } = await nx(workspace, args);
  const ms = performance.now() - start;
  const ready = `${stdout}\n${stderr}`.split('\n').filter((line) => line.includes(': ready to release from '));
  if (ready.length !== workspace.images.length) {
    throw new UserError({ subject: 'bench:graph', problem: `nx ${args.join(' ')} checked ${ready.length} image(s), expected ${workspace.images.length}`, fix: 'see its output above' });
  }
  return ms;
}

function printReleaseFigures(figures: ReleaseFigures): void {
  const show = median(figures.show);
  const perTask = (ms: number) => (ms - show) / figures.images;
  const batched = median(figures.batched);
  const forked = median(figures.forked);
  const row = (label: string, ms: number, note = '') => console.log(`  ${label.padEnd(80)} ${ms.toFixed(0).padStart(8)} ms${note}`);
  console.log('');
  console.log(`Release tasks, ${figures.images} images, median of ${figures.show.length} runs (after one discarded round)`);
  row('nx show projects', show);
  row(`nx run-many -t release-check, batched (one process for ${figures.images} tasks)`, batched);
  row('nx run-many -t release-check --batch=false (one process per task)', forked);
  row('per task, batched', perTask(batched), `  (goal <= ${GOAL.taskMs} ms: ${perTask(batched) <= GOAL.taskMs ? 'met' : 'missed'})`);
  row('per task, one process each', perTask(forked), `  (${(perTask(forked) / perTask(batched)).toFixed(1)}x the batched cost)`);
  console.log(`  runs (ms): show ${list(figures.show)}; batched ${list(figures.batched)}; one process each ${list(figures.forked)}`);
}

interface NoopWorkspace {
  label: string;
  copy: WorkspaceCopy;
  images: string[];
  /** The commit every image's main tag records as its revision: the one before the README commit. */
  revision: string;
  env: Record<string, string>;
}

interface NoopOptions {
  label: string;
  pluginOptions: Record<string, unknown>;
  /** A commit of this repository whose tools/nx-images replaces the working tree's. */
  baseline?: Baseline;
}

/**
 * The twelve-image tree on main, committed with `pluginOptions` in nx.json
 * (a later nx.json change would make every image affected), then a commit
 * changing only README.md; each image's main tag seeded in its own
 * repository with the first commit as its revision.
 */
async function createNoopWorkspace(parent: string, registry: StartedRegistry, options: NoopOptions): Promise<NoopWorkspace> {
  const copy = await createWorkspaceCopy({
    branch: 'main',
    prefix: join(basename(parent), 'noop-'),
    images: [],
    // A plan builds nothing, so the busybox the tree's root images copy is not needed.
    busybox: '',
  });
  if (options.baseline) await usePluginOf(parent, copy, options.baseline.commit);
  const images = await folders(FIXTURE_TREE);
  for (const image of images) {
    const target = join(copy.dir, 'images', image);
    await cp(join(FIXTURE_TREE, image), target, { recursive: true });
    if (existsSync(join(target, 'project.fixture.json'))) await rename(join(target, 'project.fixture.json'), join(target, 'project.json'));
  }
  const nxJsonPath = join(copy.dir, 'nx.json');
  const nxJson = JSON.parse(await readFile(nxJsonPath, 'utf8')) as Record<string, unknown>;
  nxJson.plugins = [{ plugin: '@fornax/nx-images', options: options.pluginOptions }];
  await writeFile(nxJsonPath, `${JSON.stringify(nxJson, null, 2)}\n`);
  const revision = await copy.commit('bench: the twelve-image tree');
  await writeFile(join(copy.dir, 'README.md'), '# Images\n\nA push that changes no image.\n');
  await copy.commit('bench: README only');
  const repository = `fornax/${basename(copy.dir).toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  for (const image of images) {
    await pushImage(registry.url, `${repository}/${image}`, 'main', { labels: { 'org.opencontainers.image.revision': revision } });
  }
  console.log(`bench:graph: no-op push workspace ready (${options.label})`);
  // Variables rather than --registry/--repository, which a plugin before 2c961fe does not take.
  return { label: options.label, copy, images, revision, env: { IMAGE_REGISTRY: registry.host, IMAGE_REPOSITORY: repository, LEVEL_JOBS } };
}

interface Baseline {
  /** As given in BENCH_BASELINE_REF. */
  ref: string;
  commit: string;
}

/** BENCH_BASELINE_REF resolved to a commit of this repository; unset or empty: none. */
async function baselineFrom(value: string | undefined): Promise<Baseline | undefined> {
  const ref = value?.trim();
  if (!ref) return undefined;
  const resolved = await run({ command: 'git', args: ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], cwd: repoRoot }).catch(() => undefined);
  if (!resolved) throw new UserError({ subject: 'bench:graph', problem: `BENCH_BASELINE_REF=${ref} is not a commit of this repository`, fix: 'give one such as eef82b4, or unset it' });
  return { ref, commit: resolved.stdout.trim() };
}

/** Replaces the copy's tools/nx-images with the one committed at `commit` (git archive), its tests left out as the copy leaves them out. */
async function usePluginOf(parent: string, copy: WorkspaceCopy, commit: string): Promise<void> {
  const archive = join(parent, `plugin-${commit}.tar`);
  await run({ command: 'git', args: ['archive', `--output=${archive}`, commit, 'tools/nx-images'], cwd: repoRoot });
  await rm(join(copy.dir, 'tools', 'nx-images'), { recursive: true, force: true });
  await run({ command: 'tar', args: ['-xf', archive, '-C', copy.dir] });
  await rm(join(copy.dir, 'tools', 'nx-images', 'test'), { recursive: true, force: true });
  await rm(archive, { force: true });
}

interface NoopFigures {
  label: string;
  images: number;
  runs: number[];
}

/**
 * Cold each time (.nx deleted), as a plan job on a fresh checkout is; each
 * round visits every workspace in turn, after one discarded round.
 */
async function measureNoopPlans(workspaces: NoopWorkspace[], runs: number): Promise<NoopFigures[]> {
  console.log(`bench:graph: no-op push, npm run ci:images -- --plan in ${workspaces.map((workspace) => workspace.label).join(', ')}...`);
  const figures = workspaces.map((workspace) => ({ label: workspace.label, images: workspace.images.length, runs: [] as number[] }));
  for (let round = 0; round <= runs; round++) {
    for (const [index, workspace] of workspaces.entries()) {
      await rm(join(workspace.copy.dir, '.nx'), { recursive: true, force: true });
      const ms = await timeNoopPlan(workspace);
      if (round > 0) figures[index]?.runs.push(ms);
    }
  }
  return figures;
}

/** One plan, checked to have compared every image with its registry label and found nothing to build. */
async function timeNoopPlan(workspace: NoopWorkspace): Promise<number> {
  const command = { command: 'npm', args: ['run', '--silent', 'ci:images', '--', '--plan'], cwd: workspace.copy.dir, env: workspace.env };
  const start = performance.now();
  let output: string;
  try {
    const { stdout, stderr } = await run(command);
    output = `${stdout}\n${stderr}`;
  } catch (error) {
    if (!(error instanceof CommandError)) throw error;
    console.error(`${error.stdout}\n${error.stderr}`.trim().split('\n').slice(-30).join('\n'));
    throw new UserError({ subject: 'bench:graph', problem: `npm run ci:images -- --plan failed in ${workspace.copy.dir} (${workspace.label})`, fix: 'see its last output above' });
  }
  const ms = performance.now() - start;
  const lines = output.split('\n');
  // The label, not the merge-base (HEAD itself on main), must be what found each image unchanged.
  const fromLabel = workspace.images.filter((image) =>
    lines.some((line) => line.trim().startsWith(`${image}: compared with registry tag built from ${workspace.revision.slice(0, 7)}`) && line.endsWith(': not affected')),
  );
  if (!output.includes('no image is affected; nothing to build.') || fromLabel.length !== workspace.images.length) {
    console.error(output.trim().split('\n').slice(-30).join('\n'));
    throw new UserError({
      subject: 'bench:graph',
      problem: `the no-op plan (${workspace.label}) did not find all ${workspace.images.length} images unchanged since their registry label (${fromLabel.length} were)`,
      fix: 'see its last output above',
    });
  }
  return ms;
}

function printNoopFigures(figures: NoopFigures[], baselineRef: string | undefined): void {
  const [plain, withOptions, baseline] = figures;
  if (!plain || !withOptions) throw new Error('bench:graph: no figures for the no-op plan.');
  const row = (label: string, ms: number, note = '') => console.log(`  ${label.padEnd(80)} ${ms.toFixed(0).padStart(8)} ms${note}`);
  console.log('');
  console.log(
    `No-op push (a commit changing only README.md), ${plain.images}-image tree: npm run ci:images -- --plan, cold, median of ${plain.runs.length} runs (after one discarded round)`,
  );
  row('plain options (the tree\'s buildArgs)', median(plain.runs));
  row('every new option (variants, tests, tags, buildArgTemplates, versionScheme)', median(withOptions.runs), `  (${(median(withOptions.runs) / median(plain.runs)).toFixed(2)}x plain)`);
  if (baseline) row(`plain options, plugin of ${baselineRef ?? ''}`, median(baseline.runs), `  (now / baseline: ${(median(plain.runs) / median(baseline.runs)).toFixed(2)}x)`);
  else console.log('  against the last release: set BENCH_BASELINE_REF to a commit (e.g. BENCH_BASELINE_REF=eef82b4) to time its plugin on the same push.');
  console.log(`  runs (ms): ${figures.map((entry) => `${entry.label} ${list(entry.runs)}`).join('; ')}`);
}


function list(values: number[]): string {
  return values.map((ms) => ms.toFixed(0)).join(', ');
}

/** BENCH_ONLY=package: only the package figures (3.); unset or empty: everything. */
function onlyFrom(value: string | undefined): 'package' | undefined {
  const only = value?.trim();
  if (!only) return undefined;
  if (only !== 'package') throw new UserError({ subject: 'bench:graph', problem: `BENCH_ONLY=${only} is not a section this bench can run alone`, fix: 'set it to package, or unset it' });
  return only;
}


main().catch((error: unknown) => {
  console.error(errorMessage(error));
  process.exitCode = 1;
});
