import { posix } from 'node:path';
import { minimatch } from 'minimatch';
import { DEFAULT_BRANCH } from '../naming/conventions';
import { UserError } from '../errors';
import { DEFAULT_BUILD_ARG_NAMES, type BuildArgNames } from '../dockerfile/repository-images';
import { normalizeTestRule, type TestRule, type TestRun } from '../evidence/test-rule';
import { assertBuildArgTemplates, assertTagTemplates } from '../naming/templates';
import { resolveVersionScheme, type VersionScheme } from '../release/version-scheme';

/** The plugin's name in nx.json's `plugins`, and the prefix of its executors. */
export const PLUGIN_NAME = '@fornax/nx-images';

/** The plugin's options as nx.json gives them (`plugins: [{ plugin: "@fornax/nx-images", options }]`). */
export interface ImagesPluginOptions {
  /** Which Dockerfiles make image projects, a glob from the workspace root; each image is named after its folder. */
  dockerfiles?: string;
  /** Which Dockerfiles make variants (`<folder of an image>/<variant>/Dockerfile`, a glob such as the README shows); none by default. */
  variants?: string;
  /** The names of the build args through which Dockerfiles name this repository's images. */
  buildArgs?: Partial<BuildArgNames>;
  /** The command every image's tests run with, in its tests folder; empty: pytest for test_*.py files, else every executable file. */
  testCommand?: string[];
  /** Where every image's tests are and how they run (see TestRule); an image's image-test `tests` option replaces it. */
  tests?: { path?: string; mount?: string; run?: TestRun; command?: string[] };
  /** Registries every pushed tag of the publish branches, and every release tag, is copied to: `host[:port][/path]` (IMAGE_MIRRORS overrides). */
  mirrors?: string[];
  /** The branches whose pushed tags go to the mirrors and the notification endpoints; empty: the default branch. */
  publishBranches?: string[];
  /** The command run inside every image right after its build, writing its environment lock files into $LOCKS_DIR; empty: the built-in one. */
  lockCommand?: string[];
  /** Templates of the tags every pushed build gets (see core/templates.ts); the ones other than the branch tag are written once, never moved. */
  tags?: string[];
  /** Build args whose values are templates, rendered per build, e.g. { "BUILD_VERSION": "{image}:{tag}" }. */
  buildArgTemplates?: Record<string, string>;
  /** How release versions are written and ordered: "semver" (default), "calver" or "pattern" (with versionPattern). */
  versionScheme?: string;
  /** With versionScheme "pattern": a regular expression the whole version tag matches, whose capture groups are its numbers. */
  versionPattern?: string;
}

/** Every plugin option filled in, with the workspace's default branch. */
export interface WorkspaceSettings {
  dockerfiles: string;
  /** The variants' glob; empty: no variants. */
  variants: string;
  buildArgs: BuildArgNames;
  /** The plugin's test command; empty: chosen per tests folder. */
  testCommand: string[];
  /** Where every image's tests are and how they run; default: `<image folder>/tests`, inside the image. */
  tests: TestRule;
  /** The mirrors as written in nx.json (IMAGE_MIRRORS, read where they are used, overrides them). */
  mirrors: string[];
  /** The branches whose pushes are published: the option, else the default branch. */
  publishBranches: string[];
  /** The lock command; empty: the built-in one. */
  lockCommand: string[];
  /** Templates of the tags every pushed build gets; default: the branch tag only. */
  tags: string[];
  /** Build arg name -> value template. */
  buildArgTemplates: Record<string, string>;
  /** How release versions are read and ordered; default semver. */
  versionScheme: VersionScheme;
  /** nx.json's defaultBase, else main: the branch whose tags every other branch falls back to. */
  defaultBranch: string;
}

export const DEFAULT_DOCKERFILES = 'images/*/Dockerfile';
const OPTION_KEYS = ['dockerfiles', 'variants', 'buildArgs', 'testCommand', 'tests', 'mirrors', 'publishBranches', 'lockCommand', 'tags', 'buildArgTemplates', 'versionScheme', 'versionPattern'];
export const DEFAULT_TAG_TEMPLATES: readonly string[] = ['{branch}'];
const ARG_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Checks the plugin's options and fills in the defaults; a mistake is one line naming the option and the fix. */
export function normalizePluginOptions(options: unknown): Omit<WorkspaceSettings, 'defaultBranch'> {
  const given = (options ?? {}) as Record<string, unknown>;
  if (typeof given !== 'object' || Array.isArray(given)) {
    throw new UserError(`nx.json: the options of ${PLUGIN_NAME} must be an object, e.g. { "dockerfiles": "${DEFAULT_DOCKERFILES}" }.`);
  }
  const unknown = Object.keys(given).filter((key) => !OPTION_KEYS.includes(key));
  if (unknown.length > 0) {
    throw new UserError(`nx.json: ${PLUGIN_NAME} has no option ${unknown.map((key) => JSON.stringify(key)).join(', ')}: the options are ${OPTION_KEYS.join(', ')}.`);
  }
  const dockerfiles = given.dockerfiles ?? DEFAULT_DOCKERFILES;
  if (typeof dockerfiles !== 'string' || !/^[^/]/.test(dockerfiles) || !/(?:^|\/)Dockerfile$/.test(dockerfiles) || dockerfiles.includes('..')) {
    throw new UserError(
      `nx.json: ${PLUGIN_NAME} option dockerfiles ${JSON.stringify(dockerfiles)} is not a glob of Dockerfiles inside the workspace: give one like "${DEFAULT_DOCKERFILES}".`,
    );
  }
  return {
    dockerfiles,
    variants: variantsGlob(given.variants, dockerfiles),
    buildArgs: buildArgNames(given.buildArgs),
    testCommand: words(given.testCommand, 'testCommand', '["python", "-m", "pytest", "-q"]'),
    tests: normalizeTestRule(given.tests, `nx.json: ${PLUGIN_NAME} option tests`),
    mirrors: words(given.mirrors, 'mirrors', '["123456789012.dkr.ecr.us-east-1.amazonaws.com/fornax"]'),
    publishBranches: words(given.publishBranches, 'publishBranches', '["main", "develop"]'),
    lockCommand: words(given.lockCommand, 'lockCommand', '["sh", "/opt/export-locks.sh"]'),
    tags: given.tags === undefined ? [...DEFAULT_TAG_TEMPLATES] : assertTagTemplates(given.tags, `nx.json: ${PLUGIN_NAME} option tags`),
    buildArgTemplates: assertBuildArgTemplates(given.buildArgTemplates, `nx.json: ${PLUGIN_NAME} option buildArgTemplates`),
    versionScheme: resolveVersionScheme(given.versionScheme, given.versionPattern, { where: `nx.json: ${PLUGIN_NAME} option`, scheme: 'versionScheme', pattern: 'versionPattern' }),
  };
}

/** A list option: non-empty strings, or nothing. */
function words(value: unknown, option: string, example: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((word) => typeof word === 'string' && word.trim() !== '')) {
    throw new UserError(`nx.json: ${PLUGIN_NAME} option ${option} must be a list of non-empty strings, e.g. ${example}.`);
  }
  return value as string[];
}

function buildArgNames(value: unknown): BuildArgNames {
  if (value === undefined) return DEFAULT_BUILD_ARG_NAMES;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UserError(`nx.json: ${PLUGIN_NAME} option buildArgs must be an object such as ${JSON.stringify(DEFAULT_BUILD_ARG_NAMES)}.`);
  }
  const names: Record<string, unknown> = { ...DEFAULT_BUILD_ARG_NAMES, ...value };
  const keys = Object.keys(DEFAULT_BUILD_ARG_NAMES);
  for (const [key, name] of Object.entries(names)) {
    if (!keys.includes(key)) {
      throw new UserError(`nx.json: ${PLUGIN_NAME} option buildArgs has no ${JSON.stringify(key)}: its keys are ${keys.join(', ')}.`);
    }
    // No base tag arg (docker-stacks): every base follows the branch rule through its untagged reference.
    const optional = key === 'registry' || key === 'imageTag' || key === 'baseTag';
    if (typeof name !== 'string' || (name === '' ? !optional : !ARG_NAME.test(name))) {
      throw new UserError(
        `nx.json: ${PLUGIN_NAME} option buildArgs.${key} ${JSON.stringify(name)} is not a build arg name: use letters, digits and "_"${optional ? ', or "" for none' : ''}.`,
      );
    }
  }
  const result = names as unknown as BuildArgNames;
  const used = [result.registry, result.repository, result.imageTag, result.baseTag].filter((name) => name !== '');
  if (new Set(used).size !== used.length) {
    throw new UserError(`nx.json: ${PLUGIN_NAME} option buildArgs gives one name to two args (${used.join(', ')}): give each its own.`);
  }
  return result;
}

/** The variants option: a glob of Dockerfiles two folders below an image's, never the same as dockerfiles. */
function variantsGlob(value: unknown, dockerfiles: string): string {
  if (value === undefined || value === '') return '';
  if (typeof value !== 'string' || !/^[^/]/.test(value) || !/(?:^|\/)[^/]+\/[^/]+\/Dockerfile$/.test(value) || value.includes('..') || value === dockerfiles) {
    throw new UserError(
      `nx.json: ${PLUGIN_NAME} option variants ${JSON.stringify(value)} is not a glob of Dockerfiles one folder below the images' (<image>/<variant>/Dockerfile): give one like "images/*/*/Dockerfile".`,
    );
  }
  return value;
}

/**
 * A variant's Dockerfile (`.../<image>/<variant>/Dockerfile`, matched by the
 * variants glob): the image it is a variant of, the variant, and its
 * project's name `<image>-<variant>`; undefined when the glob does not take it.
 */
export function variantOfDockerfile(path: string, variants: string): { image: string; variant: string; project: string } | undefined {
  if (!variants || !minimatch(path, variants)) return undefined;
  const variant = posix.basename(posix.dirname(path));
  const image = posix.basename(posix.dirname(posix.dirname(path)));
  return { image, variant, project: `${image}-${variant}` };
}

/**
 * The image a Dockerfile makes, named after its folder, or undefined when
 * the dockerfiles glob does not take it: the one rule the plugin's
 * createNodes and the generator share.
 */
export function imageOfDockerfile(path: string, dockerfiles: string): string | undefined {
  return minimatch(path, dockerfiles) ? posix.basename(posix.dirname(path)) : undefined;
}

interface NxJsonLike {
  defaultBase?: string;
  plugins?: readonly (string | { plugin: string; options?: unknown })[];
}

/** The plugin's options and the default branch, read from nx.json as Nx passes it to executors. */
export function workspaceSettings(nxJson: NxJsonLike | undefined): WorkspaceSettings {
  const entry = (nxJson?.plugins ?? []).find((plugin) => (typeof plugin === 'string' ? plugin : plugin.plugin) === PLUGIN_NAME);
  const options = typeof entry === 'object' ? entry.options : undefined;
  const defaultBranch = nxJson?.defaultBase?.trim() || DEFAULT_BRANCH;
  const normalized = normalizePluginOptions(options);
  return { ...normalized, publishBranches: normalized.publishBranches.length > 0 ? normalized.publishBranches : [defaultBranch], defaultBranch };
}
