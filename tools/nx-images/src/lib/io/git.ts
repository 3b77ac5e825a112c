import { isSha } from '../core/naming/conventions';
import { CommandError, run } from './exec';
import { UserError } from '../core/errors';

async function git(cwd: string, args: string[]): Promise<string> {
  return (await run({ command: 'git', args, cwd })).stdout.trim();
}

/** The checked-out branch, or undefined on a detached HEAD. */
export async function currentBranch(cwd: string): Promise<string | undefined> {
  try {
    const name = await git(cwd, ['symbolic-ref', '--quiet', '--short', 'HEAD']);
    return name === '' ? undefined : name;
  } catch (error) {
    if (error instanceof CommandError && error.exitCode === 1) return undefined;
    throw error;
  }
}

export async function headSha(cwd: string): Promise<string> {
  return git(cwd, ['rev-parse', '--verify', '--end-of-options', 'HEAD^{commit}']);
}

/** The URL of a remote, or undefined when there is no such remote. */
export async function remoteUrl(cwd: string, remote = 'origin'): Promise<string | undefined> {
  try {
    const url = await git(cwd, ['remote', 'get-url', '--', remote]);
    return url === '' ? undefined : url;
  } catch (error) {
    if (error instanceof CommandError && !error.notFound) return undefined;
    throw error;
  }
}

/** True when the commit exists in this clone. */
export async function hasCommit(cwd: string, sha: string): Promise<boolean> {
  if (!isSha(sha)) return false;
  try {
    await git(cwd, ['cat-file', '-e', '--end-of-options', `${sha}^{commit}`]);
    return true;
  } catch (error) {
    if (error instanceof CommandError && !error.notFound) return false;
    throw error;
  }
}

/** True when `ancestor` is `descendant` or one of its ancestors. */
export async function isAncestor(cwd: string, ancestor: string, descendant: string): Promise<boolean> {
  if (!isSha(ancestor) || !isSha(descendant)) return false;
  try {
    await git(cwd, ['merge-base', '--is-ancestor', '--end-of-options', ancestor, descendant]);
    return true;
  } catch (error) {
    if (error instanceof CommandError && error.exitCode === 1) return false;
    if (error instanceof CommandError && !error.notFound) return false;
    throw error;
  }
}

export async function isShallow(cwd: string): Promise<boolean> {
  return (await git(cwd, ['rev-parse', '--is-shallow-repository'])) === 'true';
}

/** Resolves a ref (branch, remote branch, sha) to a commit sha, or undefined. */
export async function resolveCommit(cwd: string, ref: string): Promise<string | undefined> {
  if (ref.startsWith('-')) return undefined;
  try {
    return await git(cwd, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`]);
  } catch (error) {
    if (error instanceof CommandError && !error.notFound) return undefined;
    throw error;
  }
}

export async function mergeBase(cwd: string, a: string, b: string): Promise<string | undefined> {
  if (a.startsWith('-') || b.startsWith('-')) return undefined;
  try {
    return await git(cwd, ['merge-base', '--end-of-options', a, b]);
  } catch (error) {
    if (error instanceof CommandError && !error.notFound) return undefined;
    throw error;
  }
}

/** Files changed between two commits under `path` (relative to the repository root). */
export async function changedFiles(cwd: string, from: string, to: string, path: string): Promise<string[]> {
  if (!isSha(from) || !isSha(to)) throw new UserError({ subject: 'git', problem: `${from}..${to} is not a pair of commit names`, fix: 'pass two commit SHAs' });
  const out = await git(cwd, ['diff', '--name-only', '--end-of-options', from, to, '--', path]);
  return out === '' ? [] : out.split('\n');
}

/** A commit's whole message, or undefined when the clone does not have it. */
export async function commitMessage(cwd: string, sha: string): Promise<string | undefined> {
  if (!isSha(sha)) return undefined;
  try {
    return await git(cwd, ['log', '-1', '--format=%B', '--end-of-options', sha]);
  } catch (error) {
    if (error instanceof CommandError && !error.notFound) return undefined;
    throw error;
  }
}

/** The commit a branch points to on a remote, or undefined when the remote cannot be asked or has no such branch. */
export async function remoteBranchTip(cwd: string, branch: string, remote = 'origin'): Promise<string | undefined> {
  const ref = `refs/heads/${branch}`;
  try {
    const out = await run({ command: 'git', args: ['ls-remote', '--', remote, ref], cwd }, { timeout: 30_000 });
    const line = out.stdout.split('\n').find((entry) => entry.endsWith(`\t${ref}`));
    return line?.split('\t')[0];
  } catch {
    return undefined;
  }
}

/** The files git tracks at or under `path` (relative to `cwd`), as paths relative to `cwd`. */
export async function trackedFiles(cwd: string, path: string): Promise<string[]> {
  const out = await git(cwd, ['ls-files', '-z', '--full-name', '--', path]);
  return out.split('\0').filter((file) => file !== '');
}

/** True when git ignores `path` (relative to `cwd`), which then is no input of any Nx task and is never committed. */
export async function isIgnored(cwd: string, path: string): Promise<boolean> {
  try {
    await git(cwd, ['check-ignore', '--quiet', '--no-index', '--', path]);
    return true;
  } catch (error) {
    if (error instanceof CommandError && error.exitCode === 1) return false;
    throw error;
  }
}

/** Every file that differs between two commits (renames detected), as `git diff --name-status -M` lists them. */
export async function changesBetween(cwd: string, from: string, to: string): Promise<{ path: string; from?: string }[]> {
  if (!isSha(from) || !isSha(to)) throw new Error(`changesBetween: ${from}..${to} is not a pair of commit names`);
  const out = (await run({ command: 'git', args: ['diff', '--name-status', '--find-renames', '-z', '--end-of-options', from, to], cwd })).stdout;
  const fields = out.split('\0').filter((field) => field !== '');
  const changes: { path: string; from?: string }[] = [];
  for (let i = 0; i < fields.length; i++) {
    const status = fields[i] ?? '';
    if (status.startsWith('R') || status.startsWith('C')) {
      const old = fields[++i] ?? '';
      const path = fields[++i] ?? '';
      changes.push(status.startsWith('R') ? { path, from: old } : { path });
    } else {
      changes.push({ path: fields[++i] ?? '' });
    }
  }
  return changes;
}
