import { nonEmpty } from '../option-values';
import { resolveRegistry, resolveRepository } from '../graph/image-settings';
import { assertValidImageName, imageName, repositoryPath } from './refs';

/**
 * Which image an executor works on, and where: worked out here, one way,
 * for every executor (docker-build, prepare, release, release-check,
 * publish, image-diff), from its options and the facts of the workspace.
 */

/** The options every executor that names an image in the registry takes. */
export interface ImageTargetOptions {
  registry?: string | undefined;
  repository?: string | undefined;
  image?: string | undefined;
  variant?: string | undefined;
}

/** What the workspace says, gathered once per executor run (lib/io/workspace-facts.ts). */
export interface ImageTargetFacts {
  /** The project the task runs for: the image's name when no option gives one. */
  project: string;
  env: Readonly<Record<string, string | undefined>>;
  /** The origin remote's URL, the last place the repository is read from. */
  originUrl?: string | undefined;
}

export interface ImageTarget {
  /** Registry host: the option, else IMAGE_REGISTRY, else ghcr.io. */
  registry: string;
  /** owner/name, lower case: the option, else IMAGE_REPOSITORY, else GITHUB_REPOSITORY, else the origin remote. */
  repository: string;
  /** The image's name: the option, else the project's. */
  image: string;
  /** The variant this project builds of the image: its tags are `<variant>-<tag>`. */
  variant?: string;
  /** `repository/image`, the registry API's name. */
  repoPath: string;
  /** `registry/repository/image`, for messages and references. */
  name: string;
}

export function resolveImageTarget(options: ImageTargetOptions, facts: ImageTargetFacts): ImageTarget {
  const registry = resolveRegistry(options.registry, facts.env);
  const repository = resolveRepository(options.repository, facts.env, facts.originUrl);
  const image = assertValidImageName(nonEmpty(options.image) ?? facts.project);
  const variant = nonEmpty(options.variant);
  return {
    registry,
    repository,
    image,
    ...(variant === undefined ? {} : { variant }),
    repoPath: repositoryPath({ repository, image }),
    name: imageName({ registry, repository, image }),
  };
}
