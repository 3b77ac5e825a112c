import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createNodesFromFiles, type CreateNodes } from '@nx/devkit';
import { workspaceDataDirectory } from '@nx/devkit/internal';
import { UserError } from '../lib/core/errors';
import { inferImageProject } from '../lib/core/image-project';
import { TESTS_DIR } from '../lib/core/conventions';
import { imageOfDockerfile, normalizePluginOptions, type ImagesPluginOptions } from '../lib/core/plugin-options';
import { isValidImageName } from '../lib/core/refs';
import { repositoryImages } from '../lib/core/repository-images';

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
    const dockerfiles = files.filter((file) => imageOfDockerfile(file, options.dockerfiles) !== undefined);
    const names = new Set(dockerfiles.map((file) => imageOfDockerfile(file, options.dockerfiles)));
    const optionsKey = hash(JSON.stringify(options));
    const cache = readCache(optionsKey);
    try {
      return await createNodesFromFiles(
        (file) => {
          const name = imageOfDockerfile(file, options.dockerfiles) ?? '';
          if (!isValidImageName(name)) {
            throw new UserError(
              `${dirname(file)}: "${name}" cannot name an image: rename the folder with lower-case letters, digits and single separators (._-), e.g. env-core.`,
            );
          }
          const text = readFileSync(join(context.workspaceRoot, file), 'utf8');
          const key = hash(text);
          let parsed = cache.entries[key];
          if (!parsed) {
            parsed = { images: repositoryImages(text, options.buildArgs, undefined, file).images };
            cache.changed = true;
          }
          cache.used[key] = parsed;
          // An image the registry has but this repository no longer builds is read like an external one.
          const takesFrom = parsed.images.filter((image) => names.has(image));
          return { projects: { [dirname(file)]: inferImageProject(name, file, takesFrom, hasTests(join(context.workspaceRoot, dirname(file)))) } };
        },
        dockerfiles,
        rawOptions,
        context,
      );
    } finally {
      writeCache(optionsKey, cache);
    }
  },
];

/** The image has a tests folder with something in it (what runs there is the image-test executor's business). */
function hasTests(root: string): boolean {
  try {
    return readdirSync(join(root, TESTS_DIR)).length > 0;
  } catch {
    return false;
  }
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
  return join(workspaceDataDirectory, `fornax-images-${optionsKey.slice(0, 16)}.json`);
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
