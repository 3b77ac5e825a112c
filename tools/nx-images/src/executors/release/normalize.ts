import type { ExecutorContext } from '@nx/devkit';
import { UserError } from '../../lib/core/errors';
import { headSha, remoteUrl, resolveCommit } from '../../lib/io/git';
import { resolveRegistry, resolveRepository } from '../../lib/core/graph/image-settings';
import { assertValidImageName, imageName, repositoryPath } from '../../lib/core/naming/refs';
import { settingsFromOptions } from '../../lib/core/graph/plugin-options';
import { parseReleaseTags, releaseVersion } from '../../lib/core/release/release-plan';
import { assertValidTag } from '../../lib/core/naming/tags';
import { runVersionScheme, SEMVER, type Version, type VersionScheme } from '../../lib/core/release/version-scheme';
import type { ReleaseExecutorSchema } from './schema';

export interface NormalizedReleaseOptions {
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
  registry: string;
  repository: string;
  image: string;
  /** The variant this project is of its image: every tag above is read and written as `<variant>-<tag>` in the registry. */
  variant?: string;
  /** `repository/image`, the registry API's name. */
  repoPath: string;
  /** `registry/repository/image`, for messages. */
  name: string;
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
export async function normalizeReleaseOptions(
  options: ReleaseExecutorSchema,
  context: ExecutorContext,
  env: NodeJS.ProcessEnv,
  requireTags: boolean,
): Promise<NormalizedReleaseOptions> {
  const project = context.projectName;
  if (!project) throw new UserError('release: no project in the Nx context: run it as a target, e.g. nx run-many -t release.');
  const projectRoot = context.projectsConfigurations?.projects[project]?.root ?? '.';
  const workspaceRoot = context.root;
  const sourceTag = assertValidTag(options.sourceTag?.trim() || 'main', 'source tag');
  const tagsOption = options.tags ?? [];
  const tags = requireTags || (Array.isArray(tagsOption) ? tagsOption.length > 0 : tagsOption.trim() !== '') ? parseReleaseTags(tagsOption) : [];
  const versionScheme = runVersionScheme(options, SEMVER, 'release: option');
  const settings = settingsFromOptions({ mirrors: options.mirrors, testTargetName: options.testTargetName }, context.targetName ?? 'release');
  // Before any registry call: a tag that is no version of the scheme stops the release with nothing read or written.
  const version = releaseVersion(tags, versionScheme);
  const registry = resolveRegistry(options.registry, env);
  const repository = resolveRepository(options.repository, env, options.repository || env.IMAGE_REPOSITORY || env.GITHUB_REPOSITORY ? undefined : await remoteUrl(workspaceRoot));
  const image = assertValidImageName(options.image?.trim() || project);
  const variant = options.variant?.trim() || undefined;
  const commit = await releaseCommit(workspaceRoot, options.commit?.trim() || undefined, env);
  return {
    project,
    projectRoot,
    workspaceRoot,
    sourceTag,
    tags,
    versionScheme,
    ...(version ? { version } : {}),
    registry,
    repository,
    image,
    ...(variant ? { variant } : {}),
    repoPath: repositoryPath({ repository, image }),
    name: imageName({ registry, repository, image }),
    commit,
    dryRun: options.dryRun === true || env.NX_DRY_RUN === 'true',
    insecure: options.insecure === true,
    hasTests: context.projectsConfigurations?.projects[project]?.targets?.[settings.targets.test] !== undefined,
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
    throw new UserError(`release commit ${JSON.stringify(value)} (from ${from}) is not in this clone: check out with fetch-depth: 0, or pass --commit=<sha of the release>.`);
  }
  return sha;
}
