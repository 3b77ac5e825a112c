import { getProjects, joinPathFragments, type ProjectConfiguration, type Tree } from '@nx/devkit';
import { DockerfileParser } from 'dockerfile-ast';
import { UserError } from '../../lib/core/errors';
import { assertValidImageName, normalizeRepository } from '../../lib/core/refs';
import type { ImageGeneratorSchema } from './schema';

/** Where every image project lives, one folder per image. */
export const IMAGES_DIR = 'images';
/** The REPOSITORY default when the `from` image's Dockerfile declares none (base_image starts from upstream). */
export const DEFAULT_REPOSITORY = 'nasa-fornax/fornax-images';
const IMAGE_TAG = 'type:image';

export interface NormalizedImageOptions {
  name: string;
  from: string;
  /** `images/<name>`. */
  root: string;
  /** The default of `ARG REPOSITORY` in the new Dockerfile. */
  repository: string;
  /** One line; a placeholder sentence when the user gave none. */
  description: string;
  /** True when `description` is the placeholder, so the README asks for a real one. */
  descriptionIsPlaceholder: boolean;
}

/** Checks every option against the tree before anything is written; throws a one-line UserError. */
export function normalizeOptions(tree: Tree, schema: ImageGeneratorSchema): NormalizedImageOptions {
  const name = assertValidImageName((schema.name ?? '').trim());
  const from = (schema.from ?? 'base_image').trim() || 'base_image';
  const root = joinPathFragments(IMAGES_DIR, name);
  const projects = getProjects(tree);

  if (tree.exists(root)) {
    throw new UserError(`image "${name}": ${root} already exists: choose another name, or edit that image instead.`);
  }
  const clash = projects.get(name);
  if (clash) {
    throw new UserError(`image "${name}": a project with that name already exists at ${clash.root}: choose another name.`);
  }
  if (from === name) {
    throw new UserError(`--from="${from}" is the image being created: start from an existing image, e.g. --from=base_image.`);
  }
  const base = projects.get(from);
  if (!base || !isImageProject(base)) {
    const available = [...projects.entries()].filter(([, project]) => isImageProject(project)).map(([projectName]) => projectName).sort();
    const choice = available.length > 0 ? `use one of ${available.join(', ')}` : `there is none yet: add a project tagged ${IMAGE_TAG} with a docker-build target first`;
    throw new UserError(`--from="${from}" is not an image of this repository: ${choice}.`);
  }

  const description = (schema.description ?? '').trim();
  if (/[\r\n]/.test(description)) {
    throw new UserError('--description must be one line: put longer text in the generated README.md instead.');
  }
  const dockerfilePath = joinPathFragments(base.root, 'Dockerfile');
  const dockerfile = tree.read(dockerfilePath, 'utf-8');
  return {
    name,
    from,
    root,
    repository: dockerfile === null ? DEFAULT_REPOSITORY : repositoryDefault(dockerfile, dockerfilePath),
    description: description || `The Fornax Science Environment on ${from}, with the packages for ${name}.`,
    descriptionIsPlaceholder: description === '',
  };
}

/** An image is what the release treats as one: tagged type:image and buildable. */
export function isImageProject(project: ProjectConfiguration): boolean {
  return (project.tags ?? []).includes(IMAGE_TAG) && project.targets?.['docker-build'] !== undefined;
}

/**
 * The default of the global `ARG REPOSITORY` in a Dockerfile, so a new image
 * pulls its base from the same place its base's own base comes from.
 */
export function repositoryDefault(dockerfile: string, path = 'Dockerfile'): string {
  for (const arg of DockerfileParser.parse(dockerfile).getInitialARGs()) {
    for (const property of arg.getProperties()) {
      if (property.getName() !== 'REPOSITORY') continue;
      // getValue drops the quotes around a default, as docker does.
      const value = property.getValue();
      if (!value) continue;
      if (!isLiteralRepository(value)) {
        throw new UserError(`${path}: ARG REPOSITORY=${value} is not a literal lower-case owner/name: fix that default first.`);
      }
      return value;
    }
  }
  return DEFAULT_REPOSITORY;
}

function isLiteralRepository(value: string): boolean {
  try {
    return !value.includes('$') && normalizeRepository(value) === value;
  } catch {
    return false;
  }
}
