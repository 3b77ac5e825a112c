import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { baseRecords, type ResolvedBase } from '../../lib/core/dockerfile/bases';
import { planBuild, registryCacheFor, wantsEngineBuilder, type BuildPlan, type BuildPlanInput } from '../../lib/core/build/build-plan';
import { pushDecision } from '../../lib/core/ci/compare-commits';
import { LABEL } from '../../lib/core/naming/conventions';
import { errorMessage } from '../../lib/core/errors';
import type { TestResult } from '../../lib/core/evidence/image-tests';
import { settingsFromOptions } from '../../lib/core/graph/plugin-options';
import { commandLine } from '../../lib/core/quote';
import { imageName } from '../../lib/core/naming/refs';
import { previewInventoryTag } from '../../lib/core/naming/templates';
import { writeBuildRecord, type BuildRecord, type BuildTagRecord } from '../../lib/io/build-record';
import { resolveBuildTime } from '../../lib/io/build-time';
import { assertEngineRunning, buildxDriver, findDockerCli, tagImage, untagImage, type DockerCli } from '../../lib/io/docker';
import { currentBranch, headSha, remoteBranchTip, remoteUrl } from '../../lib/io/git';
import { createRegistryClient, type RegistryClient } from '../../lib/io/registry/oci-client';
import { ownSuites } from '../../lib/io/image-suites';
import { observeRevision } from '../../lib/io/revision';
import { log, outcome, taskOf } from '../outcome';
import { normalizeOptions, pinBases, type BuildFacts, type NormalizedBuild } from './normalize';
import { resolveBases } from './resolve-bases';
import { runImageBuildSteps, type BuildState } from './steps';
import type { DockerBuildExecutorSchema } from './schema';

export default function dockerBuildExecutor(options: DockerBuildExecutorSchema, context: ExecutorContext): Promise<{ success: boolean }> {
  return outcome(dockerBuild, options, context);
}

async function dockerBuild(options: DockerBuildExecutorSchema, context: ExecutorContext): Promise<void> {
  const { project: projectName, projectRoot = projectName, workspaceRoot, targetName } = taskOf(context, 'docker-build');
  const [gitBranch, sha, originUrl] = await Promise.all([
    currentBranch(workspaceRoot).catch(() => undefined),
    headSha(workspaceRoot).catch(() => undefined),
    remoteUrl(workspaceRoot).catch(() => undefined),
  ]);
  const now = new Date();
  const facts: BuildFacts = {
    projectName,
    projectRoot,
    workspaceRoot,
    settings: settingsFromOptions(options, targetName),
    env: process.env,
    gitBranch,
    headSha: sha,
    originUrl,
    now,
    buildTime: resolveBuildTime(options.buildTime, process.env, () => now),
    dockerfile: (path) => readFileSync(path, 'utf8'),
  };
  const normalized = normalizeOptions(options, facts);
  if (normalized.dryRun) {
    await dryRun(normalized, workspaceRoot);
    return;
  }

  const found = await findDockerCli();
  await assertEngineRunning(found.docker);
  const { build, cli } = await withEngineBuilder(normalized, found);
  const suites = build.test || build.skipTests ? await ownSuites(context, facts.settings, projectName) : [];
  const testing = build.test && suites.length > 0;
  // Whenever it pushes, the image's lock files are exported from it (so it must be in the engine first) and attached to its digest.
  const locking = build.push && build.platforms.length <= 1;
  const client = createRegistryClient({ registry: build.registry, env: process.env, retry: { attempts: 3 } });
  const resolved = await resolveBases(build, client, cli.usesEngineStore ? cli.docker : undefined);
  const notes = resolved.map((base) => `base ${base.image}: ${base.note}`);
  for (const note of notes) log.info(`${build.project}: ${note}`);
  if (build.push && build.forwardOnly) {
    const skipped = await newerPushOnRegistry(build, client, workspaceRoot);
    if (skipped) {
      log.warn(`${build.project}: ${skipped}`);
      await writeBuildRecord(workspaceRoot, recordOf(pinBases(build, resolved).build, cli, resolved, { skippedPush: skipped, notes }));
      return;
    }
  }
  const scratch = await mkdtemp(join(tmpdir(), 'fornax-docker-build-'));
  const localTags: Record<string, string> = {};
  try {
    // A base only in the local engine gets a tag of this build's own, so a build of it that lands meanwhile cannot change what this one reads.
    for (const base of resolved.filter((entry) => entry.source === 'local' && entry.id)) {
      const tag = `fornax-pin-${randomBytes(6).toString('hex')}`;
      await tagImage(cli.docker, base.id ?? '', `${nameOf(build, base)}:${tag}`);
      localTags[base.image] = tag;
    }
    const pinned = pinBases(build, resolved, localTags);
    const file = pinned.dockerfile === build.dockerfileText ? build.file : await writePinnedDockerfile(scratch, build.file, pinned.dockerfile);
    // Tests and the lock export run on the image in the engine, which is then what is pushed.
    const plan = planBuild(planInput(withCache({ ...pinned.build, file, pushAfterLoad: build.push && (testing || locking) }, cli), cli, scratch));
    printPlan(pinned.build, cli, plan, workspaceRoot, notes);
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
    const path = await writeBuildRecord(workspaceRoot, recordOf(pinned.build, cli, resolved, { digest, imageId, skippedPush, notes, startedAt, buildTags, tests, locks }));
    log.info(
      build.push
        ? `${build.project}: pushed ${build.references.join(', ')}${digest ? ` (${digest})` : ''}`
        : `${build.project}: built ${build.references.join(', ')} into the local engine (not pushed)`,
    );
    log.info(`${build.project}: record written to ${relative(workspaceRoot, path)}`);
  } finally {
    for (const base of resolved) {
      const tag = localTags[base.image];
      if (tag) await untagImage(cli.docker, `${nameOf(build, base)}:${tag}`).catch(() => undefined);
    }
    await rm(scratch, { recursive: true, force: true });
  }
}

/** The engine's own builder for a build that does not push, when the current one is a buildx builder in a container (see wantsEngineBuilder). */
async function withEngineBuilder(build: NormalizedBuild, cli: DockerCli): Promise<{ build: NormalizedBuild; cli: DockerCli }> {
  if (!wantsEngineBuilder({ ...build, mode: cli.mode, usesEngineStore: cli.usesEngineStore })) return { build, cli };
  if ((await buildxDriver(cli.docker, 'default')) !== 'docker') return { build, cli };
  log.info(`${build.project}: not pushing, so building with buildx's default builder (the docker driver), which sees the images in the engine`);
  return { build: { ...build, builder: 'default' }, cli: { ...cli, usesEngineStore: true } };
}

/** The plan, with each base resolved as far as the registry (and a running engine) can be read; nothing is built, tagged or written. */
async function dryRun(normalized: NormalizedBuild, workspaceRoot: string): Promise<void> {
  const found = await findDockerCli().catch((): DockerCli => ({ docker: 'docker', mode: 'buildx', usesEngineStore: false }));
  const { build, cli } = await withEngineBuilder(normalized, found);
  const engine = cli.usesEngineStore && (await assertEngineRunning(cli.docker).then(() => true, () => false));
  const client = createRegistryClient({ registry: build.registry, env: process.env, retry: { attempts: 1 }, timeoutMs: 10_000 });
  let resolved: ResolvedBase[];
  let notes: string[];
  try {
    resolved = await resolveBases(build, client, engine ? cli.docker : undefined);
    notes = resolved.map((base) => `base ${base.image}: ${base.note}; the build reads it by ${base.source === 'registry' ? 'digest' : 'a tag of its own'}`);
  } catch (error) {
    // Assume each base's first tag, so the plan still shows the build args and labels a build would start from.
    resolved = build.bases.map(({ question }) => {
      const tag = question.tags[0] ?? '';
      return { image: question.image, reference: `${question.name}:${tag}`, tag, source: 'registry', note: 'not resolved' };
    });
    notes = [`bases not resolved now (${errorMessage(error)}); a build resolves each on its own`];
  }
  const localTags = Object.fromEntries(resolved.filter((base) => base.source === 'local').map((base) => [base.image, '<tag of this build>']));
  const pinned = pinBases(build, resolved, localTags);
  const file = pinned.dockerfile === build.dockerfileText ? build.file : join('<tmp>', basename(build.file));
  const plan = planBuild(planInput(withCache({ ...pinned.build, file }, cli), cli, '<tmp>'));
  printPlan(pinned.build, cli, plan, workspaceRoot, notes);
  if (file !== build.file) {
    log.info(`  ${file}: ${relative(workspaceRoot, build.file)} with each base read as:`);
    for (const { question } of build.bases) {
      const base = resolved.find((entry) => entry.image === question.image);
      const tag = localTags[question.image];
      log.info(`    ${question.image} -> ${base?.source === 'local' ? `${question.name}:${tag ?? ''}` : `${question.name}@${base?.digest ?? ''}`}`);
    }
  }
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
  extra: { digest?: string; imageId?: string; skippedPush?: string; notes: string[]; startedAt?: string; tests?: TestResult; locks?: BuildRecord['locks']; buildTags?: BuildTagRecord[] },
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
    ...(extra.startedAt ? { startedAt: extra.startedAt } : {}),
    finishedAt: new Date().toISOString(),
  };
}

/** Tags only move forward: why this push must be skipped, or undefined to push. */
async function newerPushOnRegistry(build: NormalizedBuild, client: RegistryClient, cwd: string): Promise<string | undefined> {
  const path = `${build.repository}/${build.image}`;
  const observed = await observeRevision(client, cwd, path, build.tag, build.revision);
  if (observed.kind === 'unreadable') {
    log.warn(`${build.project}: could not read ${path}:${build.tag} to check it is older (${observed.reason}); pushing.`);
    return undefined;
  }
  const current = observed.kind === 'present' ? observed.revision : undefined;
  const ancestor = observed.kind === 'present' && observed.isAncestor;
  const tip = current && !ancestor && build.branch ? await remoteBranchTip(cwd, build.branch) : undefined;
  const decision = pushDecision(current, ancestor, build.revision, `${imageName(build)}:${build.tag}`, {
    stillBranchTip: tip !== undefined && tip === build.revision,
  });
  log.info(`${build.project}: ${decision.reason}`);
  return decision.push ? undefined : decision.reason;
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
