import { isAbsolute, join, relative, resolve } from 'node:path';
import { buildArgsFor, ociLabels, type BuildSpec } from '../../lib/core/build-plan';
import { dockerfileImages } from '../../lib/core/dockerfile';
import { UserError } from '../../lib/core/errors';
import { parseGitRemote, resolveRegistry, resolveRepository } from '../../lib/core/image-settings';
import { assertValidImageName, imageReference } from '../../lib/core/refs';
import { assertValidTag, resolveBranch, resolveTag } from '../../lib/core/tags';
import type { DockerBuildExecutorSchema } from './schema';

/** What the executor found out before planning: everything the pure normalization reads. */
export interface BuildFacts {
  projectName: string;
  /** The project's folder, relative to the workspace root. */
  projectRoot: string;
  workspaceRoot: string;
  env: Readonly<Record<string, string | undefined>>;
  gitBranch?: string;
  headSha?: string;
  originUrl?: string;
  now: Date;
  /** Reads the Dockerfile (throws ENOENT when it is missing). */
  dockerfile: (path: string) => string;
}

/** Every option resolved, every default filled in. */
export interface NormalizedBuild extends BuildSpec {
  project: string;
  image: string;
  registry: string;
  repository: string;
  tag: string;
  tagFrom: string;
  extraTags: string[];
  dryRun: boolean;
  baseTagFallback?: string;
  forwardOnly: boolean;
  registryCache: boolean;
  /** The branch this build is for (GITHUB_HEAD_REF, GITHUB_REF_NAME or the checked-out one), when known. */
  branch?: string;
  /** BASE_IMAGE_TAG was set by the user: no fallback applies. */
  baseTagPinned: boolean;
  buildArgs: Record<string, string>;
  labels: Record<string, string>;
  revision: string;
  /** The image the built stage starts from, resolved with the build args; undefined for FROM scratch. */
  baseImage?: string;
  dockerfileText: string;
}

export interface BaseOverride {
  baseImageTag: string;
  baseDigest?: string;
}

export function normalizeOptions(
  options: DockerBuildExecutorSchema,
  facts: BuildFacts,
  base?: BaseOverride,
): NormalizedBuild {
  const image = assertValidImageName(nonEmpty(options.image) ?? facts.projectName);
  const registry = resolveRegistry(options.registry, facts.env);
  const repository = resolveRepository(options.repository, facts.env, facts.originUrl);
  const { tag, from: tagFrom } = resolveTag({ option: nonEmpty(options.tag), env: facts.env, gitBranch: facts.gitBranch });
  const extraTags = (options.extraTags ?? []).map((extra) => assertValidTag(extra, 'extra tag'));
  const references = [tag, ...extraTags.filter((extra) => extra !== tag)].map((t) =>
    imageReference({ registry, repository, image, tag: t }),
  );
  const context = inWorkspace(facts.workspaceRoot, nonEmpty(options.context) ?? facts.projectRoot, 'context');
  const file = inWorkspace(
    facts.workspaceRoot,
    nonEmpty(options.file) ?? relative(facts.workspaceRoot, join(context, 'Dockerfile')),
    'file',
  );
  let dockerfileText: string;
  try {
    dockerfileText = facts.dockerfile(file);
  } catch {
    throw new UserError(
      `${facts.projectName}: no Dockerfile at ${relative(facts.workspaceRoot, file)}: add one, or point the "file" option at it.`,
    );
  }
  const revision = facts.headSha ?? nonEmpty(facts.env.GITHUB_SHA);
  if (!revision) {
    throw new UserError(`${facts.projectName}: no commit to label the image with: run inside the git repository, or set GITHUB_SHA.`);
  }
  const buildArgs = buildArgsFor({
    registry,
    repository,
    tag,
    baseImageTag: base?.baseImageTag ?? tag,
    user: options.buildArgs ?? {},
  });
  const target = nonEmpty(options.target);
  const baseImage = dockerfileImages(dockerfileText, buildArgs, target).finalBase?.reference;
  const labels = ociLabels({
    revision,
    source: sourceUrl(facts.env, facts.originUrl),
    created: createdAt(facts.env, facts.now),
    version: tag,
    baseName: baseImage,
    baseDigest: base?.baseDigest,
  });
  return {
    project: facts.projectName,
    image,
    registry,
    repository,
    tag,
    tagFrom,
    extraTags,
    references,
    context,
    file,
    target,
    platforms: options.platforms ?? [],
    cacheFrom: options.cacheFrom ?? [],
    cacheTo: options.cacheTo ?? [],
    pull: options.pull ?? false,
    noCache: options.noCache ?? false,
    builder: nonEmpty(options.builder),
    secrets: options.secrets ?? [],
    push: options.push ?? false,
    dryRun: (options.dryRun ?? false) || facts.env.NX_DRY_RUN === 'true',
    baseTagFallback: nonEmpty(options.baseTagFallback),
    forwardOnly: options.forwardOnly ?? false,
    registryCache: options.registryCache ?? false,
    branch: resolveBranch({ env: facts.env, gitBranch: facts.gitBranch })?.branch,
    baseTagPinned: options.buildArgs?.BASE_IMAGE_TAG !== undefined,
    buildArgs,
    labels,
    revision,
    baseImage,
    dockerfileText,
  };
}

/** A path inside the workspace, absolute; a path that leaves it is refused. */
function inWorkspace(workspaceRoot: string, path: string, what: string): string {
  const absolute = isAbsolute(path) ? path : resolve(workspaceRoot, path);
  const rel = relative(workspaceRoot, absolute);
  if (rel.startsWith('..') || isAbsolute(rel)) {
    throw new UserError(`${what} ${JSON.stringify(path)} is outside the workspace: give a path inside it.`);
  }
  return absolute;
}

/** The repository's web address: the GitHub run's, else the origin remote's. */
function sourceUrl(env: BuildFacts['env'], originUrl: string | undefined): string | undefined {
  if (env.GITHUB_REPOSITORY) return `${env.GITHUB_SERVER_URL ?? 'https://github.com'}/${env.GITHUB_REPOSITORY}`;
  if (!originUrl) return undefined;
  const path = parseGitRemote(originUrl);
  const host = /^(?:[a-z+]+:\/\/)?(?:[^@/]+@)?([^/:]+)/i.exec(originUrl)?.[1];
  return path && host && host.includes('.') ? `https://${host}/${path}` : undefined;
}

/** SOURCE_DATE_EPOCH, when set, makes the created label reproducible. */
function createdAt(env: BuildFacts['env'], now: Date): Date {
  const epoch = env.SOURCE_DATE_EPOCH;
  if (epoch && /^\d+$/.test(epoch)) return new Date(Number(epoch) * 1000);
  return now;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
