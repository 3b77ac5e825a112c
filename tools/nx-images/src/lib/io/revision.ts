import type { RevisionObservation } from '../core/ci/compare-commits';
import { isSha, LABEL } from '../core/naming/conventions';
import { errorMessage } from '../core/errors';
import { isAncestor, resolveCommit } from './git';
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
  const commit = revision === undefined || !isSha(revision) ? undefined : await resolveCommit(cwd, revision);
  const ancestor = commit === undefined ? false : await isAncestor(cwd, commit, descendant);
  return { kind: 'present', revision, commit, isAncestor: ancestor, labels };
}
