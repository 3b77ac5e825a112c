import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { buildRunArgs } from '../lib/core/ci/ci-plan';
import { baseInRun, imageArtifact, readFanoutPlan, type FanoutPlan } from '../lib/core/ci/fanout';
import { UserError } from '../lib/core/errors';
import { LABEL } from '../lib/core/naming/conventions';
import { commandLine } from '../lib/core/quote';
import { isValidImageName } from '../lib/core/naming/refs';
import { builtSubject, builtSubjectOutputs } from '../lib/core/ci/provenance';
import { buildRecordPath, outcomeRecordPath, readBuildRecord, writeOutcomeRecord, type OutcomeRecord } from '../lib/io/build-record';
import { findDockerCli, loadImage, saveImage } from '../lib/io/docker';
import { writeStepOutputs } from '../lib/io/github-output';
import { CommandError, run } from '../lib/io/exec';
import { headSha, isShallow } from '../lib/io/git';
import { nxCommand } from '../lib/io/nx-cli';
import { createRegistryClient } from '../lib/io/registry/oci-client';
import { observeRevision } from '../lib/io/revision';
import { retestImage } from './retest';
import { runStepsBeforeBuild } from './steps-before-build';
import { differencesFile, keepImageDifferences, resultOfBuild } from './step-summary';

/** Where an image job leaves the image a pull request built, for the next levels: `dist/ci-artifacts/image-<name>/<name>.tar.zst`. */
export function artifactFile(cwd: string, image: string): string {
  return join(cwd, 'dist', 'ci-artifacts', imageArtifact(image), `${image}.tar.zst`);
}

/** Where a downloaded base is: download-artifact puts each artifact a pattern matched in a folder of its name, one alone maybe at the top. */
function downloadedFile(cwd: string, image: string): string | undefined {
  return [artifactFile(cwd, image), join(cwd, 'dist', 'ci-artifacts', `${image}.tar.zst`)].find((file) => existsSync(file));
}

/**
 * `npm run ci:images -- --image`: one job of a level builds exactly one
 * image (IMAGE) of the plan the plan job made (IMAGES_PLAN), deciding
 * nothing anew. Its bases of this run come from the registry when the run
 * pushes (only if built from this run's commit), else from the artifacts
 * earlier levels left. Exit code: 0 built or skipped, 1 failed or stale; the
 * outcome is left in dist/ci-images/<image>.json for the summary job.
 */
export async function buildOne(cwd: string, env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<number> {
  const plan = readFanoutPlan(env.IMAGES_PLAN);
  const image = env.IMAGE?.trim() ?? '';
  const entry = plan.images.find((candidate) => candidate.image === image);
  if (isValidImageName(image) && !entry && (plan.retests ?? []).some((retest) => retest.image === image)) {
    await rm(outcomeRecordPath(cwd, image), { force: true });
    return (await retestImage(cwd, plan, image, log)).result === 'failed' ? 1 : 0;
  }
  if (!isValidImageName(image) || !entry) {
    throw new UserError({ subject: 'ci:images', problem: `IMAGE ${JSON.stringify(image)} is not an image of this plan`, fix: `give one of ${plan.images.map((candidate) => candidate.image).join(', ') || '(none)'}` });
  }
  if (await isShallow(cwd)) {
    throw new UserError({ subject: 'ci:images', problem: 'this is a shallow clone, so the revision labels cannot be checked', fix: 'check out with full history (actions/checkout with fetch-depth: 0)' });
  }
  const head = await headSha(cwd);
  if (head !== plan.head) {
    throw new UserError({ subject: 'ci:images', problem: `this job checked out ${head.slice(0, 12)}, but the plan is for ${plan.head.slice(0, 12)}`, fix: 'check out the commit the plan job checked out' });
  }
  await rm(outcomeRecordPath(cwd, image), { force: true });
  await rm(buildRecordPath(cwd, image), { force: true });
  await rm(differencesFile(cwd, image), { force: true });
  log(`ci:images: level ${entry.level}: ${image}${entry.takesFrom.length > 0 ? `, after ${entry.takesFrom.join(', ')} of this run` : ''}`);

  // Why the image cannot be built on its bases of this run, if it cannot.
  const blocked = plan.push ? await basesInRegistry(cwd, plan, entry.takesFrom) : await basesFromArtifacts(cwd, entry.takesFrom, log);
  if (blocked) {
    await writeOutcomeRecord(cwd, { image, ...blocked });
    log(`ci:images: ${image}: ${blocked.outcome}: ${blocked.reason ?? ''}`);
    return blocked.outcome === 'stale' ? 1 : 0;
  }

  const stepFailed = await runStepsBeforeBuild(plan, entry, cwd, log);
  if (stepFailed) {
    await writeOutcomeRecord(cwd, { image, outcome: 'failed', reason: stepFailed });
    log(`ci:images: ${image}: failed: ${stepFailed}`);
    return 1;
  }

  const args = buildRunArgs({ ...plan, images: [image], parallel: 1 });
  log(`ci:images: ${commandLine('nx', args)}`);
  try {
    await run(nxCommand(args, cwd), { stream: true });
  } catch (error) {
    if (!(error instanceof CommandError)) throw error;
  }
  const result = resultOfBuild(image, await readBuildRecord(cwd, image));
  if (result.outcome !== 'built') {
    await writeOutcomeRecord(cwd, { image, outcome: 'failed', reason: result.reason });
    log(`ci:images: ${image}: failed: ${result.reason}`);
    return 1;
  }
  const { record } = result;
  if (!plan.push && plan.images.some((candidate) => candidate.takesFrom.includes(image))) {
    const file = artifactFile(cwd, image);
    await mkdir(dirname(file), { recursive: true });
    const { docker } = await findDockerCli();
    await saveImage(docker, record.reference, file);
    log(`ci:images: ${image}: saved for the next levels as ${imageArtifact(image)} (nothing of a pull request is pushed)`);
  }
  await keepImageDifferences(cwd, plan, image, record, log);
  await writeOutcomeRecord(cwd, { image, outcome: 'built' });
  // The digest pushed, for the job's provenance attestation (skipped when empty).
  if (env.GITHUB_OUTPUT) await writeStepOutputs(env.GITHUB_OUTPUT, builtSubjectOutputs(builtSubject(record)));
  return 0;
}

/** Every base of this run must be in the registry from this run's commit; else the image is skipped, or the run is stale. */
async function basesInRegistry(cwd: string, plan: FanoutPlan, bases: readonly string[]): Promise<Omit<OutcomeRecord, 'image'> | undefined> {
  const client = createRegistryClient({ registry: plan.registry, retry: { attempts: 3 } });
  for (const base of bases) {
    const reference = `${plan.registry}/${plan.repository}/${base}:${plan.tag}`;
    const observed = await observeRevision(client, cwd, `${plan.repository}/${base}`, plan.tag, plan.head);
    if (observed.kind === 'unreadable') throw new UserError({ subject: 'ci:images', problem: `${reference} could not be read (${observed.reason})`, fix: 'check the registry and the job\'s login, then re-run this job' });
    // A newer run's commit is no ancestor of ours, and may not even be in this clone.
    const inputs = observed.kind === 'present' ? observed.labels[LABEL.inputs] : undefined;
    const seen = observed.kind === 'absent' ? observed : { kind: 'present' as const, revision: observed.commit ?? observed.revision, ancestorOfHead: observed.isAncestor, ...(inputs ? { inputs } : {}) };
    const decision = baseInRun(base, reference, plan.head, seen, plan.inputs?.[base]);
    if (decision.kind !== 'ready') return { outcome: decision.kind === 'stale' ? 'stale' : 'skipped', reason: decision.reason };
  }
  return undefined;
}

/** A pull request pushes nothing: each base of this run is loaded from the artifact its job left, or the image is skipped. */
async function basesFromArtifacts(cwd: string, bases: readonly string[], log: (line: string) => void): Promise<Omit<OutcomeRecord, 'image'> | undefined> {
  if (bases.length === 0) return undefined;
  const { docker } = await findDockerCli();
  for (const base of bases) {
    const file = downloadedFile(cwd, base);
    if (!file) return { outcome: 'skipped', reason: `takes from ${base}, which this run did not build (no artifact ${imageArtifact(base)})` };
    await loadImage(docker, file);
    log(`ci:images: loaded ${base} from the artifact ${imageArtifact(base)}`);
  }
  return undefined;
}
