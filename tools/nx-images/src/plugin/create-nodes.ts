import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createNodesFromFiles, type CreateNodes } from '@nx/devkit';
import { workspaceDataDirectory } from '@nx/devkit/internal';
import { UserError } from '../lib/core/errors';
import { inferImageProject } from '../lib/core/graph/image-project';
import { imageOfDockerfile, variantOfDockerfile } from '../lib/core/graph/dockerfile-globs';
import { defaultBranchOf, withDefaultBranch } from '../lib/core/graph/plugin-entry';
import { type ImagesPluginOptions, normalizePluginOptions } from '../lib/core/graph/plugin-options';
import { type TargetNames } from '../lib/core/graph/target-names';
import { isValidImageName } from '../lib/core/naming/refs';
import { repositoryImages } from '../lib/core/dockerfile/repository-images';
import { locateTests, normalizeTestRule, type TestRule } from '../lib/core/evidence/test-rule';

/** Raised whenever what a parse yields for the same text changes, so the cache of an older parser is not read. */
const PARSER_VERSION = 3;

/** What one Dockerfile's parse yields, cached by its content and the options. */
interface Parsed {
  images: string[];
}

/**
 * Every Dockerfile the `dockerfiles` option matches makes an image project
 * named after its folder (see inferImageProject). Nx hands over every
 * Dockerfile of the workspace; the option picks the images among them.
 */
export const createNodes: CreateNodes<ImagesPluginOptions> = [
  '**/Dockerfile',
  async (files, rawOptions, context) => {
    const options = normalizePluginOptions(rawOptions);
    // Resolved once here and written into every target's options: no executor reads nx.json again.
    const settings = withDefaultBranch(options, defaultBranchOf(context.nxJsonConfiguration));
    const variants = files.filter((file) => variantOfDockerfile(file, options.variants) !== undefined);
    const dockerfiles = files.filter((file) => imageOfDockerfile(file, options.dockerfiles) !== undefined && !variants.includes(file));
    const names = new Set(dockerfiles.map((file) => imageOfDockerfile(file, options.dockerfiles)));
    // A new parser must never serve dependencies an older one cached.
    const optionsKey = hash(`${PARSER_VERSION}\n${JSON.stringify(options)}`);
    const cache = readCache(optionsKey);
    try {
      return await createNodesFromFiles(
        (file) => {
          const variant = variantOfDockerfile(file, options.variants);
          const name = variant?.project ?? imageOfDockerfile(file, options.dockerfiles) ?? '';
          if (variant && !names.has(variant.image)) {
            throw new UserError({ subject: dirname(file), problem: `a variant of ${variant.image}, which is no image (no ${dirname(dirname(file))}/Dockerfile the dockerfiles option takes)`, fix: 'add that image, or move the variant' });
          }
          if (variant && names.has(name)) {
            throw new UserError({ subject: dirname(file), problem: `the variant's project name ${name} is also an image's`, fix: 'rename the variant\'s folder or that image' });
          }
          if (!isValidImageName(name) || (variant && !isValidImageName(variant.variant))) {
            throw new UserError({ subject: dirname(file), problem: `"${name}" cannot name an image`, fix: 'rename the folder with lower-case letters, digits and single separators (._-), e.g. env-core' });
          }
          const text = readFileSync(join(context.workspaceRoot, file), 'utf8');
          const key = hash(text);
          let parsed = cache.entries[key];
          if (!parsed) {
            parsed = { images: repositoryImages(text, options.buildArgs, undefined, file, {}, options.selfNames).images };
            cache.changed = true;
          }
          cache.used[key] = parsed;
          // An image the registry has but this repository no longer builds is read like an external one.
          const takesFrom = parsed.images.filter((image) => names.has(image));
          const project = inferImageProject(name, file, takesFrom, hasTests(context.workspaceRoot, name, dirname(file), options.tests, options.targets), variant, settings);
          return { projects: { [dirname(file)]: project } };
        },
        [...dockerfiles, ...variants],
        rawOptions,
        context,
      );
    } finally {
      writeCache(optionsKey, cache);
    }
  },
];

/**
 * The image's tests exist where its rule (its project.json's image-test
 * `tests`, else the plugin's) puts them: any of its paths a file, or a
 * folder with something in it (what runs there is the image-test
 * executor's business). Read on every graph computation, outside the parse
 * cache, so a new test counts.
 */
function hasTests(workspaceRoot: string, name: string, root: string, pluginRule: TestRule, targets: TargetNames): boolean {
  const locations = locateTests(ownTestRule(join(workspaceRoot, root, 'project.json'), name, targets.test) ?? pluginRule, { name, root });
  return locations.some((location) => {
    try {
      const path = join(workspaceRoot, location.path);
      return statSync(path).isFile() || readdirSync(path).length > 0;
    } catch {
      return false;
    }
  });
}

/** The image-test `tests` option of the image's project.json, when it has one. */
function ownTestRule(projectJson: string, name: string, testTarget: string): TestRule | undefined {
  if (!existsSync(projectJson)) return undefined;
  let tests: unknown;
  try {
    tests = (JSON.parse(readFileSync(projectJson, 'utf8')) as { targets?: Record<string, { options?: { tests?: unknown } }> }).targets?.[testTarget]?.options?.tests;
  } catch {
    // Nx itself reports a project.json that does not parse.
    return undefined;
  }
  return tests === undefined ? undefined : normalizeTestRule(tests, { image: name, subject: `${testTarget} option tests` });
}

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

interface Cache {
  entries: Record<string, Parsed>;
  /** The entries this run read: what is written back, so Dockerfiles long gone leave the cache. */
  used: Record<string, Parsed>;
  changed: boolean;
}

function cachePath(optionsKey: string): string {
  return join(workspaceDataDirectory, `nx-images-${optionsKey.slice(0, 16)}.json`);
}

function readCache(optionsKey: string): Cache {
  try {
    const path = cachePath(optionsKey);
    if (existsSync(path)) return { entries: JSON.parse(readFileSync(path, 'utf8')) as Record<string, Parsed>, used: {}, changed: false };
  } catch {
    // A damaged cache is rebuilt.
  }
  return { entries: {}, used: {}, changed: false };
}

function writeCache(optionsKey: string, cache: Cache): void {
  if (!cache.changed && Object.keys(cache.used).length === Object.keys(cache.entries).length) return;
  const path = cachePath(optionsKey);
  try {
    mkdirSync(dirname(path), { recursive: true });
    const partial = `${path}.${process.pid}.tmp`;
    writeFileSync(partial, JSON.stringify(cache.used));
    renameSync(partial, path);
  } catch {
    // Only a cache: the next run parses again.
  }
}
