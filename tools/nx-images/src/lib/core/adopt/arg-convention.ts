import { DockerfileParser } from 'dockerfile-ast';
import { dockerfileImages, substitute } from '../dockerfile/dockerfile';
import { DEFAULT_BUILD_ARG_NAMES, repositoryImages, type BuildArgNames } from '../dockerfile/repository-images';

/** One image's Dockerfile as detection reads it. */
export interface ImageDockerfile {
  /** The project: an image, or `<image>-<variant>`. */
  name: string;
  path: string;
  text: string;
}

/** The arg convention a repository's Dockerfiles name their own images with, chosen among every one their ARGs allow. */
export interface ArgConvention {
  buildArgs: BuildArgNames;
  /** How many reads of an image of this repository it resolves, and how many of those follow the base tag arg. */
  resolved: number;
  followBaseTag: number;
  /** Other conventions that resolve exactly as many: the choice is the user's. */
  ties: BuildArgNames[];
  /** project -> the images of this repository it takes from, under the chosen convention. */
  bases: Record<string, string[]>;
  /** Reads that name an image of this repository with no arg for the repository: what selfNames is detected from. */
  literal: { project: string; path: string; written: string; image: string }[];
  /** The literal names of this repository's images those reads use (`owner/`, `ghcr.io/owner/repo/`), each once, in order; the bases above include their reads. */
  selfNames: string[];
  /** The defaults the Dockerfiles give the registry and repository args, each distinct value once, in order. */
  registryDefaults: string[];
  repositoryDefaults: string[];
}

const HOST = /^(?:localhost|[a-z0-9-]+(?:\.[a-z0-9-]+)+|\[[0-9a-f:.]+\])(?::[0-9]{1,5})?$/i;

/**
 * Tries every convention the global ARGs allow (a registry arg holding a
 * host, or none; any arg for the repository; a tag arg, or none) and keeps
 * the one under which the most reads resolve to images of this repository,
 * preferring one whose bases follow the base tag arg.
 */
export function argConvention(files: readonly ImageDockerfile[], images: readonly string[], forced?: BuildArgNames, givenSelfNames?: readonly string[]): ArgConvention {
  const own = new Set(images);
  const declared = files.map((file) => globalArgDefaults(file.text));
  const names = [...new Set(declared.flatMap((args) => [...args.keys()]))].sort();
  const hostLike = names.filter((name) => declared.some((args) => HOST.test(args.get(name) ?? '')));
  const tagLike = names.filter((name) => declared.every((args) => !(args.get(name) ?? '').includes('/')));

  const scored: { buildArgs: BuildArgNames; resolved: number; followBaseTag: number }[] = [];
  const registries = forced ? [forced.registry] : ['', ...hostLike];
  for (const registry of registries) {
    for (const repository of forced ? [forced.repository] : names) {
      if (repository === registry) continue;
      for (const baseTag of forced ? [forced.baseTag] : ['', ...tagLike]) {
        if (baseTag === registry || baseTag === repository) continue;
        const buildArgs = { registry, repository, imageTag: '', baseTag };
        let resolved = 0;
        let followBaseTag = 0;
        for (const file of files) {
          for (const read of readsOf(file, buildArgs, own)) {
            resolved++;
            if (read.tagFrom === 'base-tag-arg') followBaseTag++;
          }
        }
        // A base tag arg no read follows is the same convention as none: keep the one with fewer args.
        if (forced || (resolved > 0 && (baseTag === '' || followBaseTag > 0))) scored.push({ buildArgs, resolved, followBaseTag });
      }
    }
  }
  scored.sort((a, b) => b.resolved - a.resolved || b.followBaseTag - a.followBaseTag);
  const [best] = scored;
  const imageTag = names.includes(DEFAULT_BUILD_ARG_NAMES.imageTag) || files.some((file) => declaresArg(file.text, DEFAULT_BUILD_ARG_NAMES.imageTag)) ? DEFAULT_BUILD_ARG_NAMES.imageTag : '';
  const chosen: BuildArgNames = forced ?? (best ? { ...best.buildArgs, imageTag: imageTag === best.buildArgs.repository || imageTag === best.buildArgs.registry ? '' : imageTag } : DEFAULT_BUILD_ARG_NAMES);
  const ties = best && !forced ? scored.filter((entry) => entry !== best && entry.resolved === best.resolved && entry.followBaseTag === best.followBaseTag).map((entry) => entry.buildArgs) : [];

  const literal: ArgConvention['literal'] = [];
  for (const file of files) {
    const reads = best ? readsOf(file, chosen, own) : [];
    const ownStarts = new Set(reads.map((read) => read.start));
    for (const read of dockerfileImages(file.text, {}).reads) {
      // A tag or digest from an arg still names the image literally: `owner/base:${BASE_TAG}`.
      if (ownStarts.has(read.start) || repositoryPart(read.written).includes('$')) continue;
      const image = imageNameOf(read.reference);
      if (image && own.has(image) && image !== file.name) literal.push({ project: file.name, path: file.path, written: read.written, image });
    }
  }
  const selfNames = givenSelfNames ? [...givenSelfNames] : [...new Set(literal.map((read) => selfNameOf(read.written)))];
  // With no convention of args, the tag arg the literal reads share is the base tag arg: `owner/x:${BASE_TAG}`.
  const literalTagArg = !best && !forced ? sharedTagArg(literal.map((read) => read.written)) : undefined;
  const convention: BuildArgNames = literalTagArg && literalTagArg !== chosen.registry && literalTagArg !== chosen.repository ? { ...chosen, imageTag, baseTag: literalTagArg } : chosen;
  const bases: Record<string, string[]> = {};
  for (const file of files) bases[file.name] = [...new Set(readsOf(file, convention, own, selfNames).map((read) => read.image))];
  const valuesOf = (name: string) => (name ? [...new Set(declared.map((args) => args.get(name)).filter((value): value is string => !!value && !value.includes('$')))] : []);
  return {
    buildArgs: convention,
    resolved: best?.resolved ?? 0,
    followBaseTag: best?.followBaseTag ?? 0,
    ties,
    bases,
    literal,
    selfNames,
    registryDefaults: best ? valuesOf(chosen.registry) : [],
    repositoryDefaults: best ? valuesOf(chosen.repository) : [],
  };
}

/** The reads of other images of this repository a Dockerfile makes under one convention (and its self names). */
function readsOf(file: ImageDockerfile, buildArgs: BuildArgNames, own: ReadonlySet<string>, selfNames: readonly string[] = []) {
  try {
    return repositoryImages(file.text, buildArgs, undefined, file.path, {}, selfNames).reads.filter((read) => own.has(read.image) && read.image !== file.name);
  } catch {
    // A convention under which a tag is made out of the base tag arg is not the one this Dockerfile follows.
    return [];
  }
}

/** The self name a literal reference uses: the reference without its tag, digest and image name, ending in `/`: `owner/x:${TAG}` -> `owner/`. */
export function selfNameOf(written: string): string {
  const name = repositoryPart(written);
  return name.slice(0, name.lastIndexOf('/') + 1);
}

/** The one arg every reference's tag is (`x:${BASE_TAG}`, `x:$BASE_TAG`), or undefined. */
function sharedTagArg(written: readonly string[]): string | undefined {
  const args = new Set(written.map((reference) => /:\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$/.exec(reference.split('@')[0] ?? '')?.[1]));
  const [only] = [...args];
  return args.size === 1 && only !== undefined ? only : undefined;
}

/** The global ARGs (before the first FROM) with their defaults expanded; '' for none. */
export function globalArgDefaults(text: string): Map<string, string> {
  const values: Record<string, string> = {};
  const result = new Map<string, string>();
  for (const property of DockerfileParser.parse(text).getInitialARGs().flatMap((arg) => arg.getProperties())) {
    const value = substitute(property.getValue() ?? '', values);
    values[property.getName()] = value;
    result.set(property.getName(), value);
  }
  return result;
}

function declaresArg(text: string, name: string): boolean {
  return DockerfileParser.parse(text)
    .getARGs()
    .some((arg) => arg.getProperties().some((property) => property.getName() === name));
}

/** A reference without its tag or digest: `owner/x:${TAG}` -> owner/x, `ghcr.io:443/o/x@sha256:..` -> ghcr.io:443/o/x. */
export function repositoryPart(reference: string): string {
  const withoutDigest = reference.split('@')[0] ?? '';
  const slash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.indexOf(':', slash + 1);
  return colon < 0 ? withoutDigest : withoutDigest.slice(0, colon);
}

/** The last path component of a reference, without tag or digest: `ghcr.io/o/r/x:1` -> x. */
function imageNameOf(reference: string): string | undefined {
  const withoutDigest = reference.split('@')[0] ?? '';
  const last = withoutDigest.split('/').pop() ?? '';
  const name = last.split(':')[0] ?? '';
  return withoutDigest.includes('/') ? name : undefined;
}
