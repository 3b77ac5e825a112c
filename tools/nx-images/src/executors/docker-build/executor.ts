import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { baseRecords, type ResolvedBase } from '../../lib/core/dockerfile/bases';
import { planBuild, registryCacheFor, wantsEngineBuilder, type BuildPlan, type BuildPlanInput } from '../../lib/core/build/build-plan';
import { pushDecision } from '../../lib/core/ci/compare-commits';
import { LABEL } from '../../lib/core/naming/conventions';
import { errorMessage, UserError } from '../../lib/core/errors';
import { describeResult, type TestResult } from '../../lib/core/evidence/image-tests';
import { settingsFromOptions } from '../../lib/core/graph/plugin-options';
import { commandLine } from '../../lib/core/quote';
import { imageName } from '../../lib/core/naming/refs';
import { testReportDir, writeBuildRecord, writeTestRecord, type BuildRecord, type BuildTagRecord } from '../../lib/io/build-record';
import { runSuites, type Suite } from '../../lib/io/image-tests';
import { attachLocks, exportLocks, type LockSet } from '../../lib/io/locks';
import { inventoryJson, type Inventory } from '../../lib/core/evidence/inventory';
import { inventoryFromLocks } from '../../lib/core/evidence/inventory-parse';
import { sbomJson } from '../../lib/core/evidence/sbom';
import { attachInventory, attachSbom } from '../../lib/io/inventory';
import { inventoryRecordPath, writeInventoryRecord } from '../../lib/io/build-record';
import { assertEngineRunning, buildxDriver, digestFromMetadata, findDockerCli, pushedDigest, tagImage, untagImage, type DockerCli } from '../../lib/io/docker';
import { CommandError, run } from '../../lib/io/exec';
import { currentBranch, headSha, remoteBranchTip, remoteUrl } from '../../lib/io/git';
import { createRegistryClient, type FullRegistryClient, type RegistryClient } from '../../lib/io/registry/oci-client';
import { observeRevision } from '../../lib/io/revision';
import { log, outcome } from '../outcome';
import { normalizeOptions, pinBases, type BuildFacts, type NormalizedBuild } from './normalize';
import { resolveBases } from './resolve-bases';
import { writeBuildTags } from './build-tags';
import { previewInventoryTag } from '../../lib/core/naming/templates';
import { attachTestResult, ownSuites, skippedResult } from './tests';
import type { DockerBuildExecutorSchema } from './schema';

export default function dockerBuildExecutor(options: DockerBuildExecutorSchema, context: ExecutorContext): Promise<{ success: boolean }> {
  return outcome(dockerBuild, options, context);
}

async function dockerBuild(options: DockerBuildExecutorSchema, context: ExecutorContext): Promise<void> {
  const projectName = context.projectName;
  if (!projectName) throw new UserError('docker-build runs for one project: run it as nx run <image>:docker-build.');
  const projectRoot = context.projectsConfigurations?.projects[projectName]?.root ?? projectName;
  const workspaceRoot = context.root;
  const [gitBranch, sha, originUrl] = await Promise.all([
    currentBranch(workspaceRoot).catch(() => undefined),
    headSha(workspaceRoot).catch(() => undefined),
    remoteUrl(workspaceRoot).catch(() => undefined),
  ]);
  const facts: BuildFacts = {
    projectName,
    projectRoot,
    workspaceRoot,
    settings: settingsFromOptions(options, 'docker-build'),
    env: process.env,
    gitBranch,
    headSha: sha,
    originUrl,
    now: new Date(),
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
    // Tests run on the image in the engine, which is then what is pushed.
    const plan = planBuild(planInput(withCache({ ...pinned.build, file, pushAfterLoad: build.push && (testing || locking) }, cli), cli, scratch));
    printPlan(pinned.build, cli, plan, workspaceRoot, notes);
    const startedAt = new Date().toISOString();
    await runStep(build, 'build', plan.build, 'fix the Dockerfile or the build args; the build output above shows the failing step.');
    const imageId = readFileSync(join(scratch, 'iid'), 'utf8').trim() || undefined;
    const tests = await testsBeforePush(build, cli, imageId, suites, workspaceRoot, (result) =>
      writeBuildRecord(workspaceRoot, { ...recordOf(pinned.build, cli, resolved, { imageId, notes, startedAt, tests: result }), pushed: false }),
    );
    const locks = await locksBeforePush(build, cli, imageId, locking);
    const inventory = await inventoryStep(build, locks, workspaceRoot);
    for (const push of plan.push) {
      await runStep(build, 'push', push, `log in with "docker login ${build.registry}" (in CI: the packages: write permission) and check the repository name.`);
    }
    let digest: string | undefined;
    let skippedPush: string | undefined;
    if (build.push && cli.mode === 'buildx' && plan.push.length === 0) {
      // buildx pushed itself; after --load and docker push, only the engine knows the digest it pushed.
      digest = await digestFromMetadata(join(scratch, 'metadata.json'));
    } else if (build.push && imageId) {
      // docker push takes a tag, and another build on this engine may have moved it since ours.
      digest = await pushedDigest(cli.docker, imageId, imageName(build));
      if (!digest) skippedPush = `another build on this engine took ${build.references[0] ?? ''} before this one was pushed; the registry has that build`;
    }
    if (skippedPush) log.warn(`${build.project}: ${skippedPush}`);
    if (digest) await attachEvidence(build, client, digest, tests, locks, workspaceRoot, inventory);
    const buildTags = digest ? await writeBuildTags(build, client, digest, inventory) : [];
    const lockRecord = locks && build.push ? { files: locks.index.files, ...(locks.index.note ? { note: locks.index.note } : {}) } : undefined;
    const path = await writeBuildRecord(workspaceRoot, recordOf(pinned.build, cli, resolved, { digest, imageId, skippedPush, notes, startedAt, buildTags, ...(tests ? { tests } : {}), ...(lockRecord ? { locks: lockRecord } : {}) }));
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

/**
 * The image's tests, run on the image in the engine before anything is
 * pushed (or the skipped result, when they were skipped). A
 * failure records the build unpushed and stops it.
 */
async function testsBeforePush(
  build: NormalizedBuild,
  cli: DockerCli,
  imageId: string | undefined,
  suites: Suite[],
  workspaceRoot: string,
  recordFailure: (tests: TestResult) => Promise<unknown>,
): Promise<TestResult | undefined> {
  if (suites.length === 0) return undefined;
  if (!build.test) {
    if (!build.skipTests) return undefined;
    log.info(`${build.project}: tests skipped: ${build.skipTests}`);
    return skippedResult(build.skipTests, suites);
  }
  if (!imageId) throw new UserError(`${build.project}: the build wrote no image ID, so its tests cannot address it: nothing was pushed; build again.`);
  const subject = { workspaceRoot, name: imageName(build), registry: build.registry, repository: build.repository, tag: build.tag };
  const tests = await runSuites(cli.docker, imageId, suites, testReportDir(workspaceRoot, build.project), subject);
  await writeTestRecord(workspaceRoot, build.project, tests);
  log.info(`${build.project}: tests ${describeResult(tests)}`);
  if (tests.result !== 'passed') {
    await recordFailure(tests);
    throw new UserError(`${build.project}: its tests ${describeResult(tests)}; nothing was pushed, every tag stays where it was. See ${relative(workspaceRoot, testReportDir(workspaceRoot, build.project))}/junit.xml.`);
  }
  return tests;
}

/**
 * The lock set of an image about to be pushed: exported from it in the
 * engine, or empty (with why) when a multi-platform build is not there. A
 * build that is not pushed exports it too, for its inventory; there a failing
 * lock command is a warning, as nothing is published.
 */
async function locksBeforePush(build: NormalizedBuild, cli: DockerCli, imageId: string | undefined, locking: boolean): Promise<LockSet | undefined> {
  if (!build.push) {
    if (!imageId || build.platforms.length > 1) return undefined;
    try {
      return await exportLocks(cli.docker, build.project, imageId, build.lockCommand);
    } catch (error) {
      log.warn(`${build.project}: no inventory for this build, which is not pushed: ${errorMessage(error)}`);
      return undefined;
    }
  }
  if (!locking) return { index: { image: build.project, files: [], note: 'a multi-platform build is not loaded into the engine, so no lock files were exported' }, files: [] };
  if (!imageId) throw new UserError(`${build.project}: the build wrote no image ID, so its lock files cannot be exported: nothing was pushed; build again.`);
  const locks = await exportLocks(cli.docker, build.project, imageId, build.lockCommand);
  log.info(`${build.project}: lock files: ${locks.files.length > 0 ? locks.index.files.join(', ') : `none (${locks.index.note ?? ''})`}`);
  return locks;
}

/**
 * The inventory of the image in the engine, read from its lock set: its
 * unreadable lines logged as warnings with file and line (the build goes
 * on), and written to dist/docker-build/<project>.inventory.json, pushed or
 * not; a build without a lock set leaves no file there (not a stale one).
 */
async function inventoryStep(build: NormalizedBuild, locks: LockSet | undefined, workspaceRoot: string): Promise<Inventory | undefined> {
  if (!locks) {
    await rm(inventoryRecordPath(workspaceRoot, build.project), { force: true });
    return undefined;
  }
  const { inventory, notes } = inventoryFromLocks(build.project, locks.files.map((file) => ({ name: file.name, text: file.bytes.toString('utf8') })));
  for (const note of notes) log.info(`${build.project}: inventory: ${note}`);
  for (const problem of inventory.problems) log.warn(`${build.project}: inventory: ${problem.file}:${problem.line}: ${problem.why}, left out: ${problem.text}`);
  const path = await writeInventoryRecord(workspaceRoot, build.project, inventoryJson(inventory));
  log.info(`${build.project}: inventory: ${inventory.packages.length} package(s) in ${new Set(inventory.packages.map((pkg) => pkg.environment)).size} environment(s), written to ${relative(workspaceRoot, path)}`);
  return inventory;
}

/** The inventory and its CycloneDX SBOM, each attached to the pushed digest as an artifact of its own type. */
async function attachInventoryEvidence(build: NormalizedBuild, client: FullRegistryClient, digest: string, inventory: Inventory): Promise<void> {
  const repoPath = `${build.repository}/${build.image}`;
  const attached = await attachInventory(client, repoPath, digest, inventory);
  log.info(`${build.project}: inventory (${inventory.packages.length} package(s)) attached to ${digest} as ${attached.digest}`);
  const sbom = sbomJson(inventory, { name: build.image, tag: build.tag, repositoryUrl: `${build.registry}/${repoPath}`, digest }, { now: new Date(), serialNumber: `urn:uuid:${randomUUID()}` });
  const attachedSbom = await attachSbom(client, repoPath, digest, sbom);
  log.info(`${build.project}: SBOM (CycloneDX 1.6, ${inventory.packages.length} component(s)) attached to ${digest} as ${attachedSbom.digest}`);
}

/** The test result, the lock set and the inventory with its SBOM, attached to the pushed digest in the registry. */
async function attachEvidence(
  build: NormalizedBuild,
  client: FullRegistryClient,
  digest: string,
  tests: TestResult | undefined,
  locks: LockSet | undefined,
  workspaceRoot: string,
  inventory: Inventory | undefined,
): Promise<void> {
  const repoPath = `${build.repository}/${build.image}`;
  if (tests) {
    const attached = await attachTestResult(client, repoPath, digest, tests, workspaceRoot, build.project);
    log.info(`${build.project}: test result (${tests.result}) attached to ${digest} as ${attached.digest} (listed by the ${attached.listedBy})`);
  }
  if (locks) {
    const attached = await attachLocks(client, repoPath, digest, locks);
    log.info(`${build.project}: lock set (${locks.files.length} file(s)) attached to ${digest} as ${attached.digest}`);
  }
  if (inventory) await attachInventoryEvidence(build, client, digest, inventory);
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

async function runStep(build: NormalizedBuild, step: string, command: { command: string; args: string[]; env?: Record<string, string> }, fix: string): Promise<void> {
  try {
    await run(command, { stream: true });
  } catch (error) {
    if (error instanceof CommandError) {
      const why = error.notFound ? 'could not be started' : `failed (exit code ${error.exitCode ?? 'none'})`;
      throw new UserError(`${build.project}: docker ${step} of ${build.references[0]} ${why}: ${fix}`);
    }
    throw error;
  }
}
