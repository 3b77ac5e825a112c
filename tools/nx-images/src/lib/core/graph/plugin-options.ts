import { posix } from 'node:path';
import { minimatch } from 'minimatch';
import { DEFAULT_BRANCH, TARGET } from '../naming/conventions';
import { UserError, type Subject } from '../errors';
import { DEFAULT_BUILD_ARG_NAMES, type BuildArgNames } from '../dockerfile/repository-images';
import { DEFAULT_TEST_RULE, normalizeTestRule, type TestRule, type TestRun } from '../evidence/test-rule';
import { assertBuildArgTemplates, assertTagTemplates } from '../naming/templates';
import { resolveVersionScheme, SEMVER, type VersionScheme } from '../release/version-scheme';

/** The plugin's name in nx.json's `plugins`, and the prefix of its executors. */
export const PLUGIN_NAME = '@fornax/nx-images';

/** The plugin's options as nx.json gives them (`plugins: [{ plugin: "@fornax/nx-images", options }]`). */
export interface ImagesPluginOptions {
  /** Which Dockerfiles make image projects, a glob from the workspace root; each image is named after its folder. */
  dockerfiles?: string;
  /** Which Dockerfiles make variants (`<folder of an image>/<variant>/Dockerfile`, a glob such as docs/options.md shows); none by default. */
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
  /** The names of the inferred targets, as Nx's own plugins let them be named; defaults: docker-build, image-test, release, release-check, publish, image-diff. */
  buildTargetName?: string;
  testTargetName?: string;
  releaseTargetName?: string;
  releaseCheckTargetName?: string;
  publishTargetName?: string;
  diffTargetName?: string;
}

/** The names the inferred targets of every image go by. */
export interface TargetNames {
  build: string;
  test: string;
  release: string;
  releaseCheck: string;
  publish: string;
  diff: string;
}

export const DEFAULT_TARGET_NAMES: Readonly<TargetNames> = { build: TARGET.build, test: TARGET.test, release: TARGET.release, releaseCheck: TARGET.releaseCheck, publish: TARGET.publish, diff: TARGET.imageDiff };
/** Each target name's plugin option. */
const TARGET_NAME_OPTIONS: Readonly<Record<keyof TargetNames, string>> = {
  build: 'buildTargetName',
  test: 'testTargetName',
  release: 'releaseTargetName',
  releaseCheck: 'releaseCheckTargetName',
  publish: 'publishTargetName',
  diff: 'diffTargetName',
};
/** A name `nx run <image>:<target>` and `-t <target>` take as it is. */
const TARGET_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

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
  /** Templates of the tags every pushed build gets (nx.json's and docker-build's option `tags`); default: the branch tag only. */
  tagTemplates: string[];
  /** Build arg name -> value template. */
  buildArgTemplates: Record<string, string>;
  /** How release versions are read and ordered; default semver. */
  versionScheme: VersionScheme;
  /** nx.json's defaultBase, else main: the branch whose tags every other branch falls back to. */
  defaultBranch: string;
  /** The names of the inferred targets. */
  targets: TargetNames;
}

export const DEFAULT_DOCKERFILES = 'images/*/Dockerfile';
const OPTION_KEYS = ['dockerfiles', 'variants', 'buildArgs', 'testCommand', 'tests', 'mirrors', 'publishBranches', 'lockCommand', 'tags', 'buildArgTemplates', 'versionScheme', 'versionPattern', ...Object.values(TARGET_NAME_OPTIONS)];
/** Where nx.json's options are named in an error. */
const IN_NX_JSON = `nx.json: ${PLUGIN_NAME}`;
export const DEFAULT_TAG_TEMPLATES: readonly string[] = ['{branch}'];
const ARG_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Checks the plugin's options and fills in the defaults; a mistake is one line naming the option and the fix. */
export function normalizePluginOptions(options: unknown): Omit<WorkspaceSettings, 'defaultBranch'> {
  const given = (options ?? {}) as Record<string, unknown>;
  if (typeof given !== 'object' || Array.isArray(given)) {
    throw new UserError({ subject: IN_NX_JSON, problem: 'its options are not an object', fix: `give an object, e.g. { "dockerfiles": "${DEFAULT_DOCKERFILES}" }` });
  }
  const unknown = Object.keys(given).filter((key) => !OPTION_KEYS.includes(key));
  if (unknown.length > 0) {
    throw new UserError({ subject: IN_NX_JSON, problem: `there is no option ${unknown.map((key) => JSON.stringify(key)).join(', ')}`, fix: `use the options ${OPTION_KEYS.join(', ')}` });
  }
  const dockerfiles = given.dockerfiles ?? DEFAULT_DOCKERFILES;
  if (typeof dockerfiles !== 'string' || !/^[^/]/.test(dockerfiles) || !/(?:^|\/)Dockerfile$/.test(dockerfiles) || dockerfiles.includes('..')) {
    throw new UserError({ subject: `${IN_NX_JSON} option dockerfiles`, problem: `${JSON.stringify(dockerfiles)} is not a glob of Dockerfiles inside the workspace`, fix: `give one like "${DEFAULT_DOCKERFILES}"` });
  }
  const where = (option: string): Subject => ({ subject: `${IN_NX_JSON} option ${option}` });
  return {
    dockerfiles,
    variants: variantsGlob(given.variants, dockerfiles),
    buildArgs: buildArgNames(given.buildArgs, where('buildArgs')),
    testCommand: words(given.testCommand, where('testCommand'), '["python", "-m", "pytest", "-q"]'),
    tests: normalizeTestRule(given.tests, where('tests')),
    mirrors: words(given.mirrors, where('mirrors'), '["123456789012.dkr.ecr.us-east-1.amazonaws.com/fornax"]'),
    publishBranches: words(given.publishBranches, where('publishBranches'), '["main", "develop"]'),
    lockCommand: words(given.lockCommand, where('lockCommand'), '["sh", "/opt/export-locks.sh"]'),
    tagTemplates: given.tags === undefined ? [...DEFAULT_TAG_TEMPLATES] : assertTagTemplates(given.tags, where('tags')),
    buildArgTemplates: assertBuildArgTemplates(given.buildArgTemplates, where('buildArgTemplates')),
    versionScheme: resolveVersionScheme(given.versionScheme, given.versionPattern, { where: `${IN_NX_JSON} option`, scheme: 'versionScheme', pattern: 'versionPattern' }),
    targets: targetNames(given),
  };
}

/** The target name options, each a name Nx runs as it is, no two alike. */
function targetNames(given: Record<string, unknown>): TargetNames {
  const names = { ...DEFAULT_TARGET_NAMES };
  for (const key of Object.keys(TARGET_NAME_OPTIONS) as (keyof TargetNames)[]) {
    const option = TARGET_NAME_OPTIONS[key];
    const value = given[option];
    if (value === undefined) continue;
    if (typeof value !== 'string' || !TARGET_NAME.test(value)) {
      throw new UserError({ subject: `${IN_NX_JSON} option ${option}`, problem: `${JSON.stringify(value)} is not a target name`, fix: `use letters, digits, "_", "." and "-", e.g. "${DEFAULT_TARGET_NAMES[key]}"` });
    }
    names[key] = value;
  }
  const taken = Object.values(names);
  const twice = taken.find((name, index) => taken.indexOf(name) !== index);
  if (twice !== undefined) throw new UserError({ subject: IN_NX_JSON, problem: `two targets are named ${JSON.stringify(twice)}`, fix: `give each of ${Object.values(TARGET_NAME_OPTIONS).join(', ')} its own name` });
  return names;
}

/** A list option: non-empty strings, or nothing; `where` names it ("nx.json: ... option mirrors"). */
function words(value: unknown, where: Subject, example: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((word) => typeof word === 'string' && word.trim() !== '')) {
    throw new UserError({ ...where, problem: 'not a list of non-empty strings', fix: `give one such as ${example}` });
  }
  return value as string[];
}

function buildArgNames(value: unknown, where: Subject): BuildArgNames {
  if (value === undefined) return DEFAULT_BUILD_ARG_NAMES;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UserError({ ...where, problem: 'not an object', fix: `give one such as ${JSON.stringify(DEFAULT_BUILD_ARG_NAMES)}` });
  }
  const names: Record<string, unknown> = { ...DEFAULT_BUILD_ARG_NAMES, ...value };
  const keys = Object.keys(DEFAULT_BUILD_ARG_NAMES);
  for (const [key, name] of Object.entries(names)) {
    if (!keys.includes(key)) {
      throw new UserError({ ...where, problem: `there is no ${JSON.stringify(key)}`, fix: `use the keys ${keys.join(', ')}` });
    }
    // No base tag arg (docker-stacks): every base follows the branch rule through its untagged reference.
    const optional = key === 'registry' || key === 'imageTag' || key === 'baseTag';
    if (typeof name !== 'string' || (name === '' ? !optional : !ARG_NAME.test(name))) {
      throw new UserError({
        ...where,
        subject: `${where.subject}.${key}`,
        problem: `${JSON.stringify(name)} is not a build arg name`,
        fix: `use letters, digits and "_"${optional ? ', or "" for none' : ''}`,
      });
    }
  }
  const result = names as unknown as BuildArgNames;
  const used = [result.registry, result.repository, result.imageTag, result.baseTag].filter((name) => name !== '');
  if (new Set(used).size !== used.length) {
    throw new UserError({ ...where, problem: `one name is given to two args (${used.join(', ')})`, fix: 'give each its own' });
  }
  return result;
}

/** The variants option: a glob of Dockerfiles two folders below an image's, never the same as dockerfiles. */
function variantsGlob(value: unknown, dockerfiles: string): string {
  if (value === undefined || value === '') return '';
  if (typeof value !== 'string' || !/^[^/]/.test(value) || !/(?:^|\/)[^/]+\/[^/]+\/Dockerfile$/.test(value) || value.includes('..') || value === dockerfiles) {
    throw new UserError({
      subject: `${IN_NX_JSON} option variants`,
      problem: `${JSON.stringify(value)} is not a glob of Dockerfiles one folder below the images' (<image>/<variant>/Dockerfile)`,
      fix: 'give one like "images/*/*/Dockerfile"',
    });
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

/**
 * Whether an nx.json plugin entry is this plugin, by its package name or by
 * a path to its folder (`./tools/nx-images`, or a file in it); the I/O layer
 * also asks the package.json the path leads to.
 */
export function isImagesPlugin(plugin: string): boolean {
  if (plugin === PLUGIN_NAME || plugin.startsWith(`${PLUGIN_NAME}/`)) return true;
  if (plugin.startsWith('@')) return false;
  const folder = posix
    .normalize(plugin.replace(/\\/g, '/'))
    .replace(/\/+$/, '')
    .replace(/\/(?:src\/)?(?:index|plugin)(?:\.[cm]?[jt]s)?$/, '');
  return folder === 'tools/nx-images' || folder.endsWith('/tools/nx-images');
}

/** The nx.json default branch: defaultBase, else main. */
export function defaultBranchOf(nxJson: Pick<NxJsonLike, 'defaultBase'> | undefined): string {
  return nxJson?.defaultBase?.trim() || DEFAULT_BRANCH;
}

/**
 * The plugin's options and the default branch, read from nx.json: the first
 * plugin entry that is ours (by name or by path, see isImagesPlugin; `isOurs`
 * may know more), for what is workspace-wide. Executors never call this:
 * their targets carry the settings (see settingsFromOptions).
 */
export function workspaceSettings(nxJson: NxJsonLike | undefined, isOurs: (plugin: string) => boolean = isImagesPlugin): WorkspaceSettings {
  const entry = (nxJson?.plugins ?? []).find((plugin) => isOurs(typeof plugin === 'string' ? plugin : plugin.plugin));
  const options = typeof entry === 'object' ? entry.options : undefined;
  return withDefaultBranch(normalizePluginOptions(options), defaultBranchOf(nxJson));
}

/** The settings with the default branch, which is also the publish branch when none is named. */
export function withDefaultBranch(normalized: Omit<WorkspaceSettings, 'defaultBranch'>, defaultBranch: string): WorkspaceSettings {
  return { ...normalized, publishBranches: normalized.publishBranches.length > 0 ? normalized.publishBranches : [defaultBranch], defaultBranch };
}

/**
 * The settings the plugin writes into its targets' options (createNodes),
 * each target the ones it reads; a project.json may replace any of them.
 * Names that a target already uses for something else get their own:
 * docker-build's buildArgs are values, so the arg names are buildArgNames;
 * publish's mirrors beat IMAGE_MIRRORS, so nx.json's are pluginMirrors.
 */
export interface SettingsOptions {
  buildArgNames?: Partial<BuildArgNames>;
  /** docker-build's per-build tag templates, under the name nx.json gives them (release's `tags` are release tags, another option of another executor). */
  tags?: string[];
  buildArgTemplates?: Record<string, string>;
  lockCommand?: string[];
  defaultBranch?: string;
  tests?: unknown;
  testCommand?: string[];
  mirrors?: string[];
  pluginMirrors?: string[];
  testTargetName?: string;
}

/** What each inferred target gets of the settings, as options. */
export function targetSettings(settings: WorkspaceSettings): {
  build: SettingsOptions;
  test: SettingsOptions;
  release: SettingsOptions & { versionScheme?: string; versionPattern?: string };
  publish: SettingsOptions;
} {
  const { versionScheme } = settings;
  return {
    build: {
      buildArgNames: settings.buildArgs,
      tags: [...settings.tagTemplates],
      buildArgTemplates: { ...settings.buildArgTemplates },
      lockCommand: [...settings.lockCommand],
      defaultBranch: settings.defaultBranch,
      testTargetName: settings.targets.test,
    },
    test: { tests: settings.tests, testCommand: [...settings.testCommand], buildArgNames: settings.buildArgs },
    release: {
      mirrors: [...settings.mirrors],
      testTargetName: settings.targets.test,
      // semver is the executors' own default; written only when nx.json chose another, so a run's --versionPattern alone still means "pattern".
      ...(versionScheme.name === 'semver' ? {} : { versionScheme: versionScheme.name }),
      ...(versionScheme.name === 'pattern' ? { versionPattern: versionScheme.pattern } : {}),
    },
    publish: { pluginMirrors: [...settings.mirrors] },
  };
}

/**
 * An executor's settings, from its own options (which the plugin filled in
 * from nx.json, see targetSettings): checked as nx.json's are, a mistake one
 * line naming the target's option. What a target does not carry is the default.
 */
export function settingsFromOptions(options: SettingsOptions, target: string): WorkspaceSettings {
  const where = (option: string): Subject => ({ subject: `${target} option ${option}` });
  const defaultBranch: unknown = options.defaultBranch === undefined ? DEFAULT_BRANCH : options.defaultBranch;
  if (typeof defaultBranch !== 'string' || defaultBranch.trim() === '') {
    throw new UserError({ ...where('defaultBranch'), problem: `${JSON.stringify(options.defaultBranch)} is no branch`, fix: 'remove it (the plugin sets it from nx.json\'s defaultBase), or name a branch' });
  }
  const testTarget = options.testTargetName ?? DEFAULT_TARGET_NAMES.test;
  if (typeof testTarget !== 'string' || !TARGET_NAME.test(testTarget)) {
    throw new UserError({ ...where('testTargetName'), problem: `${JSON.stringify(testTarget)} is not a target name`, fix: 'remove it (the plugin sets it from nx.json), or use letters, digits, "_", "." and "-"' });
  }
  const mirrors = options.pluginMirrors ?? options.mirrors;
  return withDefaultBranch(
    {
      dockerfiles: DEFAULT_DOCKERFILES,
      variants: '',
      buildArgs: buildArgNames(options.buildArgNames, where('buildArgNames')),
      testCommand: words(options.testCommand, where('testCommand'), '["python", "-m", "pytest", "-q"]'),
      tests: options.tests === undefined ? DEFAULT_TEST_RULE : normalizeTestRule(options.tests, where('tests')),
      mirrors: words(mirrors, where(options.pluginMirrors === undefined ? 'mirrors' : 'pluginMirrors'), '["123456789012.dkr.ecr.us-east-1.amazonaws.com/fornax"]'),
      publishBranches: [],
      lockCommand: words(options.lockCommand, where('lockCommand'), '["sh", "/opt/export-locks.sh"]'),
      tagTemplates: options.tags === undefined || options.tags.length === 0 ? [...DEFAULT_TAG_TEMPLATES] : assertTagTemplates(options.tags, where('tags')),
      buildArgTemplates: assertBuildArgTemplates(options.buildArgTemplates, where('buildArgTemplates')),
      versionScheme: SEMVER,
      targets: { ...DEFAULT_TARGET_NAMES, test: testTarget },
    },
    defaultBranch.trim(),
  );
}
