import { chooseCompareCommits, eventFallbackCommit, type RevisionObservation } from '../lib/core/ci/compare-commits';
import { placeInLevels, rebuildReason, skipTestsReason, type ChosenImage, type ImagesPlan, type PlannedImage } from '../lib/core/ci/ci-plan';
import { isSha, LABEL } from '../lib/core/naming/conventions';
import { UserError } from '../lib/core/errors';
import type { GithubContext } from '../lib/core/github/github-event';
import { imageGraph, levelsOf, registryImageOf, sharedTargetNames, type ImageGraph } from '../lib/core/graph/image-graph';
import { buildPlatforms, stepsBeforeBuild, type ProjectLike } from '../lib/core/graph/image-project';
import { isStepName } from '../lib/core/ci/fanout';
import { resolveRegistry, resolveRepository } from '../lib/core/graph/image-settings';
import { branchToTag } from '../lib/core/naming/tags';
import { publishesBranch } from '../lib/core/publish/publish';
import { readWorkspaceSettings } from '../lib/io/workspace-settings';
import { commitMessage, currentBranch, headSha, isShallow, mergeBase, remoteUrl, resolveCommit } from '../lib/io/git';
import { projectConfigurations } from '../lib/io/nx-cli';
import { commitReads, decideByInputs, inputsAtHead, type CommitReads, type Tagged } from './plan-inputs';
import { refreshImages } from './plan-refresh';
import { createRegistryClient } from '../lib/io/registry/oci-client';
import { commitLookup, observeRevision, type CommitLookup } from '../lib/io/revision';
import { missingSourcesAtCommit } from '../lib/io/context-sources';
import { missingSourceError } from '../lib/core/dockerfile/context-sources';

export interface PlanRequest {
  cwd: string;
  env: NodeJS.ProcessEnv;
  context: GithubContext;
  /** --push on a laptop. */
  push: boolean;
  /** --refresh: rebuild what moved outside images make stale, instead of what the push changed. */
  refresh?: boolean;
  /** --rebuild: build every image of the plan, taking none an earlier push built from the same inputs. */
  rebuild?: boolean;
  /** --registry and --repository, which win over the environment. */
  registry?: string | undefined;
  repository?: string | undefined;
  parallel: number;
  /** The clock, read once by the entry point: the run's build time. */
  now: Date;
}

/**
 * Decides everything a run of the image build decides and builds nothing:
 * which images, why, in which level of the image graph, with which tag,
 * pushed or not. The registry's revision labels say what was built before,
 * so a failed or cancelled run heals on the next push.
 */
export async function planImages(request: PlanRequest): Promise<ImagesPlan> {
  const { cwd, env, context } = request;
  // Every commit is looked up in git once for the whole plan: the event's commits and the registry's labels mostly name the same.
  const lookup = commitLookup(cwd);
  const heading = headSha(cwd);
  const byInputs = !(request.refresh === true || context.refreshAsked || context.eventName === 'workflow_dispatch' || context.dispatchImages !== undefined);
  const reads = commitReads(cwd);
  const comparing = byInputs ? heading.then((head) => gitCompareFacts(cwd, context, head, lookup)) : undefined;
  // Read ahead while Nx computes: HEAD's tree, and the commit the event compares with (what most images are compared with).
  if (comparing) void readAhead(reads, context, heading, comparing);
  // Still settled when the plan takes another road (or the clone turns out shallow) before reading it.
  comparing?.catch(() => undefined);
  // The clone's facts and the project graph at once: git answers while Nx computes.
  const [shallow, head, checkedOut, origin, projects, settings] = await Promise.all([
    isShallow(cwd),
    heading,
    context.branch === undefined ? currentBranch(cwd) : Promise.resolve(undefined),
    remoteUrl(cwd).catch(() => undefined),
    projectConfigurations(cwd),
    readWorkspaceSettings(cwd),
  ]);
  if (shallow) {
    throw new UserError({ subject: 'ci:images', problem: 'this is a shallow clone, so nothing can be compared', fix: 'check out with full history (actions/checkout with fetch-depth: 0, or git fetch --unshallow)' });
  }
  const branch = context.branch ?? checkedOut;
  if (!branch) throw new UserError({ subject: 'ci:images', problem: 'HEAD is detached and GITHUB_REF_NAME is not set', fix: 'check out a branch' });
  const registry = resolveRegistry(request.registry, env);
  const repository = resolveRepository(request.repository, env, origin);
  const graph = imageGraph(projects);
  // The build target's name as the plugin inferred it (buildTargetName), not as this file would spell it.
  const targetNames = sharedTargetNames(projects);
  const buildTarget = targetNames.build;
  const steps = stepsOf(graph.images, projects, buildTarget);
  const tag = branchToTag(branch);
  const headMessage = context.headMessage ?? (await commitMessage(cwd, context.pullRequest?.headSha ?? head));
  const skipTests = skipTestsReason(context, headMessage);
  const rebuild = rebuildReason(context, headMessage, request.rebuild === true);
  const push = context.push || request.push;
  const base = {
    eventName: context.eventName,
    head,
    branch,
    tag,
    defaultTag: branchToTag(context.defaultBranch),
    registry,
    repository,
    push,
    parallel: request.parallel,
    buildTime: request.now.toISOString(),
    graph,
    // Bases first, so a mirror has a base's layers before the images built on it mount them.
    allImages: levelsOf(graph, graph.images).flat(),
    publish: push && context.eventName !== 'pull_request' && publishesBranch(tag, settings.publishBranches),
    ...(graph.variants ? { variants: graph.variants } : {}),
    ...(skipTests ? { skipTests } : {}),
    ...(rebuild ? { rebuild } : {}),
    buildTarget,
    diffTarget: targetNames.diff,
    testTarget: targetNames.test,
    platformRunners: settings.platformRunners,
  };

  if (request.refresh === true || context.refreshAsked) {
    const refresh = await refreshImages({ graph, registry, repository, tag, env, dependents: settings.refreshDependents });
    const names = refresh.chosen.map((entry) => entry.image);
    await assertContextsComplete(cwd, head, projects, names);
    const inputs = await inputsAtHead(cwd, head, projects, names);
    return { ...base, images: withPlatforms(placeInLevels(graph, refresh.chosen, steps), projects), levels: levelsOf(graph, names), compareCommits: [], removed: [], unread: [], retests: [], moved: refresh.moved, inputs, lines: refresh.lines };
  }

  if (context.eventName === 'workflow_dispatch' || context.dispatchImages !== undefined) {
    const requested = context.dispatchImages ?? graph.images;
    const unknown = requested.filter((image) => !graph.images.includes(image));
    if (unknown.length > 0) throw new UserError({ subject: 'ci:images', problem: `no image named ${unknown.join(', ')}`, fix: `choose from ${graph.images.join(', ')}` });
    const why = `requested by ${context.eventName === 'local' ? 'IMAGES' : 'workflow_dispatch'}`;
    const chosen = requested.map((image): ChosenImage => ({ image, why }));
    await assertContextsComplete(cwd, head, projects, requested);
    const inputs = await inputsAtHead(cwd, head, projects, requested);
    return { ...base, images: withPlatforms(placeInLevels(graph, chosen, steps), projects), levels: levelsOf(graph, requested), compareCommits: [], removed: [], unread: [], retests: [], inputs, lines: [] };
  }

  const compared = await compareCommitsFor(cwd, context, { head, branch, tag, registry, repository, images: graph.images, variants: graph.variants }, comparing ?? gitCompareFacts(cwd, context, head, lookup), lookup);
  const decided = await decideByInputs({
    cwd,
    head,
    projects,
    images: graph.images,
    comparisons: compared.comparisons,
    tagged: compared.tagged,
    ...(compared.eventFallback.commit ? { pushCompare: compared.eventFallback.commit } : {}),
    settings,
    reads,
  });
  const chosen: ChosenImage[] = [];
  const lines: string[] = [];
  for (const decision of decided.decisions) {
    const comparison = compared.comparisons.find((entry) => entry.image === decision.image);
    if (decision.build) {
      lines.push(`${decision.image}: build: ${decision.why}`);
      chosen.push({ image: decision.image, ...(comparison?.commit && !comparison.buildAnyway ? { comparedWith: comparison.commit } : {}), why: decision.why });
    } else {
      lines.push(`${decision.image}: not affected: ${decision.why}${decision.retest ? `; its tests changed (${decision.retest.join(', ')}): retest` : ''}`);
    }
  }
  for (const { image, renamedTo } of decided.removed) lines.push(`${image}: removed${renamedTo ? ` (renamed to ${renamedTo})` : ''}: nothing to build; its tags are left alone`);
  for (const file of decided.unread) lines.push(`${file}: changed, read by no image's build or tests`);
  const names = chosen.map((entry) => entry.image);
  await assertContextsComplete(cwd, head, projects, names);
  const retests = decided.decisions.flatMap((decision) => (!decision.build && decision.retest ? [{ image: decision.image, files: decision.retest }] : []));
  return {
    ...base,
    images: withPlatforms(placeInLevels(graph, chosen, steps), projects),
    levels: levelsOf(graph, names),
    compareCommits: [...new Set(compared.comparisons.flatMap((entry) => (entry.commit && !entry.buildAnyway ? [entry.commit] : [])))],
    removed: decided.removed,
    unread: decided.unread,
    retests,
    inputs: Object.fromEntries(names.map((image) => [image, decided.inputs[image] ?? ''])),
    lines,
  };
}

/**
 * Refuses the plan, before any build, when an image it builds copies a
 * source its context lacks at the commit (a fresh clone's) and no step
 * before its build declares: one line naming the image, the instruction
 * and the fix, rather than a failure when BuildKit reaches it, possibly an
 * hour of bases later.
 */
async function assertContextsComplete(cwd: string, head: string, projects: Readonly<Record<string, ProjectLike>>, images: readonly string[]): Promise<void> {
  if (images.length === 0) return;
  const built = Object.fromEntries(images.flatMap((image) => (projects[image] ? [[image, { name: image, ...projects[image] }]] : [])));
  const failing = (await missingSourcesAtCommit(cwd, head, built)).filter((missing) => missing.fails);
  const [first] = failing;
  if (first) throw missingSourceError(first);
}

/** Each planned image with the platforms its build makes, when it names any: the fan-out gives each platform a job. */
function withPlatforms(images: PlannedImage[], projects: Readonly<Record<string, ProjectLike>>): PlannedImage[] {
  return images.map((entry) => {
    const project = projects[entry.image];
    const platforms = project ? buildPlatforms({ name: entry.image, ...project }) : [];
    return platforms.length > 0 ? { ...entry, platforms } : entry;
  });
}

/** Each image's steps before the build; a step CI could not run by name is refused. */
function stepsOf(images: readonly string[], projects: Readonly<Record<string, ProjectLike>>, buildTarget: string): Record<string, string[]> {
  const steps: Record<string, string[]> = {};
  for (const image of images) {
    steps[image] = stepsBeforeBuild({ name: image, ...projects[image] });
    const odd = steps[image].find((step) => !isStepName(step));
    if (odd !== undefined) {
      throw new UserError({
        subject: image,
        problem: `its ${buildTarget} depends on its target ${JSON.stringify(odd)}, which CI cannot run by name (nx run ${image}:<target>)`,
        fix: 'name the target with letters, digits, "_", "." and "-" only',
      });
    }
  }
  return steps;
}

interface ImageFacts {
  head: string;
  branch: string;
  tag: string;
  registry: string;
  repository: string;
  images: string[];
  variants: ImageGraph['variants'];
}

/** What git says of the commits the event names: the branch a push is compared with, its merge-base with HEAD, and whether the push's before is an ancestor. */
interface GitCompareFacts {
  mergeBaseCommit: string | undefined;
  beforeIsAncestor: boolean;
}

/** Reads only the clone and the event, not the graph: it runs while Nx computes the projects. */
async function gitCompareFacts(cwd: string, context: GithubContext, head: string, lookup: CommitLookup): Promise<GitCompareFacts> {
  const pullRequest = context.eventName === 'pull_request';
  const compareBranch = pullRequest ? (context.pullRequest?.baseRef ?? context.defaultBranch) : context.defaultBranch;
  const baseSha = pullRequest ? context.pullRequest?.baseSha : undefined;
  const [fromEvent, remote, local, beforeIsAncestor] = await Promise.all([
    baseSha && isSha(baseSha) ? lookup.resolve(baseSha) : undefined,
    resolveCommit(cwd, `refs/remotes/origin/${compareBranch}`),
    resolveCommit(cwd, `refs/heads/${compareBranch}`),
    // A commit the clone lacks is no ancestor: one git call answers both.
    context.before === undefined ? false : lookup.isAncestor(context.before, head),
  ]);
  const compareCommit = fromEvent ?? remote ?? local;
  const mergeBaseCommit = compareCommit === undefined ? undefined : compareCommit === head ? head : await mergeBase(cwd, compareCommit, head);
  return { mergeBaseCommit, beforeIsAncestor };
}

/** The commit the event compares with, for an image the registry has no record of: read ahead, then planned with. */
function eventFallbackFor(context: GithubContext, branch: string, { mergeBaseCommit, beforeIsAncestor }: GitCompareFacts) {
  const onDefaultBranch = context.eventName !== 'pull_request' && branch === context.defaultBranch;
  return eventFallbackCommit(context, { beforeIsAncestor, mergeBase: mergeBaseCommit, onDefaultBranch });
}

/** Starts reading what the plan most likely reads next; a failure here is the later read's to report. */
async function readAhead(reads: CommitReads, context: GithubContext, heading: Promise<string>, comparing: Promise<GitCompareFacts>): Promise<void> {
  try {
    const head = await heading;
    void reads.tree(head).catch(() => undefined);
    const branch = context.branch;
    if (branch === undefined) return;
    const fallback = eventFallbackFor(context, branch, await comparing).commit;
    if (fallback === undefined || fallback === head) return;
    void reads.tree(fallback).catch(() => undefined);
    void reads.changes(fallback, head).catch(() => undefined);
  } catch {
    // The plan's own reads fail the same way and say so.
  }
}

/** What each image is compared against: the registry's record first, the event as the fallback. */
async function compareCommitsFor(cwd: string, context: GithubContext, facts: ImageFacts, comparing: Promise<GitCompareFacts>, lookup: CommitLookup) {
  const pullRequest = context.eventName === 'pull_request';
  const onDefaultBranch = !pullRequest && facts.branch === context.defaultBranch;
  const observations: Record<string, RevisionObservation> = {};
  const tagged: Record<string, Tagged | undefined> = {};
  if (!pullRequest) {
    const client = createRegistryClient({ registry: facts.registry, retry: { attempts: 2 } });
    await Promise.all(
      facts.images.map(async (image) => {
        const inRegistry = registryImageOf(image, facts.tag, facts.variants);
        const observed = await observeRevision(client, cwd, `${facts.repository}/${inRegistry.image}`, inRegistry.tag, facts.head, lookup);
        observations[image] = observed;
        const inputs = observed.kind === 'present' ? observed.labels[LABEL.inputs] : undefined;
        if (observed.kind === 'present' && inputs) {
          tagged[image] = { inputs, reference: `${facts.registry}/${facts.repository}/${inRegistry.image}:${inRegistry.tag}`, ...(observed.revision ? { revision: observed.revision } : {}) };
        }
      }),
    );
  }
  const { mergeBaseCommit } = await comparing;
  const eventFallback = eventFallbackFor(context, facts.branch, await comparing);
  const comparisons = chooseCompareCommits({
    images: facts.images,
    observations,
    onDefaultBranch,
    defaultBranch: context.defaultBranch,
    mergeBaseWithDefault: mergeBaseCommit,
    eventFallback,
    eventOnly: pullRequest,
  });
  return { comparisons, eventFallback, tagged };
}
