import { basename, dirname, posix } from 'node:path';
import { getProjects, readNxJson, visitNotIgnoredFiles, type Tree } from '@nx/devkit';
import { DockerfileParser } from 'dockerfile-ast';
import { UserError } from '../../lib/core/errors';
import { imageOfDockerfile, workspaceSettings, type WorkspaceSettings } from '../../lib/core/graph/plugin-options';
import { assertValidImageName, normalizeRepository } from '../../lib/core/naming/refs';
import type { BuildArgNames } from '../../lib/core/dockerfile/repository-images';
import type { ImageGeneratorSchema } from './schema';

/** The REPOSITORY default when the `from` image's Dockerfile declares none (base_image starts from upstream). */
export const DEFAULT_REPOSITORY = 'nasa-fornax/fornax-images';
export const DEFAULT_FROM = 'base_image';

export interface NormalizedImageOptions {
  name: string;
  /** The images it takes from: the first is the final stage's base, the others named stages. */
  from: string[];
  /** The folder of the new image, e.g. `images/<name>`. */
  root: string;
  /** The default of the repository ARG in the new Dockerfile (with the registry, when the repository arg carries it). */
  repository: string;
  buildArgs: BuildArgNames;
  /** nx.json's default branch: the base tag ARG's default. */
  defaultBranch: string;
  /** One line; a placeholder sentence when the user gave none. */
  description: string;
  /** True when `description` is the placeholder, so the README asks for a real one. */
  descriptionIsPlaceholder: boolean;
}

/** Checks every option against the tree before anything is written; throws a one-line UserError. */
export function normalizeOptions(tree: Tree, schema: ImageGeneratorSchema): NormalizedImageOptions {
  const settings = workspaceSettings(readNxJson(tree) ?? undefined);
  const name = assertValidImageName((schema.name ?? '').trim());
  const root = imageRoot(settings, name);
  const images = imagesInTree(tree, settings);

  if (tree.exists(root)) {
    throw new UserError(`image "${name}": ${root} already exists: choose another name, or edit that image instead.`);
  }
  const clash = getProjects(tree).get(name);
  if (clash) {
    throw new UserError(`image "${name}": a project with that name already exists at ${clash.root}: choose another name.`);
  }
  const from = fromList(schema.from);
  for (const image of from) {
    if (image === name) {
      throw new UserError(`--from="${image}" is the image being created: start from an existing image, e.g. --from=${DEFAULT_FROM}.`);
    }
    if (!images.has(image)) {
      const available = [...images.keys()].sort();
      const choice = available.length > 0 ? `use one of ${available.join(', ')}` : `there is none yet: add a folder with a Dockerfile matching ${settings.dockerfiles} first`;
      throw new UserError(`--from="${image}" is not an image of this repository: ${choice}.`);
    }
  }
  const description = (schema.description ?? '').trim();
  if (/[\r\n]/.test(description)) {
    throw new UserError('--description must be one line: put longer text in the generated README.md instead.');
  }
  const first = images.get(from[0] ?? '') ?? '';
  const dockerfile = tree.read(first, 'utf-8');
  const repository = dockerfile === null ? undefined : repositoryDefault(dockerfile, settings.buildArgs, first);
  return {
    name,
    from,
    root,
    repository: repository ?? (settings.buildArgs.registry ? DEFAULT_REPOSITORY : `ghcr.io/${DEFAULT_REPOSITORY}`),
    buildArgs: settings.buildArgs,
    defaultBranch: settings.defaultBranch,
    description: description || `The Fornax Science Environment on ${from.join(', ')}, with the packages for ${name}.`,
    descriptionIsPlaceholder: description === '',
  };
}

/** `--from`: one image, several comma-separated, or a list; each once, in order. */
function fromList(value: string | readonly string[] | undefined): string[] {
  const entries = (typeof value === 'string' ? [value] : (value ?? [])).flatMap((entry) => entry.split(',')).map((entry) => entry.trim());
  const list = entries.filter((entry) => entry !== '');
  if (list.length === 0) return [DEFAULT_FROM];
  const twice = list.find((entry, index) => list.indexOf(entry) !== index);
  if (twice) throw new UserError(`--from names ${twice} twice: name each image once.`);
  return list;
}

/** Where the new image goes: the dockerfiles glob with its one `*` folder as the name. */
function imageRoot(settings: WorkspaceSettings, name: string): string {
  const folder = dirname(settings.dockerfiles);
  if (basename(folder) !== '*' || /[*?[{]/.test(dirname(folder))) {
    throw new UserError(
      `the image generator writes into <folder>/<name>/Dockerfile, but nx.json's dockerfiles is ${settings.dockerfiles}: use a glob such as images/*/Dockerfile, or add the image by hand.`,
    );
  }
  return posix.join(dirname(folder), name);
}

/** image name -> its Dockerfile, for every folder the plugin's glob makes an image (the same rule as its createNodes). */
export function imagesInTree(tree: Tree, settings: WorkspaceSettings): Map<string, string> {
  const images = new Map<string, string>();
  const start = settings.dockerfiles.split('/').findIndex((part) => /[*?[{]/.test(part));
  const dir = settings.dockerfiles.split('/').slice(0, Math.max(start, 0)).join('/') || '.';
  if (!tree.exists(dir)) return images;
  visitNotIgnoredFiles(tree, dir, (path) => {
    const image = imageOfDockerfile(path, settings.dockerfiles);
    if (image !== undefined) images.set(image, path);
  });
  return images;
}

/**
 * The default of the repository ARG in a Dockerfile, so a new image pulls
 * its bases from the same place its first base does; undefined when it
 * declares none.
 */
export function repositoryDefault(dockerfile: string, names: BuildArgNames, path = 'Dockerfile'): string | undefined {
  for (const arg of DockerfileParser.parse(dockerfile).getInitialARGs()) {
    for (const property of arg.getProperties()) {
      if (property.getName() !== names.repository) continue;
      // getValue drops the quotes around a default, as docker does.
      const value = property.getValue();
      if (!value) continue;
      if (!isLiteralRepository(value, names)) {
        throw new UserError(`${path}: ARG ${names.repository}=${value} is not a literal lower-case ${names.registry ? 'owner/name' : 'registry/owner/name'}: fix that default first.`);
      }
      return value;
    }
  }
  return undefined;
}

function isLiteralRepository(value: string, names: BuildArgNames): boolean {
  if (value.includes('$')) return false;
  // Without a registry arg the repository arg starts with the registry host, which may have a port.
  const path = names.registry ? value : value.slice(value.indexOf('/') + 1);
  if (!names.registry && !value.includes('/')) return false;
  try {
    return normalizeRepository(path) === path;
  } catch {
    return false;
  }
}
