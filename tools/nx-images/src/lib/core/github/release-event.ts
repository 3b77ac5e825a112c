import { isFullSha, TARGET } from '../naming/conventions';
import { envFlag } from '../ci/env-flag';
import { UserError } from '../errors';
import { STABLE_TAG } from '../release/release-plan';
import { assertValidTag, branchToTag } from '../naming/tags';

export type ReleaseEnv = Readonly<Record<string, string | undefined>>;

export interface ReleaseContext {
  /** The release's tag, e.g. v0.1.1. */
  tag: string;
  /** The branch (or commit) the release was cut from: `target_commitish`. */
  target: string;
  defaultBranch: string;
  /** The release commit: GITHUB_SHA, the commit the tag points at. */
  commit: string;
  prerelease: boolean;
  /** RELEASE_SOURCE_TAG: the tag the images are released from, when not the target branch's (e.g. develop, promoted to main). */
  sourceTag?: string;
  /** RELEASE_PROMOTE_TAGS: more tags every image gets besides the version and stable (e.g. main). */
  promoteTags: string[];
  /** RELEASE_ALLOW_ANY_BRANCH=true: a release of another branch is allowed. */
  allowAnyBranch: boolean;
  /** RELEASE_ALLOW_UNTESTED=true: images with tests but no passing result attached are released too. */
  allowUntested: boolean;
  /** RELEASE_ALLOW_MISSING_LOCKS=true: images with no lock set attached are released too. */
  allowMissingLocks: boolean;
  dryRun: boolean;
}


function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}


/**
 * The release to make, from the environment (RELEASE_TAG, RELEASE_TARGET,
 * GITHUB_SHA, which the workflow passes through `env:`) and the release
 * event JSON (for what the environment does not say).
 */
export function readReleaseContext(env: ReleaseEnv, event: unknown): ReleaseContext {
  const eventName = env.GITHUB_EVENT_NAME ?? 'release';
  if (eventName !== 'release') {
    throw new UserError({ subject: 'ci:release', problem: `event ${JSON.stringify(eventName)} is not a release`, fix: 'run it from a workflow "on: release: types: [published]"' });
  }
  const payload = (event && typeof event === 'object' ? event : {}) as { release?: Record<string, unknown>; repository?: Record<string, unknown>; action?: unknown };
  const release = payload.release ?? {};
  if (payload.action !== undefined && payload.action !== 'published') {
    throw new UserError({ subject: 'ci:release', problem: `release action ${JSON.stringify(payload.action)} is not "published"`, fix: 'trigger the workflow on "release: types: [published]"' });
  }
  const tag = text(env.RELEASE_TAG) ?? text(release.tag_name);
  if (!tag) throw new UserError({ subject: 'ci:release', problem: 'no release tag', fix: 'set RELEASE_TAG from github.event.release.tag_name in the workflow env' });
  assertValidTag(tag, 'release tag');
  if (tag === STABLE_TAG) throw new UserError({ subject: 'ci:release', problem: 'a release may not be named "stable"', fix: 'that tag is managed by the release; name it like v1.2.3' });
  const target = (text(env.RELEASE_TARGET) ?? text(release.target_commitish) ?? '').replace(/^refs\/heads\//, '');
  if (!target) throw new UserError({ subject: 'ci:release', problem: 'no release target', fix: 'set RELEASE_TARGET from github.event.release.target_commitish in the workflow env' });
  const defaultBranch = text(env.DEFAULT_BRANCH) ?? text(payload.repository?.default_branch);
  if (!defaultBranch) throw new UserError({ subject: 'ci:release', problem: 'the event names no default branch', fix: 'set DEFAULT_BRANCH from github.event.repository.default_branch' });
  const commit = text(env.GITHUB_SHA)?.toLowerCase();
  if (!commit || !isFullSha(commit)) {
    throw new UserError({ subject: 'ci:release', problem: `GITHUB_SHA ${JSON.stringify(env.GITHUB_SHA ?? '')} is not a commit sha`, fix: 'run in GitHub Actions, or set GITHUB_SHA to the release commit' });
  }
  const allowAnyBranch = envFlag('RELEASE_ALLOW_ANY_BRANCH', env.RELEASE_ALLOW_ANY_BRANCH);
  if (target !== defaultBranch && !allowAnyBranch) {
    throw new UserError({
      subject: 'ci:release',
      problem: `release ${tag} targets ${JSON.stringify(target)}, not the default branch ${JSON.stringify(defaultBranch)}`,
      fix: `cut the release from ${defaultBranch}, or set RELEASE_ALLOW_ANY_BRANCH=true in the workflow to release another branch's images`,
    });
  }
  const sourceTag = text(env.RELEASE_SOURCE_TAG);
  if (sourceTag) assertValidTag(sourceTag, 'ci:release: RELEASE_SOURCE_TAG');
  return {
    tag,
    target,
    defaultBranch,
    commit,
    prerelease: release.prerelease === true,
    ...(sourceTag ? { sourceTag } : {}),
    promoteTags: promoteTags(env.RELEASE_PROMOTE_TAGS, tag, sourceTag),
    allowAnyBranch,
    allowUntested: envFlag('RELEASE_ALLOW_UNTESTED', env.RELEASE_ALLOW_UNTESTED),
    allowMissingLocks: envFlag('RELEASE_ALLOW_MISSING_LOCKS', env.RELEASE_ALLOW_MISSING_LOCKS),
    dryRun: envFlag('RELEASE_DRY_RUN', env.RELEASE_DRY_RUN),
  };
}

/** RELEASE_PROMOTE_TAGS as tags: comma-separated, trimmed, deduplicated, without the release's own tag. */
function promoteTags(value: string | undefined, releaseTag: string, sourceTag: string | undefined): string[] {
  const tags: string[] = [];
  for (const entry of (value ?? '').split(',')) {
    const tag = entry.trim();
    if (tag === '' || tag === releaseTag || tags.includes(tag)) continue;
    assertValidTag(tag, 'ci:release: RELEASE_PROMOTE_TAGS has tag');
    if (tag === STABLE_TAG) throw new UserError({ subject: 'ci:release', problem: 'RELEASE_PROMOTE_TAGS names stable, which the release adds itself (and leaves alone for a prerelease)', fix: 'remove it' });
    if (tag === sourceTag) throw new UserError({ subject: 'ci:release', problem: `RELEASE_PROMOTE_TAGS names ${tag}, the source tag, which a release never rewrites`, fix: 'remove it, or promote from another RELEASE_SOURCE_TAG' });
    tags.push(tag);
  }
  return tags;
}

export interface ReleaseInvocation {
  /** Tags every image gets. */
  tags: string[];
  /** The tag the images are released from: the target branch's tag. */
  sourceTag: string;
  /** Arguments to `nx`. */
  nxArgs: string[];
  /** What the run will do, for the log. */
  summary: string;
}

/** The `nx run-many -t release` call for a release; a prerelease gets its own tag only, leaving `stable` and the promoted tags alone. */
export function planReleaseRun(context: ReleaseContext, target: string = TARGET.release): ReleaseInvocation {
  if (!context.sourceTag && isFullSha(context.target)) {
    throw new UserError({ subject: 'ci:release', problem: `release ${context.tag} targets a commit, not a branch, so no image tag names its source`, fix: 'cut the release from a branch, or set RELEASE_SOURCE_TAG' });
  }
  const sourceTag = context.sourceTag ?? branchToTag(context.target);
  if (sourceTag === context.tag) throw new UserError({ subject: 'ci:release', problem: `RELEASE_SOURCE_TAG ${sourceTag} is the release's own tag`, fix: 'release from the branch\'s tag, e.g. develop' });
  const tags = context.prerelease ? [context.tag] : [context.tag, ...context.promoteTags, STABLE_TAG];
  const nxArgs = ['run-many', `--targets=${target}`, `--tags=${tags.join(',')}`, `--sourceTag=${sourceTag}`, `--commit=${context.commit}`, '--outputStyle=static'];
  if (context.dryRun) nxArgs.push('--dryRun');
  if (context.allowUntested) nxArgs.push('--allowUntested');
  if (context.allowMissingLocks) nxArgs.push('--allowMissingLocks');
  const summary = `release ${context.tag}: every image's ${sourceTag} (built from ${context.commit.slice(0, 12)}) gets ${listed(tags)}${
    context.prerelease ? `; a prerelease leaves ${listed([...context.promoteTags, STABLE_TAG])} alone` : ''
  }${context.dryRun ? ' (dry run)' : ''}`;
  return { tags, sourceTag, nxArgs, summary };
}

/** `a`, `a and b`, `a, b and c`. */
function listed(items: readonly string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items.at(-1) ?? ''}`;
}
