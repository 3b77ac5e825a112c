import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BuildPlan } from '../../lib/core/build/build-plan';
import { pushStatus } from '../../lib/core/build/push-status';
import type { ResolvedBase } from '../../lib/core/dockerfile/bases';
import { errorMessage, UserError } from '../../lib/core/errors';
import { describeResult, skippedResult, type TestResult } from '../../lib/core/evidence/image-tests';
import { inventoryJson, type Inventory } from '../../lib/core/evidence/inventory';
import { inventoryFromLocks } from '../../lib/core/evidence/inventory-parse';
import { sbomJson } from '../../lib/core/evidence/sbom';
import { imageName } from '../../lib/core/naming/refs';
import { inventoryRecordPath, testReportDir, writeInventoryRecord, writeTestRecord, type BuildTagRecord } from '../../lib/io/build-record';
import { digestFromMetadata, pushedDigest, type DockerCli } from '../../lib/io/docker';
import { CommandError, run, runCaptured, type Command } from '../../lib/io/exec';
import { attachTestResult, runSuites, type Suite } from '../../lib/io/image-tests';
import { attachInventory, attachSbom } from '../../lib/io/inventory';
import { attachLocks, exportLocks, type LockSet } from '../../lib/io/locks';
import type { FullRegistryClient } from '../../lib/io/registry/oci-client';
import { isRetryableStatus, retryDelayMs, type RetryPolicy } from '../../lib/io/registry/transport';
import { log } from '../outcome';
import { writeBuildTags } from './build-tags';
import type { NormalizedBuild } from './normalize';

/**
 * A build after its bases are resolved and pinned, as a list of named
 * steps: each takes what the build knows so far and returns it with what it
 * added. The order is docs/layout.md's: build, test, export the locks, make the
 * inventory, push, attach the evidence, write the per-build tags. A step that
 * throws stops the build; nothing after it runs, so no tag moves.
 */
export interface BuildState {
  /** The build with its bases pinned. */
  readonly build: NormalizedBuild;
  readonly cli: DockerCli;
  readonly client: FullRegistryClient;
  readonly resolved: readonly ResolvedBase[];
  readonly plan: BuildPlan;
  /** The folder of this build's own files (iid, metadata.json, the pinned Dockerfile). */
  readonly scratch: string;
  readonly workspaceRoot: string;
  readonly suites: readonly Suite[];
  /** Whether the lock set is exported and attached: a push of one platform (the image must be in the engine). */
  readonly locking: boolean;
  /** Writes the record of a build whose tests failed, before the failure stops it. */
  readonly recordFailedTests: (state: BuildState) => Promise<unknown>;
  startedAt?: string;
  imageId?: string;
  tests?: TestResult;
  locks?: LockSet;
  inventory?: Inventory;
  digest?: string;
  skippedPush?: string;
  buildTags?: BuildTagRecord[];
}

export interface ImageBuildStep {
  name: string;
  run: (state: BuildState) => Promise<BuildState>;
}

export const IMAGE_BUILD_STEPS: readonly ImageBuildStep[] = [
  { name: 'build', run: buildImage },
  { name: 'test', run: testImage },
  { name: 'lock', run: exportLockSet },
  { name: 'inventory', run: makeInventory },
  { name: 'push', run: pushImage },
  { name: 'attach', run: attachEvidence },
  { name: 'tag', run: writeTags },
];

/** Runs the image build's own steps in order; the steps before the build (such as prepare) are targets of their own. */
export async function runImageBuildSteps(state: BuildState, steps: readonly ImageBuildStep[] = IMAGE_BUILD_STEPS): Promise<BuildState> {
  let current = state;
  for (const step of steps) current = await step.run(current);
  return current;
}

/** The build itself (BuildKit), and the image ID it wrote. */
async function buildImage(state: BuildState): Promise<BuildState> {
  const startedAt = new Date().toISOString();
  await runCommand(state.build, 'build', state.plan.build, 'fix the Dockerfile or the build args; the build output above shows the failing step.');
  const imageId = readFileSync(join(state.scratch, 'iid'), 'utf8').trim() || undefined;
  return { ...state, startedAt, imageId };
}

/**
 * The image's tests, run on the image in the engine before anything is
 * pushed (or the skipped result, when they were skipped). A failure records
 * the build unpushed and stops it.
 */
async function testImage(state: BuildState): Promise<BuildState> {
  const { build, suites, workspaceRoot, imageId } = state;
  if (suites.length === 0) return state;
  if (!build.test) {
    if (!build.skipTests) return state;
    log.info(`${build.project}: tests skipped: ${build.skipTests}`);
    return { ...state, tests: skippedResult(build.skipTests, suites) };
  }
  if (!imageId) throw new UserError({ subject: build.project, problem: 'the build wrote no image ID, so its tests cannot address it', fix: 'nothing was pushed; build again' });
  const subject = { workspaceRoot, name: imageName(build), registry: build.registry, repository: build.repository, tag: build.tag };
  const tests = await runSuites(state.cli.docker, imageId, [...suites], testReportDir(workspaceRoot, build.project), subject);
  await writeTestRecord(workspaceRoot, build.project, tests);
  log.info(`${build.project}: tests ${describeResult(tests)}`);
  if (tests.result !== 'passed') {
    await state.recordFailedTests({ ...state, tests });
    throw new UserError({
      subject: build.project,
      problem: `its tests ${describeResult(tests)}; nothing was pushed, every tag stays where it was`,
      fix: `see ${relative(workspaceRoot, testReportDir(workspaceRoot, build.project))}/junit.xml`,
    });
  }
  return { ...state, tests };
}

/**
 * The lock set of the image in the engine: exported from it, or empty (with
 * why) when a multi-platform push is not there. A build that is not pushed
 * exports it too, for its inventory; there a failing lock command is a
 * warning, as nothing is published.
 */
async function exportLockSet(state: BuildState): Promise<BuildState> {
  const { build, cli, imageId } = state;
  if (!build.push) {
    if (!imageId || build.platforms.length > 1) return state;
    try {
      return { ...state, locks: await exportLocks(cli.docker, build.project, imageId, build.lockCommand) };
    } catch (error) {
      log.warn(`${build.project}: no inventory for this build, which is not pushed: ${errorMessage(error)}`);
      return state;
    }
  }
  if (!state.locking) return { ...state, locks: { index: { image: build.project, files: [], note: 'a multi-platform build is not loaded into the engine, so no lock files were exported' }, files: [] } };
  if (!imageId) throw new UserError({ subject: build.project, problem: 'the build wrote no image ID, so its lock files cannot be exported', fix: 'nothing was pushed; build again' });
  const locks = await exportLocks(cli.docker, build.project, imageId, build.lockCommand);
  log.info(`${build.project}: lock files: ${locks.files.length > 0 ? locks.index.files.join(', ') : `none (${locks.index.note ?? ''})`}`);
  return { ...state, locks };
}

/**
 * The inventory of the image in the engine, read from its lock set: its
 * unreadable lines logged as warnings with file and line (the build goes
 * on), and written to dist/docker-build/<project>.inventory.json, pushed or
 * not; a build without a lock set leaves no file there (not a stale one).
 */
async function makeInventory(state: BuildState): Promise<BuildState> {
  const { build, locks, workspaceRoot } = state;
  if (!locks) {
    await rm(inventoryRecordPath(workspaceRoot, build.project), { force: true });
    return state;
  }
  const { inventory, notes } = inventoryFromLocks(build.project, locks.files.map((file) => ({ name: file.name, text: file.bytes.toString('utf8') })));
  for (const note of notes) log.info(`${build.project}: inventory: ${note}`);
  for (const problem of inventory.problems) log.warn(`${build.project}: inventory: ${problem.file}:${problem.line}: ${problem.why}, left out: ${problem.text}`);
  const path = await writeInventoryRecord(workspaceRoot, build.project, inventoryJson(inventory));
  log.info(`${build.project}: inventory: ${inventory.packages.length} package(s) in ${new Set(inventory.packages.map((pkg) => pkg.environment)).size} environment(s), written to ${relative(workspaceRoot, path)}`);
  return { ...state, inventory };
}

/** The push (when the build did not push itself), and the digest the registry has. */
async function pushImage(state: BuildState): Promise<BuildState> {
  const { build, cli, plan, imageId } = state;
  for (const push of plan.push) await pushWithRetries(build, push);
  if (build.push && cli.mode === 'buildx' && plan.push.length === 0) {
    // buildx pushed itself; after --load and docker push, only the engine knows the digest it pushed.
    return { ...state, digest: await digestFromMetadata(join(state.scratch, 'metadata.json')) };
  }
  if (!build.push || !imageId) return state;
  // docker push takes a tag, and another build on this engine may have moved it since ours.
  const digest = await pushedDigest(cli.docker, imageId, imageName(build));
  if (digest) return { ...state, digest };
  const skippedPush = `another build on this engine took ${build.references[0] ?? ''} before this one was pushed; the registry has that build`;
  log.warn(`${build.project}: ${skippedPush}`);
  return { ...state, skippedPush };
}

/** The test result, the lock set, and the inventory with its CycloneDX SBOM, each attached to the pushed digest as an artifact of its own type. */
async function attachEvidence(state: BuildState): Promise<BuildState> {
  const { build, client, digest, tests, locks, inventory } = state;
  if (!digest) return state;
  const repoPath = `${build.repository}/${build.image}`;
  if (tests) {
    const attached = await attachTestResult(client, repoPath, digest, tests, state.workspaceRoot, build.project);
    log.info(`${build.project}: test result (${tests.result}) attached to ${digest} as ${attached.digest} (listed by the ${attached.listedBy})`);
  }
  if (locks) {
    const attached = await attachLocks(client, repoPath, digest, locks);
    log.info(`${build.project}: lock set (${locks.files.length} file(s)) attached to ${digest} as ${attached.digest}`);
  }
  if (inventory) {
    const attached = await attachInventory(client, repoPath, digest, inventory);
    log.info(`${build.project}: inventory (${inventory.packages.length} package(s)) attached to ${digest} as ${attached.digest}`);
    const sbom = sbomJson(inventory, { name: build.image, tag: build.tag, repositoryUrl: `${build.registry}/${repoPath}`, digest }, { now: new Date(), serialNumber: `urn:uuid:${randomUUID()}` });
    const attachedSbom = await attachSbom(client, repoPath, digest, sbom);
    log.info(`${build.project}: SBOM (CycloneDX 1.6, ${inventory.packages.length} component(s)) attached to ${digest} as ${attachedSbom.digest}`);
  }
  return state;
}

/** The per-build tags (time, commit, versions from the inventory), written once beside the pushed digest. */
async function writeTags(state: BuildState): Promise<BuildState> {
  if (!state.digest) return { ...state, buildTags: [] };
  return { ...state, buildTags: await writeBuildTags(state.build, state.client, state.digest, state.inventory) };
}

/** Tries of one `docker push` when the registry answers a server error; each waits twice as long as the one before. */
const PUSH_RETRY: RetryPolicy = { attempts: 3, baseDelayMs: 1_000, maxDelayMs: 8_000 };

/**
 * One `docker push`, pushed again when the registry answered a server error
 * or asked to slow down (a registry under load, or storing the same layer for
 * two pushes at once). A push is idempotent: what the registry already has
 * is not sent again. Any other failure (a refused login, a missing image) is
 * final at once.
 */
async function pushWithRetries(build: NormalizedBuild, push: Command): Promise<void> {
  const reference = push.args.at(-1) ?? '';
  for (let attempt = 1; ; attempt += 1) {
    const result = await runCaptured(push, { keepBytes: 256 * 1024 });
    if (result.exitCode === 0) return;
    const status = pushStatus(result.output);
    const retryable = status !== undefined && isRetryableStatus(status);
    if (retryable && attempt < PUSH_RETRY.attempts) {
      const delay = retryDelayMs(attempt, undefined, PUSH_RETRY, Date.now());
      log.warn(`${build.project}: the registry answered HTTP ${status} to the push of ${reference}; pushing again in ${delay} ms (try ${attempt + 1} of ${PUSH_RETRY.attempts})`);
      await sleep(delay);
      continue;
    }
    if (result.exitCode === 127) throw new UserError({ subject: build.project, problem: `docker push of ${reference} could not be started`, fix: `check that ${push.command} is installed and on PATH` });
    const answered = status === undefined ? '' : `: the registry answered HTTP ${status}${retryable ? ` ${attempt} times` : ''}`;
    throw new UserError({
      subject: build.project,
      problem: `docker push of ${reference} failed (exit code ${result.exitCode})${answered}`,
      fix: retryable ? `check that ${build.registry} is up and healthy, then build again` : `log in with "docker login ${build.registry}" (in CI: the packages: write permission) and check the repository name`,
    });
  }
}

/** One docker command of the build, its failure one line naming the step and the fix. */
export async function runCommand(build: NormalizedBuild, step: string, command: Command, fix: string): Promise<void> {
  try {
    await run(command, { stream: true });
  } catch (error) {
    if (error instanceof CommandError) {
      const why = error.notFound ? 'could not be started' : `failed (exit code ${error.exitCode ?? 'none'})`;
      throw new UserError({ subject: build.project, problem: `docker ${step} of ${build.references[0]} ${why}`, fix });
    }
    throw error;
  }
}
