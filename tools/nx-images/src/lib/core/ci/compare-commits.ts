import { isFullSha, shortSha } from '../naming/conventions';
import type { GithubContext } from '../github/github-event';

/** What the registry says an image was built from, checked against this clone (io/revision.ts observes it). */
export type RevisionObservation =
  | {
      kind: 'present';
      /** The image's org.opencontainers.image.revision label as it is; undefined when it has none. */
      revision: string | undefined;
      /** That revision as a full commit name of this clone; undefined when the clone does not have it. */
      commit: string | undefined;
      /** The commit is the one compared with (HEAD) or one of its ancestors. */
      isAncestor: boolean;
      /** Every label of the image, for what else a caller reads (the bases). */
      labels: Readonly<Record<string, string>>;
    }
  /** No such tag. */
  | { kind: 'absent' }
  /** The registry could not be read. */
  | { kind: 'unreadable'; reason: string };

export interface CompareInput {
  /** Every image project, from Nx. */
  images: string[];
  observations: Record<string, RevisionObservation>;
  onDefaultBranch: boolean;
  /** Name of the default branch, for the reasons. */
  defaultBranch?: string;
  /** merge-base of HEAD and the default branch (undefined if none). */
  mergeBaseWithDefault?: string;
  /** What the event says, from `eventFallbackCommit`. */
  eventFallback: EventFallback;
  /**
   * Ignore the registry and use the event fallback for every image: a
   * pull_request never pushes, so its tags are not the record of what it built.
   */
  eventOnly?: boolean;
}

export interface EventFallback {
  commit?: string;
  reason: string;
}

/** The commit an image's inputs at HEAD are compared with; commit undefined + buildAnyway: build it regardless of what changed. */
export type ImageComparison = { image: string; commit?: string; buildAnyway: boolean; reason: string };

/**
 * Picks, for every image, the commit its inputs at HEAD are compared with. The registry is
 * the record of what was built, so a failed, cancelled or force-pushed-over run
 * heals on the next push; nothing here ever concludes "nothing changed" without
 * a commit to show for it.
 */
export function chooseCompareCommits(input: CompareInput): ImageComparison[] {
  const defaultBranch = input.defaultBranch ?? 'the default branch';
  return input.images.map((image) => {
    if (input.eventOnly) return fromFallback(image, input.eventFallback, undefined);
    const observation = input.observations[image];
    if (observation === undefined) {
      throw new Error(`chooseCompareCommits: no registry observation for image ${JSON.stringify(image)}; observe every image first.`);
    }
    switch (observation.kind) {
      case 'present': {
        const { revision } = observation;
        if (revision !== undefined && isFullSha(revision) && observation.isAncestor) {
          return { image, commit: revision, buildAnyway: false, reason: `registry tag built from ${shortSha(revision)}` };
        }
        const why =
          revision === undefined
            ? 'registry tag has no revision label'
            : !isFullSha(revision)
              ? `registry tag's revision label ${JSON.stringify(revision)} is not a commit`
              : `registry tag built from ${shortSha(revision)}, not an ancestor of HEAD (force push?)`;
        return fromMergeBase(image, why, input, defaultBranch);
      }
      case 'absent':
        return fromMergeBase(image, 'no registry tag yet', input, defaultBranch);
      case 'unreadable':
        return fromFallback(image, input.eventFallback, `registry unreadable (${observation.reason})`);
    }
  });
}

/** No usable tag: the merge-base with the default branch, except on the default branch itself, where that is HEAD. */
function fromMergeBase(image: string, why: string, input: CompareInput, defaultBranch: string): ImageComparison {
  if (input.onDefaultBranch) {
    return { image, buildAnyway: true, reason: `${why}; on ${defaultBranch}: building it` };
  }
  if (input.mergeBaseWithDefault === undefined) {
    return { image, buildAnyway: true, reason: `${why}; no merge-base with ${defaultBranch}: building it` };
  }
  return {
    image,
    commit: input.mergeBaseWithDefault,
    buildAnyway: false,
    reason: `${why}; merge-base with ${defaultBranch} ${shortSha(input.mergeBaseWithDefault)}`,
  };
}

function fromFallback(image: string, fallback: EventFallback, why: string | undefined): ImageComparison {
  const prefix = why === undefined ? '' : `${why}; `;
  if (fallback.commit === undefined) {
    return { image, buildAnyway: true, reason: `${prefix}${fallback.reason}: building it` };
  }
  return { image, commit: fallback.commit, buildAnyway: false, reason: `${prefix}${fallback.reason}` };
}

export interface FallbackFacts {
  /** push's `before` is an ancestor of HEAD and in the clone. */
  beforeIsAncestor: boolean;
  /**
   * merge-base of HEAD and the branch this run compares with: the PR's base
   * branch on pull_request, else the default branch.
   */
  mergeBase?: string;
  /** HEAD is on the default branch, where the merge-base is HEAD itself and shows nothing. */
  onDefaultBranch: boolean;
}

/**
 * What the event alone says to compare against, for when the registry cannot
 * be read (and for every image of a pull_request): push's `before`, else the
 * merge-base. undefined base = build anyway, never "nothing changed".
 */
export function eventFallbackCommit(context: GithubContext, facts: FallbackFacts): EventFallback {
  if (context.eventName === 'pull_request') {
    const baseRef = context.pullRequest?.baseRef ?? context.defaultBranch;
    return facts.mergeBase === undefined
      ? { reason: `no merge-base with the pull request's base ${baseRef}` }
      : { commit: facts.mergeBase, reason: `merge-base with the pull request's base ${baseRef} ${shortSha(facts.mergeBase)}` };
  }
  if (context.deleted) return { reason: 'the push deleted the branch' };
  let why: string | undefined;
  if (context.eventName === 'push') {
    if (context.before !== undefined && facts.beforeIsAncestor) {
      return { commit: context.before, reason: `push's before ${shortSha(context.before)}` };
    }
    why =
      context.before !== undefined
        ? `push's before ${shortSha(context.before)} is not an ancestor of HEAD or not in the clone`
        : context.created
          ? 'new branch'
          : "push's before is missing";
  }
  const prefix = why === undefined ? '' : `${why}; `;
  if (facts.onDefaultBranch) return { reason: `${prefix}on ${context.defaultBranch} the merge-base is HEAD itself` };
  if (facts.mergeBase === undefined) return { reason: `${prefix}no merge-base with ${context.defaultBranch}` };
  return { commit: facts.mergeBase, reason: `${prefix}merge-base with ${context.defaultBranch} ${shortSha(facts.mergeBase)}` };
}

export interface PushDecision {
  push: boolean;
  reason: string;
}

export interface PushFacts {
  /**
   * This run's commit is still the branch's tip on the remote (e.g. `git
   * ls-remote`), so no newer run of this branch can exist: an image from a
   * commit that is not an ancestor is stale history (a force push, or a
   * force-pushed run that failed) and may be replaced.
   */
  stillBranchTip?: boolean;
  /** This run is a force push: it replaces history on purpose (its superseded runs are cancelled by the concurrency group). */
  forced?: boolean;
}

/**
 * Tags only move forward: push `reference` unless the image under it now was
 * built from a commit this run's commit does not descend from (a newer run
 * already pushed). Workflow concurrency groups do not guarantee order; this does.
 */
export function pushDecision(
  currentRevision: string | undefined,
  currentIsAncestorOfThisRun: boolean,
  thisRunSha: string,
  reference: string,
  facts: PushFacts = {},
): PushDecision {
  if (currentRevision === undefined) {
    return { push: true, reason: `${reference} records no revision yet: pushing` };
  }
  const current = shortSha(currentRevision);
  const ours = shortSha(thisRunSha);
  if (currentRevision.toLowerCase() === thisRunSha.toLowerCase()) {
    return { push: true, reason: `${reference} was built from this commit ${ours}: replacing it` };
  }
  if (currentIsAncestorOfThisRun) {
    return { push: true, reason: `${reference} moves forward from ${current} to ${ours}` };
  }
  if (facts.stillBranchTip) {
    return { push: true, reason: `${reference} was built from ${current}, no longer in the branch's history; ${ours} is the branch tip: pushing` };
  }
  if (facts.forced) {
    return { push: true, reason: `${reference} was built from ${current}, which this force push replaced: pushing ${ours}` };
  }
  return {
    push: false,
    reason: `skipped the push: a newer run already pushed ${reference} from ${current}, which is not an ancestor of ${ours}`,
  };
}
