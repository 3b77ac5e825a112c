import { UserError, type Subject } from '../errors';
import { DEFAULT_BUILD_ARG_NAMES, type BuildArgNames } from '../dockerfile/repository-images';
import { normalizeTestRule, type TestRule, type TestRun } from '../evidence/test-rule';
import { assertPlatforms, parsePlatform } from '../naming/platforms';
import { DEFAULT_PLATFORM_RUNNERS } from '../ci/platform-jobs';
import { assertBuildArgTemplates, assertTagTemplates } from '../naming/templates';
import { resolveVersionScheme, type VersionScheme } from '../release/version-scheme';
import { DEFAULT_DOCKERFILES, dockerfilesGlob, variantsGlob } from './dockerfile-globs';
import { TARGET_NAME_OPTIONS, targetNames, type TargetNames } from './target-names';

/**
 * The plugin's options as nx.json gives them, checked once (in createNodes)
 * and filled in: the settings every other part reads. See target-settings.ts
 * for what each inferred target carries of them.
 */

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
  /** The literal names of this repository's images, as Dockerfiles write them without args: `owner/` (Docker Hub implied), `ghcr.io/owner/repo/`. */
  selfNames?: string[];
  /** The command every image's tests run with, in its tests folder; empty: pytest for test_*.py files, else every executable file. */
  testCommand?: string[];
  /** Where every image's tests are and how they run (see TestRule); an image's image-test `tests` option replaces it. */
  tests?: { path?: string | string[]; mount?: string; run?: TestRun; command?: string[] };
  /** Registries every pushed tag of the publish branches, and every release tag, is copied to: `host[:port][/path]` (IMAGE_MIRRORS overrides). */
  mirrors?: string[];
  /** The branches whose pushed tags go to the mirrors and the notification endpoints; empty: the default branch. */
  publishBranches?: string[];
  /** The command run inside every image right after its build, writing its environment lock files into $LOCKS_DIR; empty: the built-in one. */
  lockCommand?: string[];
  /** Templates of the tags every pushed build gets (see core/templates.ts); the ones other than the branch tag are written once, never moved. */
  tagTemplates?: string[];
  /** Build args whose values are templates, rendered per build, e.g. { "BUILD_VERSION": "{image}:{tag}" }. */
  buildArgTemplates?: Record<string, string>;
  /** How release versions are written and ordered: "semver" (default), "calver" or "pattern" (with versionPattern). */
  versionScheme?: string;
  /** With versionScheme "pattern": a regular expression the whole version tag matches, whose capture groups are its numbers. */
  versionPattern?: string;
  /** A refresh rebuilds the images built on an image whose outside base moved, too (default); false: only that image. */
  refreshDependents?: boolean;
  /** The platforms every image is built for (`linux/amd64`, `linux/arm64`); an image's docker-build option `platforms` replaces it; empty: the runner's own. */
  platforms?: string[];
  /** Where CI builds each platform natively: platform -> runs-on label; merged over the default (linux/amd64 -> ubuntu-24.04, linux/arm64 -> ubuntu-24.04-arm). */
  platformRunners?: Record<string, string>;
  /** The names of the inferred targets, as Nx's own plugins let them be named; defaults: docker-build, image-test, release, release-check, publish, image-diff. */
  buildTargetName?: string;
  testTargetName?: string;
  releaseTargetName?: string;
  releaseCheckTargetName?: string;
  publishTargetName?: string;
  diffTargetName?: string;
}

/** Every plugin option filled in, with the workspace's default branch. */
export interface WorkspaceSettings {
  dockerfiles: string;
  /** The variants' glob; empty: no variants. */
  variants: string;
  buildArgs: BuildArgNames;
  /** The literal names of this repository's images (`owner/`, `docker.io/owner/`), each ending in `/`; empty: only the args name them. */
  selfNames: string[];
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
  /** Templates of the tags every pushed build gets (nx.json's and docker-build's option `tagTemplates`); default: the branch tag only. */
  tagTemplates: string[];
  /** Build arg name -> value template. */
  buildArgTemplates: Record<string, string>;
  /** How release versions are read and ordered; default semver. */
  versionScheme: VersionScheme;
  /** nx.json's defaultBase, else main: the branch whose tags every other branch falls back to. */
  defaultBranch: string;
  /** Whether a refresh also rebuilds what is built on a refreshed image. */
  refreshDependents: boolean;
  /** The platforms every image is built for; empty: the runner's own (one). */
  platforms: string[];
  /** platform -> runs-on label, the defaults with nx.json's over them. */
  platformRunners: Record<string, string>;
  /** The names of the inferred targets. */
  targets: TargetNames;
}

const OPTION_KEYS = ['dockerfiles', 'variants', 'buildArgs', 'selfNames', 'testCommand', 'tests', 'mirrors', 'publishBranches', 'lockCommand', 'tagTemplates', 'buildArgTemplates', 'versionScheme', 'versionPattern', 'refreshDependents', 'platforms', 'platformRunners', ...Object.values(TARGET_NAME_OPTIONS)];
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
  // `tags` is also every Nx project's own list of labels: the templates have a name that says what they are.
  if ('tags' in given) throw new UserError({ subject: `${IN_NX_JSON} option tags`, problem: 'the templates of the tags a build gets are the option tagTemplates', fix: 'rename tags to tagTemplates' });
  const unknown = Object.keys(given).filter((key) => !OPTION_KEYS.includes(key));
  if (unknown.length > 0) {
    throw new UserError({ subject: IN_NX_JSON, problem: `there is no option ${unknown.map((key) => JSON.stringify(key)).join(', ')}`, fix: `use the options ${OPTION_KEYS.join(', ')}` });
  }
  const dockerfiles = dockerfilesGlob(given.dockerfiles);
  const where = (option: string): Subject => ({ subject: `${IN_NX_JSON} option ${option}` });
  return {
    dockerfiles,
    variants: variantsGlob(given.variants, dockerfiles),
    buildArgs: buildArgNames(given.buildArgs, where('buildArgs')),
    selfNames: selfNames(given.selfNames, where('selfNames')),
    testCommand: words(given.testCommand, where('testCommand'), '["python", "-m", "pytest", "-q"]'),
    tests: normalizeTestRule(given.tests, where('tests')),
    mirrors: words(given.mirrors, where('mirrors'), '["123456789012.dkr.ecr.us-east-1.amazonaws.com/fornax"]'),
    publishBranches: words(given.publishBranches, where('publishBranches'), '["main", "develop"]'),
    lockCommand: words(given.lockCommand, where('lockCommand'), '["sh", "/opt/export-locks.sh"]'),
    tagTemplates: given.tagTemplates === undefined ? [...DEFAULT_TAG_TEMPLATES] : assertTagTemplates(given.tagTemplates, where('tagTemplates')),
    buildArgTemplates: assertBuildArgTemplates(given.buildArgTemplates, where('buildArgTemplates')),
    versionScheme: resolveVersionScheme(given.versionScheme, given.versionPattern, { where: `${IN_NX_JSON} option`, scheme: 'versionScheme', pattern: 'versionPattern' }),
    refreshDependents: flag(given.refreshDependents, where('refreshDependents'), true),
    platforms: assertPlatforms(given.platforms, where('platforms')),
    platformRunners: platformRunners(given.platformRunners, where('platformRunners')),
    targets: targetNames(given),
  };
}

/** A yes/no option; `fallback` when not given. */
function flag(value: unknown, where: Subject, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new UserError({ ...where, problem: `${JSON.stringify(value)} is not true or false`, fix: 'write true or false, without quotes' });
  return value;
}

/** A list option: non-empty strings, or nothing; `where` names it ("nx.json: ... option mirrors"). */
function words(value: unknown, where: Subject, example: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((word) => typeof word === 'string' && word.trim() !== '')) {
    throw new UserError({ ...where, problem: 'not a list of non-empty strings', fix: `give one such as ${example}` });
  }
  return value as string[];
}

/**
 * The selfNames option: each a registry path that names images by adding
 * one component, written with or without its trailing `/`, never a tag,
 * a digest or an arg.
 */
export function selfNames(value: unknown, where: Subject): string[] {
  const names = words(value, where, '["owner/", "docker.io/owner/"]');
  return names.map((name) => {
    const trimmed = name.trim().replace(/\/+$/, '');
    if (!SELF_NAME.test(trimmed)) {
      throw new UserError({ ...where, problem: `${JSON.stringify(name)} is not a registry path (no tag, digest or $ARG)`, fix: 'write the part before the image\'s name, e.g. "owner/" or "ghcr.io/owner/repo/"' });
    }
    return `${trimmed}/`;
  });
}
const SELF_NAME = /^(?:[A-Za-z0-9.-]+(?::[0-9]{1,5})?\/)?[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/;

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


/** platform -> runs-on label over the defaults; a label is a runner name GitHub accepts, never an expression. */
function platformRunners(value: unknown, where: Subject): Record<string, string> {
  if (value === undefined) return { ...DEFAULT_PLATFORM_RUNNERS };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UserError({ ...where, problem: 'not an object', fix: `give one such as ${JSON.stringify(DEFAULT_PLATFORM_RUNNERS)}` });
  }
  for (const [platform, runner] of Object.entries(value)) {
    if (!parsePlatform(platform) || platform !== platform.trim()) throw new UserError({ ...where, problem: `${JSON.stringify(platform)} is not os/arch[/variant]`, fix: 'key each runner by a platform, e.g. "linux/arm64"' });
    if (typeof runner !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(runner)) {
      throw new UserError({ ...where, subject: `${where.subject}.${platform}`, problem: `${JSON.stringify(runner)} is not a runner label`, fix: 'give a runs-on label such as "ubuntu-24.04-arm"' });
    }
  }
  return { ...DEFAULT_PLATFORM_RUNNERS, ...(value as Record<string, string>) };
}
