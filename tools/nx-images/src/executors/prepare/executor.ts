import { existsSync } from 'node:fs';
import { cp, mkdir, rm } from 'node:fs/promises';
import { dirname, relative } from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { pinnedReference, type ResolvedBase } from '../../lib/core/dockerfile/bases';
import { UserError } from '../../lib/core/errors';
import { buildDependencies, imageTargetNames, isImageProject, type ProjectLike } from '../../lib/core/graph/image-project';
import { defaultBranchOf } from '../../lib/core/graph/plugin-entry';
import { assertEngineRunning, extractFromImage, findDockerCli } from '../../lib/io/docker';
import { CommandError } from '../../lib/io/exec';
import { isIgnored, trackedFiles } from '../../lib/io/git';
import { gatherFacts } from '../../lib/io/workspace-facts';
import { createRegistryClient } from '../../lib/io/registry/oci-client';
import { resolveImage } from '../../lib/io/resolve-image';
import { outcome, taskOf, type Log } from '../outcome';
import { normalizePrepareOptions, type ExtractStep, type NormalizedPrepare } from './normalize';
import type { PrepareExecutorSchema } from './schema';

export default function prepareExecutor(options: PrepareExecutorSchema, context: ExecutorContext): Promise<{ success: boolean }> {
  return outcome(prepare, options, context);
}

async function prepare(options: PrepareExecutorSchema, context: ExecutorContext, log: Log): Promise<void> {
  const { project: projectName, projectRoot = projectName, workspaceRoot } = taskOf(context, 'prepare');
  const projects = context.projectsConfigurations?.projects ?? {};
  const project = projects[projectName];
  const { gitBranch, originUrl } = await gatherFacts(workspaceRoot);
  const step = normalizePrepareOptions(options, {
    projectName,
    projectRoot,
    workspaceRoot,
    images: Object.keys(projects).filter((name) => isImageProject(projects[name] ?? {})).sort(),
    buildDependencies: buildDependencies({ name: projectName, ...(project as ProjectLike | undefined) }),
    buildTarget: imageTargetNames(project ?? {}).build,
    // A step is the project's own target, not one the plugin infers: nx.json's defaultBase, never the plugin's entry.
    defaultBranch: defaultBranchOf(context.nxJsonConfiguration),
    env: process.env,
    ...(gitBranch ? { gitBranch } : {}),
    ...(originUrl ? { originUrl } : {}),
  });
  await refuseTrackedTargets(step);
  if (step.dryRun) {
    log.info(`${projectName}: dry run, nothing is written`);
    for (const copy of step.copies) log.info(`  copy     ${copy.shownFrom} -> ${copy.shownTo}`);
    for (const extract of step.extracts) {
      log.info(`  extract  ${extract.image}:${extract.path} -> ${extract.shownTo} (from ${extract.question.tags.map((tag) => `${extract.question.name}:${tag}`).join(', else ')}${step.push ? ', the registry only' : ', the local engine first'})`);
    }
    return;
  }

  for (const copy of step.copies) {
    if (!existsSync(copy.from)) throw new UserError({ image: projectName, subject: 'prepare option copy', problem: `${copy.shownFrom} does not exist`, fix: 'fix "from", or create the file' });
    await replaceWith(copy.to, () => cp(copy.from, copy.to, { recursive: true, force: true, errorOnExist: false }));
    log.info(`${projectName}: copied ${copy.shownFrom} to ${copy.shownTo}`);
  }
  if (step.extracts.length > 0) {
    const cli = await findDockerCli();
    await assertEngineRunning(cli);
    const { docker } = cli;
    const client = createRegistryClient({ registry: step.registry, env: process.env, retry: { attempts: 3 } });
    for (const extract of step.extracts) {
      const base = await resolveExtractSource(step, extract, client, docker);
      const source = pinnedReference(base, extract.question.name, undefined) ?? base.id ?? base.reference;
      try {
        await replaceWith(extract.to, () => extractFromImage(docker, base.source === 'local' ? (base.id ?? source) : source, extract.path, extract.to));
      } catch (error) {
        if (!(error instanceof CommandError)) throw error;
        throw new UserError({
          subject: projectName,
          problem: `could not copy ${extract.path} out of ${base.reference} (${error.stderr.split('\n').at(-1) ?? error.message})`,
          fix: `fix the path, or check that ${extract.image} puts it there`,
        });
      }
      log.info(`${projectName}: extracted ${extract.path} of ${extract.image} to ${extract.shownTo}: ${base.note}`);
    }
  }
  for (const written of [...step.copies, ...step.extracts]) {
    if (!(await isIgnored(workspaceRoot, relative(workspaceRoot, written.to)))) {
      log.warn(`${projectName}: ${written.shownTo} is not ignored by git: add it to .gitignore, or it may be committed and make ${projectName} affected on the next push.`);
    }
  }
}

/** The image to extract from, resolved as docker-build resolves a base: this run's tag, else the fallback; the local engine first when not pushing. */
function resolveExtractSource(step: NormalizedPrepare, extract: ExtractStep, client: ReturnType<typeof createRegistryClient>, docker: string): Promise<ResolvedBase> {
  return resolveImage(extract.question, `${step.repository}/${extract.image}`, client, docker, step.project);
}

/** What a step writes replaces what was there; a failed write leaves nothing half-done. */
async function replaceWith(target: string, write: () => Promise<unknown>): Promise<void> {
  await rm(target, { recursive: true, force: true });
  await mkdir(dirname(target), { recursive: true });
  try {
    await write();
  } catch (error) {
    await rm(target, { recursive: true, force: true });
    throw error;
  }
}

/** A step replaces what is at its targets: never a file git tracks (a Dockerfile, a committed kernel). */
async function refuseTrackedTargets(step: NormalizedPrepare): Promise<void> {
  for (const written of [...step.copies, ...step.extracts]) {
    const tracked = await trackedFiles(step.workspaceRoot, relative(step.workspaceRoot, written.to)).catch(() => []);
    if (tracked.length > 0) {
      throw new UserError({
        subject: step.project,
        problem: `the prepare step would replace ${tracked.slice(0, 3).join(', ')}${tracked.length > 3 ? ' and more' : ''}, which git tracks`,
        fix: 'write to a path of its own and add it to .gitignore (or git rm --cached what was committed there)',
      });
    }
  }
}
