import { posix } from 'node:path';
import { minimatch } from 'minimatch';
import { isValidImageName } from '../naming/refs';

/**
 * Which Dockerfiles of a repository are images: the `<folder>/*\/Dockerfile`
 * glob that takes the most of them, the `<folder>/*\/*\/Dockerfile` variants
 * beside it, and every other Dockerfile with the reason it is left out.
 */
export interface DockerfileLayout {
  /** The glob of the images' Dockerfiles; '' when the repository has no Dockerfile an image could be made of. */
  dockerfiles: string;
  /** The variants' glob; '' when no image has a variant folder. */
  variants: string;
  images: { name: string; dockerfile: string; root: string }[];
  variantsFound: { name: string; image: string; variant: string; dockerfile: string; root: string }[];
  leftOut: { path: string; reason: string }[];
  /** Globs that take as many Dockerfiles as the chosen one: the choice is the user's. */
  ties: string[];
  /** Dockerfiles the glob takes that should not be images (a fixture, an invalid name): the plugin would make them images. */
  conflicts: { path: string; reason: string }[];
}

/** Folders whose Dockerfiles are test data or examples, never images to build and push. */
const NOT_IMAGES = new Set(['test', 'tests', 'fixtures', '__fixtures__', 'testdata', 'test-data', 'examples', 'node_modules', 'docs', 'vendor']);

/** `given` globs (the user's answer) replace the detected ones; variants `none`: no variants. */
export function dockerfileLayout(paths: readonly string[], given: { dockerfiles?: string; variants?: string } = {}): DockerfileLayout {
  const sorted = [...new Set(paths)].sort();
  const leftOut: { path: string; reason: string }[] = [];
  const counts = new Map<string, number>();
  for (const path of sorted) {
    const excluded = exclusion(path);
    if (excluded) continue;
    const container = posix.dirname(posix.dirname(path));
    counts.set(container, (counts.get(container) ?? 0) + 1);
  }
  const ranked = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].length - b[0].length || a[0].localeCompare(b[0]));
  const [best] = ranked;
  const dockerfiles = given.dockerfiles || (best ? globOf(best[0], 1) : '');
  const ties = given.dockerfiles ? [] : best ? ranked.filter(([, count]) => count === best[1]).map(([container]) => globOf(container, 1)) : [];

  const images: DockerfileLayout['images'] = [];
  const conflicts: DockerfileLayout['conflicts'] = [];
  for (const path of sorted) {
    if (dockerfiles && minimatch(path, dockerfiles)) {
      const name = posix.basename(posix.dirname(path));
      const excluded = exclusion(path);
      if (excluded && !given.dockerfiles) conflicts.push({ path, reason: `${excluded}, yet ${dockerfiles} takes it` });
      else if (!isValidImageName(name)) conflicts.push({ path, reason: `its folder "${name}" is not a valid image name (lower-case letters, digits, single ._- separators)` });
      else images.push({ name, dockerfile: path, root: posix.dirname(path) });
    }
  }
  const imageNames = new Set(images.map((image) => image.name));
  const variantGlob = given.variants === 'none' ? '' : given.variants || (given.dockerfiles ? given.dockerfiles.replace(/Dockerfile$/, '*/Dockerfile') : best ? globOf(best[0], 2) : '');
  const variantsFound: DockerfileLayout['variantsFound'] = [];
  for (const path of sorted) {
    if (dockerfiles && minimatch(path, dockerfiles)) continue;
    const excluded = exclusion(path);
    if (excluded) {
      leftOut.push({ path, reason: excluded });
      continue;
    }
    const variant = posix.basename(posix.dirname(path));
    const image = posix.basename(posix.dirname(posix.dirname(path)));
    if (variantGlob && minimatch(path, variantGlob) && imageNames.has(image)) {
      if (!isValidImageName(variant)) leftOut.push({ path, reason: `its folder "${variant}" is not a valid variant name` });
      else if (imageNames.has(`${image}-${variant}`)) leftOut.push({ path, reason: `its project name ${image}-${variant} is an image's` });
      else variantsFound.push({ name: `${image}-${variant}`, image, variant, dockerfile: path, root: posix.dirname(path) });
      continue;
    }
    leftOut.push({ path, reason: dockerfiles ? `outside ${dockerfiles}${variantGlob ? ` and its variants ${variantGlob}` : ''}` : 'no folder to name an image after' });
  }
  return { dockerfiles, variants: variantsFound.length > 0 ? variantGlob : '', images, variantsFound, leftOut, ties: ties.length > 1 ? ties : [], conflicts };
}

/** Why a Dockerfile is no image whatever the glob, or undefined. */
function exclusion(path: string): string | undefined {
  if (posix.basename(path) !== 'Dockerfile') return 'not named Dockerfile (the plugin reads <folder>/Dockerfile only)';
  if (!path.includes('/')) return 'at the repository root: an image is named after its folder';
  const folder = path.split('/').slice(0, -1).find((part) => NOT_IMAGES.has(part.toLowerCase()));
  if (folder) return `inside a ${folder}/ folder: test data or an example, not an image`;
  return undefined;
}

function globOf(container: string, depth: 1 | 2): string {
  const stars = depth === 1 ? '*' : '*/*';
  return container === '.' ? `${stars}/Dockerfile` : `${container}/${stars}/Dockerfile`;
}
