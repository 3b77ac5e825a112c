import { basename, dirname, posix } from 'node:path';
import { getProjects, readNxJson, visitNotIgnoredFiles, type Tree } from '@nx/devkit';
import { DockerfileParser } from 'dockerfile-ast';
import { UserError } from '../../lib/core/errors';
import { imageOfDockerfile } from '../../lib/core/graph/dockerfile-globs';
import { workspaceSettings } from '../../lib/core/graph/plugin-entry';
import { type WorkspaceSettings } from '../../lib/core/graph/plugin-options';
import { DEFAULT_REGISTRY } from '../../lib/core/graph/image-settings';
import { locateTests, rulePaths } from '../../lib/core/evidence/test-rule';
import { assertValidImageName, normalizeRepository } from '../../lib/core/naming/refs';
import type { BuildArgNames } from '../../lib/core/dockerfile/repository-images';
import type { ImageGeneratorSchema } from './schema';

export const DEFAULT_FROM = 'base_image';
/** What in a Dockerfile says its image is a conda environment the new image's environment.yml can update. */
const CONDA = /\b(?:mamba|micromamba|conda)\b|environment\.yml/;

export interface NormalizedImageOptions {
  name: string;
  /** The images it takes from: the first is the final stage's base, the others named stages. */
  from: string[];
  /** The folder of the new image, e.g. `images/<name>`. */
  root: string;
  /** The default of the repository ARG in the new Dockerfile (with the registry, when the repository arg carries it). */
  repository: string;
  /** The default of the registry ARG, when the convention has one. */
  registry: string;
  /** conda: an environment.yml the Dockerfile installs with mamba; plain: a Dockerfile to fill in. */
  body: 'conda' | 'plain';
  /** The first test's file, from the workspace root, where the workspace's tests rule looks; and where it runs. */
  testFile: string;
  testRun: 'image' | 'host';
  /** LABEL values written only when given. */
  vendor: string;
  licenses: string;
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
    throw new UserError({ subject: `image "${name}"`, problem: `${root} already exists`, fix: 'choose another name, or edit that image instead' });
  }
  const clash = getProjects(tree).get(name);
  if (clash) {
    throw new UserError({ subject: `image "${name}"`, problem: `a project with that name already exists at ${clash.root}`, fix: 'choose another name' });
  }
  const from = fromList(schema.from);
  for (const image of from) {
    if (image === name) {
      throw new UserError({ subject: '--from', problem: `"${image}" is the image being created`, fix: `start from an existing image, e.g. --from=${DEFAULT_FROM}` });
    }
    if (!images.has(image)) {
      const available = [...images.keys()].sort();
      const choice = available.length > 0 ? `use one of ${available.join(', ')}` : `there is none yet: add a folder with a Dockerfile matching ${settings.dockerfiles} first`;
      throw new UserError({ subject: '--from', problem: `"${image}" is not an image of this repository`, fix: choice });
    }
  }
  const description = (schema.description ?? '').trim();
  if (/[\r\n]/.test(description)) {
    throw new UserError({ subject: '--description', problem: 'more than one line', fix: 'put longer text in the generated README.md instead' });
  }
  // The first base's Dockerfile first, then every other image's: a new image pulls its bases from where the others do.
  const first = images.get(from[0] ?? '') ?? '';
  const dockerfiles = [first, ...[...images.values()].filter((path) => path !== first).sort()].map((path) => ({ path, text: tree.read(path, 'utf-8') ?? '' }));
  const repository = (schema.repository ?? '').trim() || firstDefined(dockerfiles, (file) => repositoryDefault(file.text, settings.buildArgs, file.path));
  if (!repository) {
    throw new UserError({
      subject: '--repository',
      problem: `none given, and no image of this repository sets a default for ARG ${settings.buildArgs.repository}`,
      fix: `pass --repository=${settings.buildArgs.registry ? 'owner/name' : 'registry/owner/name'}, the default the new Dockerfile gets`,
    });
  }
  const registry = settings.buildArgs.registry ? (firstDefined(dockerfiles, (file) => argDefault(file.text, settings.buildArgs.registry)) ?? DEFAULT_REGISTRY) : '';
  const body = schema.body ?? (dockerfiles.some((file) => CONDA.test(file.text)) ? 'conda' : 'plain');
  const rule = settings.tests;
  // The image's own path: the first that names it ({name}, {name_}, {root}), not a file every image shares.
  const own = rulePaths(rule).find((path) => /\{(?:name|name_|root)\}/.test(path)) ?? rulePaths(rule)[0] ?? '';
  const located = locateTests({ ...rule, path: own }, { name, root })[0]?.path ?? '';
  // A rule naming a file (tests/test_{name_}.py) is the file; one naming a folder gets test_<name>.py in it.
  const testFile = posix.extname(located) !== '' ? located : posix.join(located, `test_${name}.py`);
  if (tree.exists(testFile)) throw new UserError({ subject: `image "${name}"`, problem: `its tests file ${testFile} already exists`, fix: 'choose another name, or remove that file' });
  return {
    name,
    from,
    root,
    repository,
    registry,
    body,
    testFile,
    testRun: rule.run,
    vendor: (schema.vendor ?? '').trim(),
    licenses: (schema.licenses ?? '').trim(),
    buildArgs: settings.buildArgs,
    defaultBranch: settings.defaultBranch,
    description: description || `${name}: built on ${from.join(', ')}.`,
    descriptionIsPlaceholder: description === '',
  };
}

/** The first value `read` finds, reading no further (a later Dockerfile's mistake is not this image's). */
function firstDefined<T>(items: readonly T[], read: (item: T) => string | undefined): string | undefined {
  for (const item of items) {
    const value = read(item);
    if (value !== undefined) return value;
  }
  return undefined;
}

/** A global ARG's literal default in a Dockerfile; undefined when it declares none or one made of other args. */
function argDefault(dockerfile: string, name: string): string | undefined {
  for (const arg of DockerfileParser.parse(dockerfile).getInitialARGs()) {
    for (const property of arg.getProperties()) {
      const value = property.getName() === name ? property.getValue() : null;
      if (value && !value.includes('$')) return value;
    }
  }
  return undefined;
}

/** `--from`: one image, several comma-separated, or a list; each once, in order. */
function fromList(value: string | readonly string[] | undefined): string[] {
  const entries = (typeof value === 'string' ? [value] : (value ?? [])).flatMap((entry) => entry.split(',')).map((entry) => entry.trim());
  const list = entries.filter((entry) => entry !== '');
  if (list.length === 0) return [DEFAULT_FROM];
  const twice = list.find((entry, index) => list.indexOf(entry) !== index);
  if (twice) throw new UserError({ subject: '--from', problem: `it names ${twice} twice`, fix: 'name each image once' });
  return list;
}

/** Where the new image goes: the dockerfiles glob with its one `*` folder as the name. */
function imageRoot(settings: WorkspaceSettings, name: string): string {
  const folder = dirname(settings.dockerfiles);
  if (basename(folder) !== '*' || /[*?[{]/.test(dirname(folder))) {
    throw new UserError({
      subject: 'nx.json\'s dockerfiles',
      problem: `the image generator writes into <folder>/<name>/Dockerfile, but the glob is ${settings.dockerfiles}`,
      fix: 'use a glob such as images/*/Dockerfile, or add the image by hand',
    });
  }
  return posix.join(dirname(folder), name);
}

/** image name -> its Dockerfile, for every folder the plugin's glob makes an image (the same rule as its createNodes). */
export function imagesInTree(tree: Tree, settings: WorkspaceSettings): Map<string, string> {
  const images = new Map<string, string>();
  const start = settings.dockerfiles.split('/').findIndex((part) => /[*?[{]/.test(part));
  const dir = settings.dockerfiles.split('/').slice(0, Math.max(start, 0)).join('/');
  // '' is the root (a root-folder layout such as */Dockerfile), which always exists.
  if (dir !== '' && !tree.exists(dir)) return images;
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
        throw new UserError({ subject: path, problem: `ARG ${names.repository}=${value} is not a literal lower-case ${names.registry ? 'owner/name' : 'registry/owner/name'}`, fix: 'fix that default first' });
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
