import { currentBranch, headSha, remoteUrl } from './git';

/** What git says of the workspace an executor runs in; each fact undefined when git cannot tell (no repository, detached, no remote). */
export interface WorkspaceFacts {
  gitBranch?: string;
  headSha?: string;
  originUrl?: string;
}

/** The branch, HEAD and the origin remote, read once per executor run, side by side. */
export async function gatherFacts(workspaceRoot: string): Promise<WorkspaceFacts> {
  const [gitBranch, sha, originUrl] = await Promise.all([
    currentBranch(workspaceRoot).catch(() => undefined),
    headSha(workspaceRoot).catch(() => undefined),
    remoteUrl(workspaceRoot).catch(() => undefined),
  ]);
  return { ...(gitBranch ? { gitBranch } : {}), ...(sha ? { headSha: sha } : {}), ...(originUrl ? { originUrl } : {}) };
}
