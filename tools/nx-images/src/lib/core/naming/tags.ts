import { createHash } from 'node:crypto';
import { UserError } from '../errors';

/** Docker's tag grammar: https://github.com/distribution/reference (tag). */
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
export const MAX_TAG_LENGTH = 128;
const HASH_LENGTH = 8;

export function isValidTag(tag: string): boolean {
  return TAG.test(tag);
}

/** Throws unless `tag` is a valid Docker tag; `what` names where it came from. */
export function assertValidTag(tag: string, what = 'tag'): string {
  if (!isValidTag(tag)) {
    throw new UserError({ subject: what, problem: `${JSON.stringify(tag)} is not a valid Docker tag`, fix: 'use 1-128 characters of [A-Za-z0-9_.-], not starting with "." or "-"' });
  }
  return tag;
}

/**
 * Turns a branch name into a Docker tag, as docker/metadata-action does:
 * every run of characters outside [A-Za-z0-9_.-] becomes "-", and leading
 * "." and "-" are dropped. A name longer than 128 characters is cut and ends
 * in a hash of the whole name, so two long branches never share a tag.
 */
export function branchToTag(branch: string): string {
  const tag = branch.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[.-]+/, '');
  if (tag === '') {
    throw new UserError({ subject: 'branch', problem: `${JSON.stringify(branch)} has no character that can stand in a Docker tag`, fix: 'pass --tag=<tag>' });
  }
  if (tag.length <= MAX_TAG_LENGTH) return tag;
  const hash = createHash('sha256').update(branch).digest('hex').slice(0, HASH_LENGTH);
  return `${tag.slice(0, MAX_TAG_LENGTH - HASH_LENGTH - 1)}-${hash}`;
}

export interface TagSource {
  /** An explicit tag (option `--tag`): validated, never changed. */
  option?: string;
  env: Readonly<Record<string, string | undefined>>;
  /** The checked-out branch, undefined on a detached HEAD. */
  gitBranch?: string;
}

/**
 * The branch a build is for: the pull request's head branch
 * (GITHUB_HEAD_REF), else GITHUB_REF_NAME, else the checked-out branch.
 */
export function resolveBranch(source: Omit<TagSource, 'option'>): { branch: string; from: string } | undefined {
  const candidates: [string | undefined, string][] = [
    [source.env.GITHUB_HEAD_REF, 'GITHUB_HEAD_REF'],
    [source.env.GITHUB_REF_NAME, 'GITHUB_REF_NAME'],
    [source.gitBranch, 'the current git branch'],
  ];
  for (const [branch, from] of candidates) if (branch) return { branch, from };
  return undefined;
}

/**
 * The tag for a build: `--tag`, else the pull request's head branch
 * (GITHUB_HEAD_REF), else GITHUB_REF_NAME, else the checked-out branch.
 */
export function resolveTag(source: TagSource): { tag: string; from: string } {
  if (source.option) return { tag: assertValidTag(source.option, '--tag'), from: '--tag' };
  const branch = resolveBranch(source);
  if (branch) return { tag: branchToTag(branch.branch), from: branch.from };
  throw new UserError({ subject: 'tag', problem: 'none: HEAD is detached and neither GITHUB_HEAD_REF nor GITHUB_REF_NAME is set', fix: 'check out a branch or pass --tag=<tag>' });
}
