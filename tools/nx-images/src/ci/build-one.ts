import { existsSync, readdirSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { buildRunArgs, type PlannedImage } from '../lib/core/ci/ci-plan';
import { baseInRun, imageArtifact, planJobs, readFanoutPlan, type FanoutPlan } from '../lib/core/ci/fanout';
import type { PlatformJob } from '../lib/core/ci/platform-jobs';
import { platformSlug } from '../lib/core/naming/platforms';
import { UserError } from '../lib/core/errors';
import { LABEL } from '../lib/core/naming/conventions';
import { commandLine } from '../lib/core/quote';
import { builtSubject, builtSubjectOutputs, subjectsMatrixOutput, type ProvenanceSubject } from '../lib/core/ci/provenance';
import { buildRecordPath, inventoryRecordPath, outcomeRecordPath, readBuildRecord, testRecordPath, testReportDir, writeOutcomeRecord, type OutcomeRecord } from '../lib/io/build-record';
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

/** Where an image job leaves an image a pull request built, for the next levels: `dist/ci-artifacts/image-<job>/<name>.tar.zst`. */
export function artifactFile(cwd: string, job: string, image: string): string {
  return join(cwd, 'dist', 'ci-artifacts', imageArtifact(job), `${image}.tar.zst`);
}

/** Where a downloaded base is: download-artifact puts each artifact a pattern matched in a folder of its name, one alone maybe at the top. A job downloads only its own platform's. */
function downloadedFile(cwd: string, image: string): string | undefined {
  const root = join(cwd, 'dist', 'ci-artifacts');
  const folders = existsSync(root) ? readdirSync(root, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => join(root, entry.name)) : [];
  return [root, ...folders].map((folder) => join(folder, `${image}.tar.zst`)).find((file) => existsSync(file));
}

/** Where a platform job leaves its records of one image for its level's merge job: `dist/ci-platforms/<image>/<os-arch>/`, laid out as the workspace's own dist/ (so the records' readers read it as a workspace root). */
export function partDir(cwd: string, image: string, platform: string): string {
  return join(cwd, 'dist', 'ci-platforms', image, platformSlug(platform));
}

/**
 * `npm run ci:images -- --image`: one job of a level builds exactly the
 * images IMAGE (one, or several when the level was packed) of the plan the
 * plan job made (IMAGES_PLAN), for PLATFORM when it names one, deciding
 * nothing anew. Its bases of this run come from the registry when the run
 * pushes (only if built from this run's commit), else from the artifacts
 * earlier levels left. Exit code: 0 built or skipped, 1 failed or stale; each
 * outcome is left in dist/ci-images/<image>.json for the summary job, or,
 * for one platform of an image of several, in dist/ci-platforms/ for the
 * level's merge job.
 */
export async function buildOne(cwd: string, env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<number> {
  const plan = readFanoutPlan(env.IMAGES_PLAN);
  const images = (env.IMAGE ?? '').split(',').map((name) => name.trim()).filter((name) => name !== '');
  const platform = env.PLATFORM?.trim() ?? '';
  const [only] = images;
  if (images.length === 1 && only && platform === '' && !plan.images.some((candidate) => candidate.image === only) && (plan.retests ?? []).some((retest) => retest.image === only)) {
    await rm(outcomeRecordPath(cwd, only), { force: true });
    return (await retestImage(cwd, plan, only, log)).result === 'failed' ? 1 : 0;
  }
  const job = planJobs(plan).flatMap((level) => level.jobs).find((candidate) => candidate.platform === platform && candidate.images.join(',') === images.join(','));
  if (!job) {
    const jobs = planJobs(plan).flatMap((level) => level.jobs.map((candidate) => `${candidate.images.join(',')}${candidate.platform ? ` (PLATFORM=${candidate.platform})` : ''}`));
    throw new UserError({ subject: 'ci:images', problem: `IMAGE ${JSON.stringify(env.IMAGE ?? '')}${platform ? ` for PLATFORM ${JSON.stringify(platform)}` : ''} is no job of this plan`, fix: `give one of ${jobs.join('; ') || '(none)'}` });
  }
  if (await isShallow(cwd)) {
    throw new UserError({ subject: 'ci:images', problem: 'this is a shallow clone, so the revision labels cannot be checked', fix: 'check out with full history (actions/checkout with fetch-depth: 0)' });
  }
  const head = await headSha(cwd);
  if (head !== plan.head) {
    throw new UserError({ subject: 'ci:images', problem: `this job checked out ${head.slice(0, 12)}, but the plan is for ${plan.head.slice(0, 12)}`, fix: 'check out the commit the plan job checked out' });
  }
  let code = 0;
  const subjects: ProvenanceSubject[] = [];
  for (const image of job.images) {
    const entry = plan.images.find((candidate) => candidate.image === image);
    if (!entry) continue;
    const built = await buildImage(cwd, plan, entry, job, log);
    if (built.code !== 0) code = 1;
    if (built.subject) subjects.push(built.subject);
    if (job.part) await keepPart(cwd, image, job.platform);
  }
  // The digest pushed, for the job's provenance attestation (skipped when empty); a packed job's several, for its attest job's matrix.
  if (env.GITHUB_OUTPUT) await writeStepOutputs(env.GITHUB_OUTPUT, { ...builtSubjectOutputs(subjects.length === 1 ? subjects[0] : undefined), ...subjectsMatrixOutput(subjects.length > 1 ? subjects : []) });
  return code;
}

/** One image of the job, for the job's platform: exit code 0 built or skipped, 1 failed or stale, and what it pushed. */
async function buildImage(cwd: string, plan: FanoutPlan, entry: PlannedImage, job: PlatformJob, log: (line: string) => void): Promise<{ code: number; subject?: ProvenanceSubject }> {
  const { image } = entry;
  await rm(outcomeRecordPath(cwd, image), { force: true });
  await rm(buildRecordPath(cwd, image), { force: true });
  await rm(differencesFile(cwd, image), { force: true });
  const on = job.part ? ` for ${job.platform}` : '';
  log(`ci:images: level ${entry.level}: ${image}${on}${entry.takesFrom.length > 0 ? `, after ${entry.takesFrom.join(', ')} of this run` : ''}`);

  // Why the image cannot be built on its bases of this run, if it cannot.
  const blocked = plan.push ? await basesInRegistry(cwd, plan, entry.takesFrom) : await basesFromArtifacts(cwd, entry.takesFrom, log);
  if (blocked) {
    await writeOutcomeRecord(cwd, { image, ...blocked });
    log(`ci:images: ${image}${on}: ${blocked.outcome}: ${blocked.reason ?? ''}`);
    return { code: blocked.outcome === 'stale' ? 1 : 0 };
  }

  const stepFailed = await runStepsBeforeBuild(plan, entry, cwd, log);
  if (stepFailed) {
    await writeOutcomeRecord(cwd, { image, outcome: 'failed', reason: stepFailed });
    log(`ci:images: ${image}${on}: failed: ${stepFailed}`);
    return { code: 1 };
  }

  const args = buildRunArgs({ ...plan, images: [image], parallel: 1, ...(job.part ? { platform: job.platform } : {}) });
  log(`ci:images: ${commandLine('nx', args)}`);
  try {
    await run(nxCommand(args, cwd), { stream: true });
  } catch (error) {
    if (!(error instanceof CommandError)) throw error;
  }
  const result = resultOfBuild(image, await readBuildRecord(cwd, image));
  if (result.outcome !== 'built') {
    await writeOutcomeRecord(cwd, { image, outcome: 'failed', reason: result.reason });
    log(`ci:images: ${image}${on}: failed: ${result.reason}`);
    return { code: 1 };
  }
  const { record } = result;
  if (!plan.push && plan.images.some((candidate) => candidate.takesFrom.includes(image))) {
    const file = artifactFile(cwd, job.id, image);
    await mkdir(dirname(file), { recursive: true });
    const { docker } = await findDockerCli();
    await saveImage(docker, record.reference, file);
    log(`ci:images: ${image}${on}: saved for the next levels as ${imageArtifact(job.id)} (nothing of a pull request is pushed)`);
  }
  await keepImageDifferences(cwd, plan, image, record, log);
  await writeOutcomeRecord(cwd, { image, outcome: 'built' });
  const subject = builtSubject(record);
  return { code: 0, ...(subject ? { subject } : {}) };
}

/** A platform job's records of one image move to dist/ci-platforms/, where its merge job finds them and the summary never does. */
async function keepPart(cwd: string, image: string, platform: string): Promise<void> {
  const dir = partDir(cwd, image, platform);
  await rm(dir, { recursive: true, force: true });
  const files = [
    outcomeRecordPath(cwd, image),
    differencesFile(cwd, image),
    buildRecordPath(cwd, image),
    inventoryRecordPath(cwd, image),
    testRecordPath(cwd, image),
    testReportDir(cwd, image),
  ];
  for (const file of files.filter((path) => existsSync(path))) {
    const to = join(dir, relative(cwd, file));
    await mkdir(dirname(to), { recursive: true });
    await rename(file, to);
  }
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
    if (!file) return { outcome: 'skipped', reason: `takes from ${base}, which this run did not build (no artifact downloaded holds ${base}.tar.zst)` };
    await loadImage(docker, file);
    const folder = basename(dirname(file));
    log(`ci:images: loaded ${base} from ${folder === 'ci-artifacts' ? 'the artifact downloaded' : `the artifact ${folder}`}`);
  }
  return undefined;
}
