import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { baseRecords, type ResolvedBase } from '../../lib/core/dockerfile/bases';
import { planBuild, registryCacheFor, wantsEngineBuilder, type BuildPlan, type BuildPlanInput } from '../../lib/core/build/build-plan';
import { LABEL } from '../../lib/core/naming/conventions';
import { errorMessage } from '../../lib/core/errors';
import type { TestResult } from '../../lib/core/evidence/image-tests';
import { isImageProject, type ProjectLike } from '../../lib/core/graph/image-project';
import { DEFAULT_TARGET_SETTINGS } from '../../lib/core/graph/target-settings';
import { commandLine } from '../../lib/core/quote';
import { imageName } from '../../lib/core/naming/refs';
import { machinePlatform, platformKey, platformOf } from '../../lib/core/naming/platforms';
import { imageIndex, OCI_INDEX, type PlatformImage } from '../../lib/core/build/image-index';
import { describeResult } from '../../lib/core/evidence/image-tests';
import { sha256 } from '../../lib/core/evidence/oci-artifact';
import { UserError } from '../../lib/core/errors';
import { pushByDigest } from '../../lib/io/push-by-digest';
import { basesForPlatform } from './platform-bases';
import { previewInventoryTag } from '../../lib/core/naming/templates';
import { writeBuildRecord, type BuildRecord, type BuildTagRecord } from '../../lib/io/build-record';
import { resolveBuildTime } from '../../lib/io/build-time';
import { assertEngineRunning, buildxDriver, findDockerCli, tagImage, untagImage, type DockerCli } from '../../lib/io/docker';
import { inputsAtHead } from '../../lib/io/image-inputs';
import { createRegistryClient, type FullRegistryClient, type RegistryClient } from '../../lib/io/registry/oci-client';
import { ownSuites } from '../../lib/io/image-suites';
import type { Suite } from '../../lib/io/image-tests';
import { newerPushUnder } from '../../lib/io/revision';
import { resolveOutside, type OutsideBase } from '../../lib/io/outside-bases';
import { gatherFacts } from '../../lib/io/workspace-facts';
import { log, outcome, taskOf } from '../outcome';
import { missingSourceError } from '../../lib/core/dockerfile/context-sources';
import { missingSourcesOnDisk } from '../../lib/io/context-sources';
import { digestPinnedBases, normalizeOptions, pinBases, type BuildFacts, type NormalizedBuild, type PinnedBuild } from './normalize';
import { resolveBases } from './resolve-bases';
import { recordForReuse, reuseFromRegistry, reuseKeyOf, reusePlatform, type ReusedPlatform } from './reuse';
import { buildTagsAfterPush, writeBuildTags } from './build-tags';
import { IMAGE_BUILD_STEPS, runImageBuildSteps, type BuildState } from './steps';
import type { DockerBuildExecutorSchema } from './schema';

export default function dockerBuildExecutor(options: DockerBuildExecutorSchema, context: ExecutorContext): Promise<{ success: boolean }> {
  return outcome(dockerBuild, options, context);
}

/**
 * One build, top to bottom: the facts, the options normalized, the bases
 * resolved and pinned, the plan printed, then the runner runs it. A dry run
 * is the same pipeline with a runner that executes nothing.
 */
async function dockerBuild(options: DockerBuildExecutorSchema, context: ExecutorContext): Promise<void> {
  const { project, projectRoot = project, workspaceRoot } = taskOf(context, 'docker-build');
  const workspace = await gatherFacts(workspaceRoot);
  const configured = context.projectsConfigurations?.projects[project];
  const now = new Date();
  const facts: BuildFacts = {
    projectName: project,
    projectRoot,
    workspaceRoot,
    settings: options.settings ?? DEFAULT_TARGET_SETTINGS.build,
    env: process.env,
    ...workspace,
    now,
    buildTime: resolveBuildTime(options.buildTime, process.env, () => now),
    dockerfile: (path) => readFileSync(path, 'utf8'),
    ...(context.projectsConfigurations ? { images: new Set(Object.entries(context.projectsConfigurations.projects).flatMap(([name, config]) => (isImageProject(config) ? [name] : []))) } : {}),
    ...(configured && workspace.headSha ? { inputs: (await inputsAtHead(workspaceRoot, workspace.headSha, { name: project, ...(configured as ProjectLike) }, imageRoots(context)))?.digest } : {}),
  };
  const normalized = normalizeOptions(options, facts);
  // A dry run answers "would this build start?": a COPY source missing from the context is the first thing it would fail on.
  if (normalized.dryRun && configured) {
    const [missing] = (await missingSourcesOnDisk(workspaceRoot, project, { name: project, ...(configured as ProjectLike) })).filter((source) => source.fails);
    if (missing) throw missingSourceError(missing);
  }
  const runner = normalized.dryRun ? DRY_RUNNER : ENGINE_RUNNER;
  const { build, cli, engine } = await runner.builder(normalized);
  const client = runner.client(build);
  if (build.platforms.length > 1 || build.digestOnly) return buildEachPlatform({ runner, build, cli, engine, client, context, facts });
  const found = await runner.resolveBases(build, client, engine ? cli.docker : undefined);
  const pinnedAsWritten = digestPinnedBases(build);
  const resolved = [...found.resolved, ...pinnedAsWritten];
  const baseNotes = [...found.notes, ...pinnedAsWritten.map((base) => `base ${base.image}: ${base.note}`)];
  // A pushed build pins and records its outside images (what a refresh compares); one that stays local, or a dry run, reads them by tag.
  const outside = runner.executes && build.push ? await resolveOutside(build.outside.map((read) => read.reference), build.platforms[0] ?? machinePlatform(process.arch), process.env) : [];
  const notes = [...baseNotes, ...outside.map(outsideNote)];
  if (runner.executes) for (const note of notes) log.info(`${build.project}: ${note}`);
  const skipped = runner.executes && build.push && build.forwardOnly ? await newerPushOnRegistry(build, client, workspaceRoot) : undefined;
  if (skipped) {
    log.warn(`${build.project}: ${skipped}`);
    await writeBuildRecord(workspaceRoot, recordOf(pinBases(build, resolved, {}, outside).build, cli, resolved, { skippedPush: skipped, notes }));
    return;
  }
  const scratch = await runner.scratch();
  const localTags = await runner.tagLocalBases(build, resolved, cli);
  try {
    const pinned = pinBases(build, resolved, localTags, outside);
    const file = await runner.pinnedDockerfile(build, pinned, scratch);
    const suites = runner.executes && (build.test || build.skipTests) ? await ownSuites(context, facts.settings.testTarget, project) : [];
    // An image an earlier push built and tested from the same inputs, on the same bases, is taken instead of built.
    const key = runner.executes && build.push ? await reuseKeyOf(pinned.build, resolved, outside, workspaceRoot, suites) : undefined;
    const reused = key && build.reuse ? await reuseFromRegistry(pinned.build, client, key) : undefined;
    if (key && reused) {
      const record = recordOf(pinned.build, cli, resolved, { digest: reused.subject, notes, buildTags: reused.buildTags, reuseKey: key, reused: { from: reused.reference, revision: reused.revision, builtAt: reused.builtAt, seconds: reused.seconds } });
      log.info(`${build.project}: record written to ${relative(workspaceRoot, await writeBuildRecord(workspaceRoot, record))}`);
      return;
    }
    if (key && !build.reuse) log.info(`${build.project}: reuse skipped (--reuse=false): building`);
    // Whenever it pushes, the image's lock files are exported from it (so it must be in the engine first) and attached to its digest.
    const locking = build.push && build.platforms.length <= 1;
    // Tests and the lock export run on the image in the engine, which is then what is pushed.
    const pushAfterLoad = build.push && ((build.test && suites.length > 0) || locking);
    const plan = planBuild(planInput(withCache({ ...pinned.build, file, ...(runner.executes ? { pushAfterLoad } : {}) }, cli), cli, scratch));
    printPlan(pinned.build, cli, plan, workspaceRoot, notes);
    await runner.execute({ build, pinned, file, cli, client, resolved, outside, notes, plan, scratch, workspaceRoot, suites, locking, localTags, ...(key ? { key } : {}) });
  } finally {
    await runner.cleanup(build, resolved, cli, localTags, scratch);
  }
}

/** How an outside image is read, one line: by the digest its tag names now, as written, or by its tag when it could not be read. */
function outsideNote(base: OutsideBase): string {
  if (base.pinned) return `outside ${base.reference}: pinned by digest in the Dockerfile`;
  if (base.error) return `outside ${base.reference}: not resolved (${base.error}); the build reads it by its tag`;
  return `outside ${base.reference}: ${base.digest ?? ''}${base.platformDigest ? ` (${base.platform ?? ''}: ${base.platformDigest})` : ''}; the build reads it by digest`;
}

/** The folders of the workspace's image projects, as the plan reads them (the inputs label must be the plan's digest). */
function imageRoots(context: ExecutorContext): string[] {
  const projects = context.projectsConfigurations?.projects ?? {};
  return Object.values(projects).flatMap((project) => (isImageProject(project) && project.root ? [project.root] : []));
}

/** Everything a runner is given to run: the build pinned and planned. */
interface PlannedBuild {
  build: NormalizedBuild;
  pinned: PinnedBuild;
  /** The Dockerfile the build reads: the original, or the pinned copy. */
  file: string;
  cli: DockerCli;
  client: FullRegistryClient;
  resolved: readonly ResolvedBase[];
  outside: readonly OutsideBase[];
  notes: string[];
  plan: BuildPlan;
  scratch: string;
  workspaceRoot: string;
  suites: readonly Suite[];
  locking: boolean;
  localTags: Readonly<Record<string, string>>;
  /** The build's reuse digest, when it pushes: recorded once it is pushed and tested. */
  key?: string;
}

/**
 * What differs between a build and its dry run: which engine and builder,
 * how hard the bases are resolved, whether the pinned Dockerfile and the
 * local base tags are made, and whether the plan is run.
 */
interface BuildRunner {
  /** False for the dry run: nothing is built, tagged, pushed or written. */
  executes: boolean;
  builder(build: NormalizedBuild): Promise<{ build: NormalizedBuild; cli: DockerCli; engine: boolean }>;
  client(build: NormalizedBuild): FullRegistryClient;
  resolveBases(build: NormalizedBuild, client: FullRegistryClient, docker: string | undefined): Promise<{ resolved: ResolvedBase[]; notes: string[] }>;
  scratch(): Promise<string>;
  tagLocalBases(build: NormalizedBuild, resolved: readonly ResolvedBase[], cli: DockerCli): Promise<Record<string, string>>;
  pinnedDockerfile(build: NormalizedBuild, pinned: PinnedBuild, scratch: string): Promise<string>;
  execute(run: PlannedBuild): Promise<void>;
  cleanup(build: NormalizedBuild, resolved: readonly ResolvedBase[], cli: DockerCli, localTags: Readonly<Record<string, string>>, scratch: string): Promise<void>;
}

/** The build itself: the engine must answer, every base must resolve, and the steps run. */
const ENGINE_RUNNER: BuildRunner = {
  executes: true,
  async builder(normalized) {
    const found = await findDockerCli();
    await assertEngineRunning(found);
    return { ...(await withEngineBuilder(normalized, found)), engine: true };
  },
  client: (build) => createRegistryClient({ registry: build.registry, env: process.env, retry: { attempts: 3 } }),
  async resolveBases(build, client, docker) {
    const resolved = await withPlatformBases(build, client, await resolveBases(build, client, docker));
    return { resolved, notes: resolved.map((base) => `base ${base.image}: ${base.note}`) };
  },
  scratch: () => mkdtemp(join(tmpdir(), 'fornax-docker-build-')),
  async tagLocalBases(build, resolved, cli) {
    // A base only in the local engine gets a tag of this build's own, so a build of it that lands meanwhile cannot change what this one reads.
    const tags: Record<string, string> = {};
    for (const base of resolved.filter((entry) => entry.source === 'local' && entry.id)) {
      const tag = `fornax-pin-${randomBytes(6).toString('hex')}`;
      await tagImage(cli.docker, base.id ?? '', `${nameOf(build, base)}:${tag}`);
      tags[base.image] = tag;
    }
    return tags;
  },
  pinnedDockerfile: (build, pinned, scratch) => (pinned.dockerfile === build.dockerfileText ? Promise.resolve(build.file) : writePinnedDockerfile(scratch, build.file, pinned.dockerfile)),
  execute: buildAndPush,
  async cleanup(build, resolved, cli, localTags, scratch) {
    for (const base of resolved) {
      const tag = localTags[base.image];
      if (tag) await untagImage(cli.docker, `${nameOf(build, base)}:${tag}`).catch(() => undefined);
    }
    await rm(scratch, { recursive: true, force: true });
  },
};

/** The dry run: each base resolved as far as the registry (and a running engine) can be read; nothing is built, tagged or written. */
const DRY_RUNNER: BuildRunner = {
  executes: false,
  async builder(normalized) {
    const found = await findDockerCli().catch((): DockerCli => ({ docker: 'docker', mode: 'buildx', usesEngineStore: false }));
    const { build, cli } = await withEngineBuilder(normalized, found);
    const engine = cli.usesEngineStore && (await assertEngineRunning(cli).then(() => true, () => false));
    return { build, cli, engine };
  },
  client: (build) => createRegistryClient({ registry: build.registry, env: process.env, retry: { attempts: 1 }, timeoutMs: 10_000 }),
  async resolveBases(build, client, docker) {
    let resolved: ResolvedBase[];
    try {
      resolved = await resolveBases(build, client, docker);
    } catch (error) {
      // Assume each base's first tag, so the plan still shows the build args and labels a build would start from.
      resolved = build.bases.map(({ question }): ResolvedBase => {
        const tag = question.tags[0] ?? '';
        return { image: question.image, reference: `${question.name}:${tag}`, tag, source: 'registry', note: 'not resolved' };
      });
      return { resolved, notes: [`bases not resolved now (${errorMessage(error)}); a build resolves each on its own`] };
    }
    // A base that lacks the platform refuses the plan too, before anything is built.
    resolved = await withPlatformBases(build, client, resolved);
    return { resolved, notes: resolved.map((base) => `base ${base.image}: ${base.note}; the build reads it by ${base.source === 'registry' ? 'digest' : 'a tag of its own'}`) };
  },
  scratch: () => Promise.resolve('<tmp>'),
  tagLocalBases: (_build, resolved) => Promise.resolve(Object.fromEntries(resolved.filter((base) => base.source === 'local').map((base) => [base.image, '<tag of this build>']))),
  pinnedDockerfile: (build, pinned, scratch) => Promise.resolve(pinned.dockerfile === build.dockerfileText ? build.file : join(scratch, basename(build.file))),
  execute({ build, file, resolved, localTags, workspaceRoot }) {
    if (file !== build.file) {
      log.info(`  ${file}: ${relative(workspaceRoot, build.file)} with each base read as:`);
      for (const { question } of build.bases) {
        const base = resolved.find((entry) => entry.image === question.image);
        log.info(`    ${question.image} -> ${base?.source === 'local' ? `${question.name}:${localTags[question.image] ?? ''}` : `${question.name}@${base?.digest ?? ''}`}`);
      }
    }
    return Promise.resolve();
  },
  cleanup: () => Promise.resolve(),
};

/** The image build's steps (build, test, lock, inventory, push, attach, tag), the record for a later reuse, then the build record. */
async function buildAndPush({ build, pinned, cli, client, resolved, notes, plan, scratch, workspaceRoot, suites, locking, key }: PlannedBuild): Promise<void> {
  const built = await runImageBuildSteps({
    build: pinned.build,
    cli,
    client,
    resolved,
    plan,
    scratch,
    workspaceRoot,
    suites,
    locking,
    recordFailedTests: ({ imageId, startedAt, tests }: BuildState) => writeBuildRecord(workspaceRoot, { ...recordOf(pinned.build, cli, resolved, { imageId, startedAt, tests, notes }), pushed: false }),
  });
  const locks = built.locks && build.push ? { files: built.locks.index.files, ...(built.locks.index.note ? { note: built.locks.index.note } : {}) } : undefined;
  const { digest, imageId, skippedPush, startedAt, buildTags, tests } = built;
  if (key && digest && !skippedPush) await recordForReuse(pinned.build, client, key, { digest, ...(startedAt ? { startedAt } : {}), ...(tests ? { tests } : {}), hasTests: suites.length > 0 });
  const path = await writeBuildRecord(workspaceRoot, recordOf(pinned.build, cli, resolved, { digest, imageId, skippedPush, notes, startedAt, buildTags, tests, locks, ...(key ? { reuseKey: key } : {}) }));
  log.info(
    build.push
      ? `${build.project}: pushed ${build.references.join(', ')}${digest ? ` (${digest})` : ''}`
      : `${build.project}: built ${build.references.join(', ')} into the local engine (not pushed)`,
  );
  log.info(`${build.project}: record written to ${relative(workspaceRoot, path)}`);
}

/** The engine's own builder for a build that does not push, when the current one is a buildx builder in a container (see wantsEngineBuilder). */
async function withEngineBuilder(build: NormalizedBuild, cli: DockerCli): Promise<{ build: NormalizedBuild; cli: DockerCli }> {
  if (!wantsEngineBuilder({ ...build, mode: cli.mode, usesEngineStore: cli.usesEngineStore })) return { build, cli };
  if ((await buildxDriver(cli.docker, 'default')) !== 'docker') return { build, cli };
  log.info(`${build.project}: not pushing, so building with buildx's default builder (the docker driver), which sees the images in the engine`);
  return { build: { ...build, builder: 'default' }, cli: { ...cli, usesEngineStore: true } };
}

/** The pinned Dockerfile, next to a copy of the original's own ignore file (BuildKit reads <Dockerfile>.dockerignore beside the Dockerfile). */
async function writePinnedDockerfile(scratch: string, original: string, text: string): Promise<string> {
  const file = join(scratch, basename(original));
  await writeFile(file, text);
  if (existsSync(`${original}.dockerignore`)) await copyFile(`${original}.dockerignore`, `${file}.dockerignore`);
  return file;
}

function nameOf(build: NormalizedBuild, base: ResolvedBase): string {
  return build.bases.find(({ question }) => question.image === base.image)?.question.name ?? base.reference;
}

function recordOf(
  build: NormalizedBuild,
  cli: DockerCli,
  resolved: readonly ResolvedBase[],
  extra: { digest?: string; imageId?: string; skippedPush?: string; notes: string[]; startedAt?: string; tests?: TestResult; locks?: BuildRecord['locks']; buildTags?: BuildTagRecord[]; reuseKey?: string; reused?: BuildRecord['reused'] },
): BuildRecord {
  const baseImage = build.labels[LABEL.baseName];
  const baseDigest = build.labels[LABEL.baseDigest];
  return {
    project: build.project,
    image: build.image,
    reference: build.references[0] ?? '',
    tag: build.tag,
    references: build.references,
    pushed: build.push && !extra.skippedPush,
    ...(extra.digest ? { digest: extra.digest } : {}),
    ...(extra.skippedPush ? { skippedPush: extra.skippedPush } : {}),
    ...(extra.buildTags && extra.buildTags.length > 0 ? { buildTags: extra.buildTags } : {}),
    ...(extra.imageId ? { imageId: extra.imageId } : {}),
    revision: build.revision,
    ...(baseImage ? { baseImage } : {}),
    ...(baseDigest ? { baseDigest } : {}),
    bases: baseRecords(resolved),
    baseNotes: extra.notes,
    ...(extra.tests ? { tests: extra.tests } : {}),
    ...(extra.locks ? { locks: extra.locks } : {}),
    builder: `${cli.docker} (${cli.mode})`,
    ...(extra.reuseKey ? { reuseKey: extra.reuseKey } : {}),
    ...(extra.reused ? { reused: extra.reused } : {}),
    ...(extra.startedAt ? { startedAt: extra.startedAt } : {}),
    finishedAt: new Date().toISOString(),
  };
}

/** Tags only move forward: why this push must be skipped, or undefined to push. */
async function newerPushOnRegistry(build: NormalizedBuild, client: RegistryClient, cwd: string): Promise<string | undefined> {
  const move = { repoPath: `${build.repository}/${build.image}`, tag: build.tag, revision: build.revision, name: imageName(build), ...(build.branch ? { branch: build.branch } : {}) };
  return newerPushUnder(client, cwd, move, (line, warn) => (warn ? log.warn(`${build.project}: ${line}`) : log.info(`${build.project}: ${line}`)));
}

/** Adds the registry layer cache entries when `registryCache` is on. */
function withCache(build: NormalizedBuild, cli: DockerCli): NormalizedBuild {
  if (!build.registryCache) return build;
  const cache = registryCacheFor({
    kind: cli.usesEngineStore ? 'inline' : 'registry',
    name: imageName(build),
    tag: build.tag,
    defaultTag: build.defaultTag,
  });
  return { ...build, cacheFrom: [...build.cacheFrom, ...cache.cacheFrom], cacheTo: [...build.cacheTo, ...cache.cacheTo] };
}

function planInput(build: NormalizedBuild, cli: DockerCli, scratch: string): BuildPlanInput {
  return { ...build, docker: cli.docker, mode: cli.mode, metadataFile: join(scratch, 'metadata.json'), iidFile: join(scratch, 'iid') };
}

function printPlan(build: NormalizedBuild, cli: DockerCli, plan: BuildPlan, workspaceRoot: string, notes: readonly string[]): void {
  log.info(`${build.project}: ${build.dryRun ? 'dry run, nothing is run' : 'building'}`);
  log.info(`  image      ${build.references[0]}  (tag from ${build.tagFrom})`);
  for (const extra of build.references.slice(1)) log.info(`  also       ${extra}`);
  for (const tag of build.buildTags) log.info(`  per-build  ${imageName(build)}:${tag}  (${build.push ? 'written once after the push, never moved' : 'only when pushed'})`);
  for (const tag of build.inventoryTags) log.info(`  per-build  ${imageName(build)}:${previewInventoryTag(tag)}  (${build.push ? 'read from the image\'s inventory, written once after the push, never moved' : 'only when pushed'})`);
  for (const [name, value] of Object.entries(build.templatedArgs)) log.info(`  build arg  ${name}=${value}  (from a template)`);
  log.info(`  context    ${relative(workspaceRoot, build.context) || '.'}`);
  log.info(`  dockerfile ${relative(workspaceRoot, build.file)}`);
  log.info(`  base       ${build.labels[LABEL.baseName] ?? '(none: FROM scratch)'}`);
  for (const note of notes) log.info(`  ${note}`);
  log.info(`  revision   ${build.revision}`);
  log.info(`  push       ${build.push ? 'yes' : 'no, load into the local engine'}`);
  log.info(`  builder    ${cli.docker} (${cli.mode === 'buildx' ? 'buildx' : 'built-in BuildKit'})`);
  for (const warning of plan.warnings) log.warn(`  warning    ${warning}`);
  log.info(commandLine(plan.build.command, plan.build.args, plan.build.env));
  for (const push of plan.push) log.info(commandLine(push.command, push.args));
}

/** A build of one platform asked for by name reads each base as that platform's manifest (see basesForPlatform); the default build is unchanged. */
async function withPlatformBases(build: NormalizedBuild, client: FullRegistryClient, resolved: ResolvedBase[]): Promise<ResolvedBase[]> {
  const [platform] = build.platforms;
  return build.platforms.length === 1 && platform ? basesForPlatform(build, resolved, client, platform) : resolved;
}

/** One platform of a multi-platform build once it is built and tested: what its push and its evidence need. */
interface PlatformBuilt {
  platform: string;
  state: BuildState;
  resolved: readonly ResolvedBase[];
  notes: string[];
  /** Its reuse digest, when it is pushed: what it is recorded under once its tests passed. */
  key?: string;
  /** Taken from the registry instead of built: an earlier push built and tested it from the same inputs on the same bases. */
  reused?: ReusedPlatform;
}

/**
 * Several platforms on one machine: each built on its own (the engine's
 * BuildKit builds one platform a build; another architecture runs under
 * QEMU), each tested in its own platform's container, and only when every
 * platform passed, each pushed by digest with its evidence, then one OCI
 * index written under the tags inside the registry. A failure on any
 * platform pushes nothing, so no tag moves and no platform is published alone.
 * A platform an earlier push built and tested from the same inputs, on the
 * same platform of the same bases, is taken from the registry instead: the
 * reuse digest is one platform's, so the platforms are reused each on its own.
 */
async function buildEachPlatform(run: { runner: BuildRunner; build: NormalizedBuild; cli: DockerCli; engine: boolean; client: FullRegistryClient; context: ExecutorContext; facts: BuildFacts }): Promise<void> {
  const { runner, build, cli, engine, client, context, facts } = run;
  const { workspaceRoot } = facts;
  if (runner.executes && build.push && build.forwardOnly) {
    const skipped = await newerPushOnRegistry(build, client, workspaceRoot);
    if (skipped) {
      log.warn(`${build.project}: ${skipped}`);
      await writeBuildRecord(workspaceRoot, recordOf(build, cli, [], { skippedPush: skipped, notes: [] }));
      return;
    }
  }
  const suites = runner.executes && (build.test || build.skipTests) ? await ownSuites(context, facts.settings.testTarget, build.project) : [];
  if (runner.executes && build.push && build.digestOnly) log.info(`${build.project}: ${build.platforms.join(', ')} only: built and tested, then pushed by digest under no tag; the merge job writes the index once every platform passed`);
  else if (runner.executes && build.push) log.info(`${build.project}: ${build.platforms.length} platforms (${build.platforms.join(', ')}): each built and tested (or reused), then pushed by digest, then one index under the tags`);
  const built: PlatformBuilt[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  try {
    // Every platform's bases first: a platform a base lacks refuses the build before anything is built.
    const bases = [];
    for (const platform of build.platforms) bases.push(await runner.resolveBases({ ...build, platforms: [platform] }, client, engine ? cli.docker : undefined));
    for (const [at, platform] of build.platforms.entries()) {
      const one: NormalizedBuild = { ...build, platforms: [platform] };
      const { resolved, notes: baseNotes } = bases[at] ?? { resolved: [], notes: [] };
      const outside = runner.executes && build.push ? await resolveOutside(build.outside.map((read) => read.reference), platform, process.env) : [];
      const notes = [...baseNotes, ...outside.map(outsideNote)];
      const scratch = await runner.scratch();
      const localTags = await runner.tagLocalBases(one, resolved, cli);
      cleanups.push(() => runner.cleanup(one, resolved, cli, localTags, scratch));
      const pinned = pinBases(one, resolved, localTags, outside);
      const file = await runner.pinnedDockerfile(one, pinned, scratch);
      // Into the engine under no tag: its image ID names it until it is pushed, so the platforms never take one tag from each other.
      const plan = planBuild(planInput(withCache({ ...pinned.build, file, references: [], push: false }, cli), cli, scratch));
      const key = runner.executes && build.push ? await reuseKeyOf(pinned.build, resolved, outside, workspaceRoot, suites) : undefined;
      const reused = key && build.reuse ? await reusePlatform(pinned.build, client, key) : undefined;
      if (reused) {
        const state: BuildState = { build: pinned.build, cli, client, resolved, plan, scratch, workspaceRoot, suites, locking: false, recordFailedTests: () => Promise.resolve(), digest: reused.subject, ...(reused.inventory ? { inventory: reused.inventory } : {}) };
        built.push({ platform, state, resolved, notes, key, reused });
        continue;
      }
      if (key && !build.reuse) log.info(`${build.project}: ${platform}: reuse skipped (--reuse=false): building`);
      log.info(`${build.project}: platform ${platform}`);
      printPlan(pinned.build, cli, plan, workspaceRoot, notes);
      if (!runner.executes) {
        await runner.execute({ build: one, pinned, file, cli, client, resolved, outside, notes, plan, scratch, workspaceRoot, suites, locking: false, localTags });
        continue;
      }
      const state = await onPlatform(platform, build.platforms, () => runImageBuildSteps(
        {
          build: pinned.build,
          cli,
          client,
          resolved,
          plan,
          scratch,
          workspaceRoot,
          suites,
          locking: build.push,
          recordFailedTests: ({ imageId, startedAt, tests }: BuildState) =>
            writeBuildRecord(workspaceRoot, { ...recordOf(pinned.build, cli, resolved, { imageId, startedAt, tests, notes: [`${platform} failed its tests: nothing was pushed for any platform`, ...notes] }), pushed: false, platforms: platformsOf(build, built, { platform, ...(imageId ? { imageId } : {}) }) }),
        },
        IMAGE_BUILD_STEPS.filter((step) => BEFORE_PUSH.has(step.name)),
      ));
      if (state.tests) log.info(`${build.project}: ${platform}: tests ${describeResult(state.tests)}`);
      built.push({ platform, state, resolved, notes, ...(key ? { key } : {}) });
    }
    if (!runner.executes) {
      if (build.digestOnly) {
        log.info(`  index      none here: ${build.platforms.join(', ')} is pushed by digest only; the merge job writes the index`);
        return;
      }
      log.info(`  index      ${build.push ? `one OCI image index of ${build.platforms.join(', ')} under ${build.references.join(', ')}, written once every platform passed` : 'none: not pushed'}`);
      return;
    }
    if (!build.push) return await keepLocal(build, cli, built, workspaceRoot);
    if (build.digestOnly) return await pushPart(build, cli, client, built, workspaceRoot);
    await pushIndex(build, cli, client, built, workspaceRoot);
  } finally {
    for (const cleanup of cleanups) await cleanup();
  }
}

/** A platform's failure names the platform, and says that no platform was pushed. */
async function onPlatform<T>(platform: string, platforms: readonly string[], step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    const others = platforms.filter((other) => other !== platform);
    const problem = `${platform}: ${error.problem.replace(/; nothing was pushed, every tag stays where it was$/, '')}; nothing was pushed for any platform (${others.join(', ')} included), every tag stays where it was`;
    throw new UserError({ ...(error.image === undefined ? {} : { image: error.image }), subject: error.subject, problem, fix: error.fix });
  }
}

/** The steps of a platform before anything is pushed: build, test, lock, inventory. */
const BEFORE_PUSH = new Set(['build', 'test', 'lock', 'inventory']);

function platformsOf(build: NormalizedBuild, built: readonly PlatformBuilt[], failed?: { platform: string; imageId?: string }): BuildRecord['platforms'] {
  const done = built.map(({ platform, state }) => ({ platform, ...(state.digest ? { digest: state.digest } : {}), ...(state.imageId ? { imageId: state.imageId } : {}) }));
  const rest = build.platforms.filter((platform) => !built.some((entry) => entry.platform === platform) && platform !== failed?.platform).map((platform) => ({ platform }));
  return [...done, ...(failed ? [failed] : []), ...rest];
}

/** Not pushed: the engine holds one platform under a tag, the machine's own when it was built (else the first); the others stay by image ID. */
async function keepLocal(build: NormalizedBuild, cli: DockerCli, built: readonly PlatformBuilt[], workspaceRoot: string): Promise<void> {
  const own = built.find((entry) => platformKey(entry.platform) === platformKey(machinePlatform(process.arch))) ?? built[0];
  if (own?.state.imageId) for (const reference of build.references) await tagImage(cli.docker, own.state.imageId, reference);
  const record = { ...recordOf(build, cli, own?.resolved ?? [], { notes: own?.notes ?? [], ...(own?.state.imageId ? { imageId: own.state.imageId } : {}) }), platforms: platformsOf(build, built) };
  const path = await writeBuildRecord(workspaceRoot, record);
  log.info(`${build.project}: built ${build.platforms.join(', ')} into the local engine (not pushed); ${build.references.join(', ')} is the ${own?.platform ?? ''} image, the others are there by image ID (${path ? relative(workspaceRoot, path) : ''})`);
}

/** One platform of several (--digestOnly): pushed by digest with its evidence, and recorded with what its index will carry; no tag moves. */
async function pushPart(build: NormalizedBuild, cli: DockerCli, client: FullRegistryClient, built: PlatformBuilt[], workspaceRoot: string): Promise<void> {
  const [entry] = built;
  if (!entry) throw new UserError({ subject: build.project, problem: 'no platform was built, so nothing can be pushed', fix: 'nothing was tagged; build again' });
  const image = entry.reused?.image ?? (await pushPlatform(build, cli, client, entry));
  if (!entry.reused) log.info(`${build.project}: ${entry.platform} pushed by digest as ${imageName(build)}@${image.digest} (no tag; the merge job writes the index under ${build.references.join(', ')})`);
  const { state } = entry;
  const record: BuildRecord = {
    ...recordOf(state.build, cli, entry.resolved, { digest: image.digest, notes: entry.notes, ...(state.startedAt ? { startedAt: state.startedAt } : {}), ...(state.tests ? { tests: state.tests } : {}), ...reuseFields(entry) }),
    platforms: [{ platform: entry.platform, digest: image.digest, ...(state.imageId ? { imageId: state.imageId } : {}) }],
    part: { buildTags: buildTagsAfterPush(build, image.digest, state.inventory) },
  };
  const path = await writeBuildRecord(workspaceRoot, record);
  log.info(`${build.project}: record written to ${relative(workspaceRoot, path)}`);
}

/**
 * One built platform pushed by digest under no tag, its evidence attached,
 * then recorded for reuse under its own reuse digest once its tests passed.
 */
async function pushPlatform(build: NormalizedBuild, cli: DockerCli, client: FullRegistryClient, entry: PlatformBuilt): Promise<PlatformImage> {
  if (!entry.state.imageId) throw new UserError({ subject: build.project, problem: `the ${entry.platform} build wrote no image ID, so it cannot be pushed`, fix: 'nothing was tagged; build again' });
  const image = await pushByDigest(cli.docker, entry.state.imageId, client, `${build.repository}/${build.image}`, entry.state.scratch);
  entry.state = await runImageBuildSteps({ ...entry.state, digest: image.digest }, IMAGE_BUILD_STEPS.filter((step) => step.name === 'attach'));
  const { startedAt, tests, suites } = entry.state;
  if (entry.key) await recordForReuse(entry.state.build, client, entry.key, { digest: image.digest, ...(startedAt ? { startedAt } : {}), ...(tests ? { tests } : {}), hasTests: suites.length > 0 });
  return image;
}

/** What a platform's record says of its reuse: its reuse digest, and where it was taken from when it was. */
function reuseFields(entry: PlatformBuilt): Pick<BuildRecord, 'reuseKey' | 'reused'> {
  const { key, reused } = entry;
  return {
    ...(key ? { reuseKey: key } : {}),
    ...(reused ? { reused: { from: reused.reference, revision: reused.revision, builtAt: reused.builtAt, seconds: reused.seconds } } : {}),
  };
}

/** Each platform pushed by digest with its evidence, then the index, written by digest and then under every tag, and the per-build tags. */
async function pushIndex(build: NormalizedBuild, cli: DockerCli, client: FullRegistryClient, built: PlatformBuilt[], workspaceRoot: string): Promise<void> {
  const repoPath = `${build.repository}/${build.image}`;
  const images: PlatformImage[] = [];
  for (const entry of built) {
    const image = entry.reused?.image ?? (await pushPlatform(build, cli, client, entry));
    if (!entry.reused) log.info(`${build.project}: ${entry.platform} pushed by digest as ${imageName(build)}@${image.digest} (no tag)`);
    images.push(image);
  }
  const bytes = imageIndex(images);
  const { digest } = await client.writeManifest(repoPath, sha256(bytes), { bytes, mediaType: OCI_INDEX });
  const manifest = { bytes, mediaType: OCI_INDEX, digest };
  for (const tag of [build.tag, ...build.extraTags.filter((extra) => extra !== build.tag)]) await client.retag(repoPath, manifest, tag);
  log.info(`${build.project}: index ${digest} of ${images.map((image) => platformOf(image.platform)).join(', ')} written under ${build.references.join(', ')}`);
  const buildTags = await writeBuildTags(build, client, digest, built[0]?.state.inventory);
  const first = built[0];
  // Reused as a whole only when every platform was: the index is then the one an earlier push wrote.
  const taken = first && built.every((entry) => entry.reused) ? reuseFields(first).reused : undefined;
  const reused = taken ? { reused: taken } : {};
  const record: BuildRecord = {
    ...recordOf(first?.state.build ?? build, cli, first?.resolved ?? [], { digest, notes: first?.notes ?? [], buildTags, ...(first?.state.startedAt ? { startedAt: first.state.startedAt } : {}), ...(first?.state.tests ? { tests: first.state.tests } : {}), ...reused }),
    platforms: built.map(({ platform, state }) => ({ platform, ...(state.digest ? { digest: state.digest } : {}), ...(state.imageId ? { imageId: state.imageId } : {}) })),
  };
  const path = await writeBuildRecord(workspaceRoot, record);
  log.info(`${build.project}: pushed ${build.references.join(', ')} (${digest}); record written to ${relative(workspaceRoot, path)}`);
}
