import { UserError } from '../core/errors';
import { isDryRun, nonEmpty } from '../core/option-values';
import { headSha, resolveCommit } from './git';
import { gatherFacts } from './workspace-facts';
import { resolveImageTarget, type ImageTarget } from '../core/naming/image-target';
import { DEFAULT_TARGET_SETTINGS, type ReleaseSettings } from '../core/graph/target-settings';
import { parseReleaseTags, releaseVersion } from '../core/release/release-plan';
import { assertValidTag } from '../core/naming/tags';
import { runVersionScheme, type Version, type VersionScheme } from '../core/release/version-scheme';

/**
 * Options of the `release` and `release-check` executors, one schema for both
 * (src/executors/release/schema.json): the check gets the release's options
 * forwarded, so it reads every one of them.
 */
export interface ReleaseOptions {
  /** The tag to release, e.g. main. */
  sourceTag?: string;
  /** Tags to add: an array, or a comma-separated string. */
  tags?: string[] | string;
  /** Registry host; else IMAGE_REGISTRY, else ghcr.io. */
  registry?: string;
  /** owner/name; else IMAGE_REPOSITORY, GITHUB_REPOSITORY, or the origin remote. */
  repository?: string;
  /** Image name under the repository; else the project name. */
  image?: string;
  variant?: string;
  /** The release commit; else GITHUB_SHA, else HEAD. */
  commit?: string;
  /** Print what would be written, write nothing. */
  dryRun?: boolean;
  /** Allow plain HTTP to a registry that is not on loopback. */
  insecure?: boolean;
  /** Release an image with tests but no passing result attached. */
  allowUntested?: boolean;
  /** Release an image with no lock set attached. */
  allowMissingLocks?: boolean;
  /** How release versions are written and ordered for this run: semver, calver or pattern; else nx.json's versionScheme. */
  versionScheme?: '' | 'semver' | 'calver' | 'pattern';
  /** With versionScheme pattern (implied when given alone): the regular expression whose capture groups are the version's numbers. */
  versionPattern?: string;
  /** Internal: nx.json's options as the plugin resolved them for this target (see core/graph/target-settings.ts). */
  settings?: ReleaseSettings;
}

/** The task a release or its check runs for, as the executor found it. */
export interface ReleaseTask {
  project: string;
  /** The project's folder, relative to the workspace root: what a change since the build is looked for in. */
  projectRoot: string;
  workspaceRoot: string;
  /** The running target's name, for messages about its options. */
  targetName: string;
  /** The names of the project's targets: whether it has a test target. */
  targets: readonly string[];
}

/** The image (registry, repository, name, variant: every tag is read and written as `<variant>-<tag>`) and the release's choices. */
export interface NormalizedReleaseOptions extends ImageTarget {
  project: string;
  /** The project's folder, relative to the workspace root (where git runs). */
  projectRoot: string;
  workspaceRoot: string;
  sourceTag: string;
  tags: string[];
  /** How versions are read and ordered: the run's options (the plugin writes nx.json's there), else semver. */
  versionScheme: VersionScheme;
  /** The one tag among `tags` that is a version of the scheme, if any. */
  version?: Version;
  /** The release commit, a full sha. */
  commit: string;
  dryRun: boolean;
  insecure: boolean;
  /** The image has tests (an image-test target): its release needs a passing result attached. */
  hasTests: boolean;
  allowUntested: boolean;
  allowMissingLocks: boolean;
  /** The mirrors as the plugin gave them from nx.json (IMAGE_MIRRORS, read where they are used, overrides them). */
  mirrors: string[];
}

/** Every option filled in and checked once; `requireTags` for the release itself. */
export async function normalizeReleaseOptions(options: ReleaseOptions, task: ReleaseTask, env: NodeJS.ProcessEnv, requireTags: boolean): Promise<NormalizedReleaseOptions> {
  const { project, projectRoot, workspaceRoot } = task;
  const sourceTag = assertValidTag(nonEmpty(options.sourceTag) ?? 'main', 'source tag');
  const tagsOption = options.tags ?? [];
  const tags = requireTags || (Array.isArray(tagsOption) ? tagsOption.length > 0 : tagsOption.trim() !== '') ? parseReleaseTags(tagsOption) : [];
  const settings = options.settings ?? DEFAULT_TARGET_SETTINGS.release;
  const versionScheme = runVersionScheme(options, settings.versionScheme, `${task.targetName} option`);
  // Before any registry call: a tag that is no version of the scheme stops the release with nothing read or written.
  const version = releaseVersion(tags, versionScheme);
  const workspace = await gatherFacts(workspaceRoot);
  const target = resolveImageTarget(options, { project, env, originUrl: workspace.originUrl });
  const commit = await releaseCommit(workspaceRoot, nonEmpty(options.commit), env);
  return {
    project,
    projectRoot,
    workspaceRoot,
    sourceTag,
    tags,
    versionScheme,
    ...(version ? { version } : {}),
    ...target,
    commit,
    dryRun: isDryRun(options.dryRun, env),
    insecure: options.insecure === true,
    hasTests: task.targets.includes(settings.testTarget),
    mirrors: settings.mirrors,
    allowUntested: options.allowUntested === true,
    allowMissingLocks: options.allowMissingLocks === true,
  };
}

/** The `commit` option, else GITHUB_SHA, else HEAD; as a full sha present in this clone. */
async function releaseCommit(workspaceRoot: string, option: string | undefined, env: NodeJS.ProcessEnv): Promise<string> {
  const [value, from] = option ? [option, '--commit'] : env.GITHUB_SHA ? [env.GITHUB_SHA, 'GITHUB_SHA'] : [undefined, 'HEAD'];
  if (value === undefined) return headSha(workspaceRoot);
  const sha = await resolveCommit(workspaceRoot, value);
  if (!sha) {
    throw new UserError({ subject: 'release commit', problem: `${JSON.stringify(value)} (from ${from}) is not in this clone`, fix: 'check out with fetch-depth: 0, or pass --commit=<sha of the release>' });
  }
  return sha;
}
