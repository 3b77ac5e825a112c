import type { RevisionObservation } from '../core/ci/compare-commits';
import { isFullSha, isSha, LABEL } from '../core/naming/conventions';
import { errorMessage } from '../core/errors';
import { isAncestor, remoteBranchTip, resolveCommit } from './git';
import { pushDecision } from '../core/ci/compare-commits';
import type { RegistryClient } from './registry/oci-client';

/**
 * Reads the revision label of `repoPath:reference` and checks it against the
 * clone at `cwd`: is it a commit here, and an ancestor of `descendant`? The
 * one place CI, docker-build's forward-only push and the release check ask
 * "what was this image built from?".
 */
export async function observeRevision(
  client: RegistryClient,
  cwd: string,
  repoPath: string,
  reference: string,
  descendant: string,
  /** Answers for the commits already looked up, when many images are observed at once (most name the same commit). */
  lookup: CommitLookup = commitLookup(cwd),
): Promise<RevisionObservation> {
  let labels: Record<string, string> | undefined;
  try {
    labels = await client.readLabels(repoPath, reference);
  } catch (error) {
    return { kind: 'unreadable', reason: errorMessage(error) };
  }
  if (!labels) return { kind: 'absent' };
  const revision = labels[LABEL.revision]?.trim() || undefined;
  // Only a commit name is looked up: a label such as "main" must never resolve to a branch.
  const commit = revision === undefined || !isSha(revision) ? undefined : await lookup.resolve(revision);
  const ancestor = commit === undefined ? false : await lookup.isAncestor(commit, descendant);
  return { kind: 'present', revision, commit, isAncestor: ancestor, labels };
}

/** git's answers about commits in one clone: each asked once, then remembered. */
export interface CommitLookup {
  resolve(revision: string): Promise<string | undefined>;
  isAncestor(ancestor: string, descendant: string): Promise<boolean>;
}

/** A CommitLookup of the clone at `cwd`, for the length of one plan (a commit's ancestry does not change meanwhile). */
export function commitLookup(cwd: string): CommitLookup {
  const resolved = new Map<string, Promise<string | undefined>>();
  const ancestry = new Map<string, Promise<boolean>>();
  return {
    resolve(revision) {
      const known = resolved.get(revision) ?? resolveCommit(cwd, revision);
      resolved.set(revision, known);
      return known;
    },
    isAncestor(ancestor, descendant) {
      const key = `${ancestor} ${descendant}`;
      const known = ancestry.get(key) ?? isAncestor(cwd, ancestor, descendant);
      ancestry.set(key, known);
      // A full commit name that is an ancestor is a commit of this clone, and resolves to itself.
      if (isFullSha(ancestor) && !resolved.has(ancestor)) resolved.set(ancestor, known.then((yes) => (yes ? ancestor : resolveCommit(cwd, ancestor))));
      return known;
    },
  };
}

/** A tag about to move, and the run that would move it. */
export interface TagMove {
  /** `<repository>/<image>` in the registry. */
  repoPath: string;
  tag: string;
  /** The commit this run built. */
  revision: string;
  /** The branch it built, whose remote tip may vouch for a commit no longer in the tag's history. */
  branch?: string;
  /** How the image is named in messages: `<registry>/<repoPath>`. */
  name: string;
}

/**
 * Why `move.tag` must not move to this run's image, or undefined when it
 * may: a newer run already pushed there (its revision is not an ancestor of
 * this one, and this one is not the branch's tip). `said` gets the decision
 * in one line either way, or why the tag could not be read (then it moves).
 */
export async function newerPushUnder(client: RegistryClient, cwd: string, move: TagMove, said: (line: string, warn: boolean) => void): Promise<string | undefined> {
  const observed = await observeRevision(client, cwd, move.repoPath, move.tag, move.revision);
  if (observed.kind === 'unreadable') {
    said(`could not read ${move.repoPath}:${move.tag} to check it is older (${observed.reason}); pushing.`, true);
    return undefined;
  }
  const current = observed.kind === 'present' ? observed.revision : undefined;
  const ancestor = observed.kind === 'present' && observed.isAncestor;
  const tip = current && !ancestor && move.branch ? await remoteBranchTip(cwd, move.branch) : undefined;
  const decision = pushDecision(current, ancestor, move.revision, `${move.name}:${move.tag}`, { stillBranchTip: tip !== undefined && tip === move.revision });
  said(decision.reason, false);
  return decision.push ? undefined : decision.reason;
}
