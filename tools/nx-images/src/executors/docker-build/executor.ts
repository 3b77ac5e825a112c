import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { logger, type ExecutorContext } from '@nx/devkit';
import { planBuild, type BuildPlan } from '../../lib/build-plan';
import { writeBuildRecord, type BuildRecord } from '../../lib/build-record';
import { assertEngineRunning, digestFromMetadata, findDockerCli, pushedDigest, type DockerCli } from '../../lib/docker';
import { CommandError, run } from '../../lib/exec';
import { errorMessage, UserError } from '../../lib/errors';
import { currentBranch, headSha, remoteUrl } from '../../lib/git';
import { commandLine } from '../../lib/quote';
import { normalizeOptions, type NormalizedBuild } from './normalize';
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
  const build = normalizeOptions(options, {
    projectName,
    projectRoot,
    workspaceRoot,
    env: process.env,
    gitBranch,
    headSha: sha,
    originUrl,
    now: new Date(),
    dockerfile: (path) => readFileSync(path, 'utf8'),
  });

  if (build.dryRun) {
    const cli = await findDockerCli().catch(() => ({ docker: 'docker', mode: 'buildx' as const }));
    const plan = planBuild(planInput(build, cli, '<tmp>'));
    printPlan(build, cli, plan, workspaceRoot);
    return;
  }

  const cli = await findDockerCli();
  const scratch = await mkdtemp(join(tmpdir(), 'fornax-docker-build-'));
  try {
    const plan = planBuild(planInput(build, cli, scratch));
    printPlan(build, cli, plan, workspaceRoot);
    await assertEngineRunning(cli.docker);
    await runStep(build, 'build', plan.build, 'fix the Dockerfile or the build args; the build output above shows the failing step.');
    for (const push of plan.push) {
      await runStep(build, 'push', push, `log in with "docker login ${build.registry}" (in CI: the packages: write permission) and check the repository name.`);
    }
    let digest: string | undefined;
    if (build.push) {
      digest =
        cli.mode === 'buildx'
          ? await digestFromMetadata(join(scratch, 'metadata.json'))
          : await pushedDigest(cli.docker, build.references[0]!);
    }
    const imageId = readFileSync(join(scratch, 'iid'), 'utf8').trim() || undefined;
    const record: BuildRecord = {
      project: build.project,
      image: build.image,
      reference: build.references[0]!,
      tag: build.tag,
      references: build.references,
      pushed: build.push,
      ...(digest ? { digest } : {}),
      ...(imageId ? { imageId } : {}),
      revision: build.revision,
      ...(build.baseImage ? { baseImage: build.baseImage } : {}),
      builder: `${cli.docker} (${cli.mode})`,
      finishedAt: new Date().toISOString(),
    };
    const path = await writeBuildRecord(workspaceRoot, record);
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

function planInput(build: NormalizedBuild, cli: DockerCli, scratch: string) {
  return {
    docker: cli.docker,
    mode: cli.mode,
    references: build.references,
    context: build.context,
    file: build.file,
    target: build.target,
    platforms: build.platforms,
    cacheFrom: build.cacheFrom,
    cacheTo: build.cacheTo,
    pull: build.pull,
    noCache: build.noCache,
    builder: build.builder,
    secrets: build.secrets,
    buildArgs: build.buildArgs,
    labels: build.labels,
    push: build.push,
    metadataFile: join(scratch, 'metadata.json'),
    iidFile: join(scratch, 'iid'),
  };
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
