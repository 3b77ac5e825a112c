import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { logger, type ExecutorContext } from '@nx/devkit';
import { planBuild, registryCacheFor, type BuildPlan, type BuildPlanInput } from '../../lib/core/build-plan';
import { pushDecision } from '../../lib/core/compare-commits';
import { LABEL } from '../../lib/core/conventions';
import { writeBuildRecord, type BuildRecord } from '../../lib/io/build-record';
import { assertEngineRunning, digestFromMetadata, findDockerCli, hasLocalImage, pushedDigest, type DockerCli } from '../../lib/io/docker';
import { CommandError, run } from '../../lib/io/exec';
import { errorMessage, UserError } from '../../lib/core/errors';
import { currentBranch, headSha, isAncestor, remoteBranchTip, remoteUrl } from '../../lib/io/git';
import { createRegistryClient, type RegistryClient } from '../../lib/io/registry/oci-client';
import { imageName, parseReference } from '../../lib/core/refs';
import { commandLine } from '../../lib/core/quote';
import { normalizeOptions, type BuildFacts, type NormalizedBuild } from './normalize';
import type { DockerBuildExecutorSchema } from './schema';

export default async function dockerBuildExecutor(
  options: DockerBuildExecutorSchema,
  context: ExecutorContext,
): Promise<{ success: boolean }> {
  const project = context.projectName ?? '(unknown project)';
  try {
    await dockerBuild(options, context);
    return { success: true };
  } catch (error) {
    const message = errorMessage(error);
    logger.error(message.startsWith(`${project}:`) ? message : `${project}: ${message}`);
    return { success: false };
  }
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
    env: process.env,
    gitBranch,
    headSha: sha,
    originUrl,
    now: new Date(),
    dockerfile: (path) => readFileSync(path, 'utf8'),
  };
  let build = normalizeOptions(options, facts);

  if (build.dryRun) {
    const cli = await findDockerCli().catch((): DockerCli => ({ docker: 'docker', mode: 'buildx', usesEngineStore: false }));
    const plan = planBuild(planInput(withCache(build, cli), cli, '<tmp>'));
    printPlan(build, cli, plan, workspaceRoot);
    return;
  }

  const cli = await findDockerCli();
  await assertEngineRunning(cli.docker);
  const client = createRegistryClient({ registry: build.registry, env: process.env, retry: { attempts: 3 } });
  const base = await chooseBase(build, cli, client);
  if (base) build = normalizeOptions(options, facts, base);
  if (build.push && build.forwardOnly) {
    const skipped = await newerPushOnRegistry(build, client, workspaceRoot);
    if (skipped) {
      logger.warn(`${build.project}: ${skipped}`);
      await writeBuildRecord(workspaceRoot, recordOf(build, cli, { skippedPush: skipped, baseNote: base?.note }));
      return;
    }
  }
  const scratch = await mkdtemp(join(tmpdir(), 'fornax-docker-build-'));
  try {
    const plan = planBuild(planInput(withCache(build, cli), cli, scratch));
    printPlan(build, cli, plan, workspaceRoot);
    if (base?.note) logger.info(`  base tag   ${base.note}`);
    await runStep(build, 'build', plan.build, 'fix the Dockerfile or the build args; the build output above shows the failing step.');
    for (const push of plan.push) {
      await runStep(build, 'push', push, `log in with "docker login ${build.registry}" (in CI: the packages: write permission) and check the repository name.`);
    }
    const imageId = readFileSync(join(scratch, 'iid'), 'utf8').trim() || undefined;
    let digest: string | undefined;
    let skippedPush: string | undefined;
    if (build.push && cli.mode === 'buildx') {
      digest = await digestFromMetadata(join(scratch, 'metadata.json'));
    } else if (build.push && imageId) {
      // docker push takes a tag, and another build on this engine may have moved it since ours.
      digest = await pushedDigest(cli.docker, imageId, imageName(build));
      if (!digest) skippedPush = `another build on this engine took ${build.references[0] ?? ''} before this one was pushed; the registry has that build`;
    }
    if (skippedPush) logger.warn(`${build.project}: ${skippedPush}`);
    const path = await writeBuildRecord(workspaceRoot, recordOf(build, cli, { digest, imageId, skippedPush, baseNote: base?.note }));
    logger.info(
      build.push
        ? `${build.project}: pushed ${build.references.join(', ')}${digest ? ` (${digest})` : ''}`
        : `${build.project}: built ${build.references.join(', ')} into the local engine (not pushed)`,
    );
    logger.info(`${build.project}: record written to ${relative(workspaceRoot, path)}`);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

function recordOf(
  build: NormalizedBuild,
  cli: DockerCli,
  extra: { digest?: string; imageId?: string; skippedPush?: string; baseNote?: string },
): BuildRecord {
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
    ...(extra.imageId ? { imageId: extra.imageId } : {}),
    revision: build.revision,
    ...(build.baseImage ? { baseImage: build.baseImage } : {}),
    ...(baseDigest ? { baseDigest } : {}),
    ...(extra.baseNote ? { baseNote: extra.baseNote } : {}),
    builder: `${cli.docker} (${cli.mode})`,
    finishedAt: new Date().toISOString(),
  };
}

/** The base's tag and digest, when the base is one of this repository's images. */
async function chooseBase(
  build: NormalizedBuild,
  cli: DockerCli,
  client: RegistryClient,
): Promise<{ baseImageTag: string; baseDigest?: string; note: string } | undefined> {
  if (!build.baseImage) return undefined;
  const parsed = parseReference(build.baseImage);
  const ours = parsed.registry === build.registry && parsed.path.startsWith(`${build.repository}/`);
  if (!ours || !parsed.tag || build.baseTagPinned) return undefined;
  let unreadable = false;
  const exists = async (tag: string): Promise<{ digest?: string } | undefined> => {
    const remote = await client.resolve(parsed.path, tag).catch(() => {
      unreadable = true;
      return undefined;
    });
    if (remote) return { digest: remote.digest };
    // Without a push the base was loaded into the local engine. The engine's own BuildKit builds FROM
    // it; a buildx builder in a container cannot see it and pulls from the registry instead.
    const local = !build.push && cli.usesEngineStore;
    if (local && (await hasLocalImage(cli.docker, `${parsed.registry}/${parsed.path}:${tag}`))) return {};
    return undefined;
  };
  let tag = parsed.tag;
  let found = await exists(tag);
  let note = `${parsed.path}:${tag} ${found ? 'exists' : 'is not built'}`;
  if (!found && build.baseTagFallback && build.baseTagFallback !== tag) {
    tag = build.baseTagFallback;
    found = await exists(tag);
    note = `${parsed.path}:${parsed.tag} does not exist; building FROM ${parsed.path}:${tag} (the default branch's)`;
  } else if (found) {
    note = `building FROM ${parsed.path}:${tag}, this branch's own`;
  }
  // Only when every place the build could read was asked: an unreadable registry or a buildx builder's own store leaves the verdict to the build.
  if (!found && !unreadable && (build.push || cli.usesEngineStore)) {
    throw new UserError(
      `${build.project}: its base image ${parsed.registry}/${parsed.path}:${tag} exists nowhere (not in the registry, not in the local engine): build the base first, or pass --baseTagFallback=<a tag the base has>.`,
    );
  }
  return { baseImageTag: tag, ...(found?.digest ? { baseDigest: found.digest } : {}), note };
}

/** Tags only move forward: why this push must be skipped, or undefined to push. */
async function newerPushOnRegistry(build: NormalizedBuild, client: RegistryClient, cwd: string): Promise<string | undefined> {
  const path = `${build.repository}/${build.image}`;
  let labels: Record<string, string> | undefined;
  try {
    labels = await client.readLabels(path, build.tag);
  } catch (error) {
    logger.warn(`${build.project}: could not read ${path}:${build.tag} to check it is older (${errorMessage(error)}); pushing.`);
    return undefined;
  }
  const current = labels?.[LABEL.revision];
  const ancestor = current ? await isAncestor(cwd, current, build.revision) : false;
  const tip = current && !ancestor && build.branch ? await remoteBranchTip(cwd, build.branch) : undefined;
  const decision = pushDecision(current, ancestor, build.revision, `${imageName(build)}:${build.tag}`, {
    stillBranchTip: tip !== undefined && tip === build.revision,
  });
  logger.info(`${build.project}: ${decision.reason}`);
  return decision.push ? undefined : decision.reason;
}

/** Adds the registry layer cache entries when `registryCache` is on. */
function withCache(build: NormalizedBuild, cli: DockerCli): NormalizedBuild {
  if (!build.registryCache) return build;
  const cache = registryCacheFor({
    kind: cli.usesEngineStore ? 'inline' : 'registry',
    name: imageName(build),
    tag: build.tag,
    defaultTag: build.baseTagFallback ?? 'main',
  });
  return { ...build, cacheFrom: [...build.cacheFrom, ...cache.cacheFrom], cacheTo: [...build.cacheTo, ...cache.cacheTo] };
}

function planInput(build: NormalizedBuild, cli: DockerCli, scratch: string): BuildPlanInput {
  return { ...build, docker: cli.docker, mode: cli.mode, metadataFile: join(scratch, 'metadata.json'), iidFile: join(scratch, 'iid') };
}

function printPlan(build: NormalizedBuild, cli: DockerCli, plan: BuildPlan, workspaceRoot: string): void {
  logger.info(`${build.project}: ${build.dryRun ? 'dry run, nothing is run' : 'building'}`);
  logger.info(`  image      ${build.references[0]}  (tag from ${build.tagFrom})`);
  for (const extra of build.references.slice(1)) logger.info(`  also       ${extra}`);
  logger.info(`  context    ${relative(workspaceRoot, build.context) || '.'}`);
  logger.info(`  dockerfile ${relative(workspaceRoot, build.file)}`);
  logger.info(`  base       ${build.baseImage ?? '(none: FROM scratch)'}`);
  logger.info(`  revision   ${build.revision}`);
  logger.info(`  push       ${build.push ? 'yes' : 'no, load into the local engine'}`);
  logger.info(`  builder    ${cli.docker} (${cli.mode === 'buildx' ? 'buildx' : 'built-in BuildKit'})`);
  for (const warning of plan.warnings) logger.warn(`  warning    ${warning}`);
  logger.info(commandLine(plan.build.command, plan.build.args, plan.build.env));
  for (const push of plan.push) logger.info(commandLine(push.command, push.args));
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
