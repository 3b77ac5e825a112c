import { posix } from 'node:path';
import { minimatch } from 'minimatch';
import { UserError } from '../errors';

/** The images' glob when nx.json gives none. */
export const DEFAULT_DOCKERFILES = 'images/*/Dockerfile';
/** Where nx.json's options are named in an error. */
const IN_NX_JSON = 'nx.json: @fornax/nx-images';

/** The dockerfiles option: a glob of Dockerfiles inside the workspace. */
export function dockerfilesGlob(value: unknown): string {
  const dockerfiles = value ?? DEFAULT_DOCKERFILES;
  if (typeof dockerfiles !== 'string' || !/^[^/]/.test(dockerfiles) || !/(?:^|\/)Dockerfile$/.test(dockerfiles) || dockerfiles.includes('..')) {
    throw new UserError({ subject: `${IN_NX_JSON} option dockerfiles`, problem: `${JSON.stringify(dockerfiles)} is not a glob of Dockerfiles inside the workspace`, fix: `give one like "${DEFAULT_DOCKERFILES}"` });
  }
  return dockerfiles;
}

/** The variants option: a glob of Dockerfiles two folders below an image's, never the same as dockerfiles. */
export function variantsGlob(value: unknown, dockerfiles: string): string {
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

