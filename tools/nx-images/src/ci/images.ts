/**
 * `npm run ci:images`: builds, tags and pushes the images a push changed.
 * Reads the GitHub environment when there is one; on a laptop it compares
 * against the merge-base with the default branch and pushes only with --push.
 * Options: --push, --dry-run.
 */
import { appendFile, readFile, rm } from 'node:fs/promises';
import { readBuildRecord, buildRecordPath } from '../lib/io/build-record';
import { chooseCompareCommits, eventFallbackCommit, groupByCompareCommit, type RegistryObservation } from '../lib/core/compare-commits';
import { LABEL, shortSha } from '../lib/core/conventions';
import { buildRunArgs, parallelFrom, whyAffected, workspaceFilesIn, type PlannedImage } from '../lib/core/ci-plan';
import { errorMessage, UserError } from '../lib/core/errors';
import { run, CommandError } from '../lib/io/exec';
import { currentBranch, hasCommit, headSha, isAncestor, isShallow, mergeBase, remoteUrl, resolveCommit } from '../lib/io/git';
import { readGithubContext, type GithubContext } from '../lib/core/github-event';
import { resolveRegistry, resolveRepository } from '../lib/core/image-settings';
import { affectedWithReasons, nxCommand, projectsWithTarget, type AffectedReason } from '../lib/io/nx-cli';
import { commandLine } from '../lib/core/quote';
import { createRegistryClient } from '../lib/io/registry/oci-client';
import { renderSummary, type SummaryRow } from '../lib/core/summary';
import { branchToTag } from '../lib/core/tags';

const TARGET = 'docker-build';

async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const flags = new Set(argv);
  for (const flag of flags) {
    if (!['--push', '--dry-run'].includes(flag)) throw new UserError(`ci:images: unknown argument ${JSON.stringify(flag)}: use --push or --dry-run.`);
  }
  const cwd = process.cwd();
  const event = env.GITHUB_EVENT_PATH ? (JSON.parse(await readFile(env.GITHUB_EVENT_PATH, 'utf8')) as unknown) : undefined;
  const context = readGithubContext(env, event);
  if (context.deleted) {
    console.log('ci:images: the push deleted the branch; nothing to build.');
    await writeSummary(context, 'The push deleted the branch; nothing was built.\n');
    return 0;
  }
  if (await isShallow(cwd)) {
    throw new UserError('ci:images: this is a shallow clone, so nothing can be compared: check out with full history (actions/checkout with fetch-depth: 0, or git fetch --unshallow).');
  }
  const head = await headSha(cwd);
  const branch = context.branch ?? (await currentBranch(cwd));
  if (!branch) throw new UserError('ci:images: HEAD is detached and GITHUB_REF_NAME is not set: check out a branch.');
  const tag = branchToTag(branch);
  const defaultTag = branchToTag(context.defaultBranch);
  const registry = resolveRegistry(undefined, env);
  const repository = resolveRepository(undefined, env, await remoteUrl(cwd).catch(() => undefined));
  const push = context.push || flags.has('--push');
  const parallel = parallelFrom(env.BUILD_PARALLEL);
  const images = await projectsWithTarget(cwd, TARGET);

  console.log(`ci:images: ${context.eventName} on ${branch} -> tag ${tag}, head ${shortSha(head)}, ${push ? 'push' : 'no push'} to ${registry}/${repository}`);
  let planned: PlannedImage[];
  const reasons: Record<string, AffectedReason[]> = {};
  const bases: string[] = [];
  if (context.dispatchImages !== undefined || (context.eventName === 'workflow_dispatch')) {
    const requested = context.dispatchImages ?? images;
    const unknown = requested.filter((image) => !images.includes(image));
    if (unknown.length > 0) throw new UserError(`ci:images: no image named ${unknown.join(', ')}: choose from ${images.join(', ')}.`);
    planned = requested.map((image) => ({ image, why: `requested by ${context.eventName === 'local' ? 'IMAGES' : 'workflow_dispatch'}` }));
  } else {
    const chosen = await chooseImageBases(cwd, context, { head, branch, tag, registry, repository, images });
    planned = [];
    for (const image of chosen.filter((entry) => entry.buildAnyway)) {
      console.log(`  ${image.image}: base -, head ${shortSha(head)}: built regardless (${image.reason})`);
      planned.push({ image: image.image, why: image.reason });
    }
    for (const group of groupByCompareCommit(chosen)) {
      bases.push(group.commit);
      const affected = await affectedWithReasons(cwd, TARGET, group.commit, head);
      Object.assign(reasons, Object.fromEntries(Object.entries(affected).filter(([project]) => group.images.includes(project))));
      for (const image of group.images) {
        const why = chosen.find((entry) => entry.image === image)?.reason ?? '';
        const hit = affected[image];
        console.log(`  ${image}: base ${shortSha(group.commit)} (${why}), head ${shortSha(head)}: ${hit ? `affected, ${whyAffected(hit)}` : 'not affected'}`);
        if (hit) planned.push({ image, base: group.commit, why: whyAffected(hit) });
      }
    }
  }

  const workspaceFiles = workspaceFilesIn(reasons);
  if (workspaceFiles.length > 0) console.log(`ci:images: ${workspaceFiles.join(', ')} changed, so Nx treats every image as affected.`);
  const args = buildRunArgs({ images: planned.map((entry) => entry.image), tag, registry, repository, defaultTag, push, parallel });
  if (args.length === 0) {
    console.log('ci:images: no image is affected; nothing to build.');
    await writeSummary(context, renderSummary([], { head, bases, workspaceFilesChanged: workspaceFiles, eventName: context.eventName }));
    return 0;
  }
  const command = nxCommand(args, cwd);
  console.log(`ci:images: ${commandLine('nx', args)}`);
  if (flags.has('--dry-run')) return 0;

  // A stale record from an earlier run must not pass for this run's result.
  for (const entry of planned) await rm(buildRecordPath(cwd, entry.image), { force: true });
  let failedRun = false;
  try {
    await run(command, { stream: true });
  } catch (error) {
    if (!(error instanceof CommandError)) throw error;
    failedRun = true;
  }
  const rows: SummaryRow[] = [];
  const failed: string[] = [];
  for (const entry of planned) {
    const record = await readBuildRecord(cwd, entry.image);
    if (!record) failed.push(entry.image);
    rows.push({
      image: entry.image,
      tag,
      pushed: record?.pushed ?? false,
      ...(record?.digest ? { digest: record.digest } : {}),
      ...(record?.skippedPush ? { skippedReason: record.skippedPush } : {}),
      ...(record?.baseImage ? { baseImage: record.baseImage } : {}),
      ...(record?.baseDigest ? { baseDigest: record.baseDigest } : {}),
      why: entry.why,
      ...(record ? {} : { failed: 'the build failed; see its log above' }),
    });
  }
  await writeSummary(context, renderSummary(rows, { head, bases, workspaceFilesChanged: workspaceFiles, eventName: context.eventName }));
  if (failed.length > 0 || failedRun) {
    console.error(`ci:images: failed: ${failed.length > 0 ? failed.join(', ') : 'nx run-many'}; the other images were built.`);
    return 1;
  }
  return 0;
}

interface ImageFacts {
  head: string;
  branch: string;
  tag: string;
  registry: string;
  repository: string;
  images: string[];
}

/** What each image is compared against: the registry's record first, the event as the fallback. */
async function chooseImageBases(cwd: string, context: GithubContext, facts: ImageFacts) {
  const pullRequest = context.eventName === 'pull_request';
  const compareBranch = pullRequest ? (context.pullRequest?.baseRef ?? context.defaultBranch) : context.defaultBranch;
  const compareCommit =
    (pullRequest && context.pullRequest?.baseSha && (await hasCommit(cwd, context.pullRequest.baseSha)) ? context.pullRequest.baseSha : undefined) ??
    (await resolveCommit(cwd, `refs/remotes/origin/${compareBranch}`)) ??
    (await resolveCommit(cwd, `refs/heads/${compareBranch}`));
  const base = compareCommit ? await mergeBase(cwd, compareCommit, facts.head) : undefined;
  const onDefaultBranch = !pullRequest && facts.branch === context.defaultBranch;
  const beforeIsAncestor =
    context.before !== undefined && (await hasCommit(cwd, context.before)) && (await isAncestor(cwd, context.before, facts.head));
  const eventFallback = eventFallbackCommit(context, { beforeIsAncestor, mergeBase: base, onDefaultBranch });
  const observations: Record<string, RegistryObservation> = {};
  if (!pullRequest) {
    const client = createRegistryClient({ registry: facts.registry, retry: { attempts: 2 } });
    for (const image of facts.images) {
      try {
        const labels = await client.readLabels(`${facts.repository}/${image}`, facts.tag);
        if (!labels) {
          observations[image] = { kind: 'absent' };
        } else {
          const revision = labels[LABEL.revision];
          const revisionIsAncestor = revision !== undefined && (await isAncestor(cwd, revision, facts.head));
          observations[image] = { kind: 'present', revision, revisionIsAncestor };
        }
      } catch (error) {
        observations[image] = { kind: 'unreadable', reason: errorMessage(error) };
      }
    }
  }
  return chooseCompareCommits({
    images: facts.images,
    observations,
    onDefaultBranch,
    defaultBranch: context.defaultBranch,
    mergeBaseWithDefault: base,
    eventFallback,
    eventOnly: pullRequest,
  });
}

async function writeSummary(context: GithubContext, markdown: string): Promise<void> {
  if (context.stepSummaryPath) await appendFile(context.stepSummaryPath, `## Images\n\n${markdown}`);
}

main(process.argv.slice(2), process.env).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof UserError ? errorMessage(error) : `ci:images: ${errorMessage(error)}`);
    process.exitCode = 1;
  },
);
