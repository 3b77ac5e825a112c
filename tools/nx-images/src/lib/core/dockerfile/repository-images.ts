import { DEFAULT_MARK, dockerfileImages, unmarked, type ImageRead } from './dockerfile';
import { UserError } from '../errors';
import { isValidImageName } from '../naming/refs';

/**
 * The build args through which a Dockerfile names the images of this
 * repository. Ours: `${REGISTRY}/${REPOSITORY}/<image>:${BASE_IMAGE_TAG}`;
 * the real Fornax tree: `${REPOSITORY}/<image>:${BASE_TAG}`, its REPOSITORY
 * carrying the registry too.
 */
export interface BuildArgNames {
  /** The registry host's arg; empty: the repository arg carries `registry/owner/name` itself. */
  registry: string;
  repository: string;
  /** The arg that gets the image's own tag; empty: none is passed. */
  imageTag: string;
  /** The arg that gets the tag of the images this one takes from; empty: none (the bases are written with no tag). */
  baseTag: string;
}

export const DEFAULT_BUILD_ARG_NAMES: BuildArgNames = {
  registry: 'REGISTRY',
  repository: 'REPOSITORY',
  imageTag: 'IMAGE_TAG',
  baseTag: 'BASE_IMAGE_TAG',
};

export interface BuildArgValues {
  registry: string;
  repository: string;
  tag: string;
  baseTag: string;
}

/** The values a build passes through those args. */
export function buildArgValues(names: BuildArgNames, values: BuildArgValues): Record<string, string> {
  const args: Record<string, string> = {};
  if (names.registry) {
    args[names.registry] = values.registry;
    args[names.repository] = values.repository;
  } else {
    args[names.repository] = `${values.registry}/${values.repository}`;
  }
  if (names.imageTag) args[names.imageTag] = values.tag;
  if (names.baseTag) args[names.baseTag] = values.baseTag;
  return args;
}

/** One read of an image of this repository (its reference depends on the build's args, so it is not kept). */
export interface RepositoryImageRead extends Omit<ImageRead, 'reference'> {
  /** The image, e.g. `env-heasoft`: also its folder and Nx project. */
  image: string;
  /** Its tag is the base tag arg, so each build resolves it (this branch's, else the default branch's); false: a tag or digest written in the Dockerfile, used as written. */
  followsBaseTag: boolean;
  /**
   * Where its tag comes from: the base tag arg; none written (`FROM $BASE_IMAGE`
   * with `ARG BASE_IMAGE=$REGISTRY/$OWNER/x`); an arg the build does not set
   * (its default, or nothing); or the text (a tag or digest, used as written).
   * Only `written` is used as it stands: the others follow the branch rule.
   */
  tagFrom: 'base-tag-arg' | 'none' | 'unset-arg' | 'written';
  /** Named literally, through one of the selfNames (`owner/x:${TAG}`), not through the args: the build points it at its own registry and repository. */
  literal?: true;
}

export interface RepositoryImages {
  /** Every read of an image of this repository, in the order of the text. */
  reads: RepositoryImageRead[];
  /** The images read, each once, in the order they first appear. */
  images: string[];
  /** The read the built stage starts from, when that is an image of this repository. */
  finalBase?: RepositoryImageRead;
}

// Stand-ins no Dockerfile can contain, so a reference is ours only if it is written through the args.
const SENTINEL = { registry: '\u0001registry\u0001', repository: '\u0001repository\u0001', tag: '\u0001tag\u0001', imageTag: '\u0001image-tag\u0001' };

/**
 * The images of this repository a Dockerfile reads in any stage: every
 * reference written as `<registry arg>/<repository arg>/<image>` (or
 * `<repository arg>/<image>` when the repository arg carries the registry).
 * `path` names the Dockerfile in errors.
 */
export function repositoryImages(
  dockerfile: string,
  names: BuildArgNames,
  target?: string,
  path = 'Dockerfile',
  /** Other args the build sets (a docker-build buildArgs option): a tag made of one is used as written. */
  setArgs: Readonly<Record<string, string>> = {},
  /** The literal names of this repository's images (the selfNames option): `owner/`, `ghcr.io/owner/repo/`. */
  selfNames: readonly string[] = [],
  /** The images this repository builds, when known: a literal name of another (the same owner's image built elsewhere) stays outside. */
  selfImages?: ReadonlySet<string>,
): RepositoryImages {
  const sentinels: Record<string, string> = { ...setArgs, [names.repository]: SENTINEL.repository };
  if (names.baseTag) sentinels[names.baseTag] = SENTINEL.tag;
  if (names.registry) sentinels[names.registry] = SENTINEL.registry;
  if (names.imageTag) sentinels[names.imageTag] = SENTINEL.imageTag;
  const prefix = names.registry ? `${SENTINEL.registry}/${SENTINEL.repository}/` : `${SENTINEL.repository}/`;
  const parsed = dockerfileImages(dockerfile, sentinels, target, { markDefaults: true });
  const literalPrefixes = selfNames.map(selfNamePrefix);

  const reads: RepositoryImageRead[] = [];
  for (const read of parsed.reads) {
    const plain = unmarked(read.reference);
    const literal = plain.startsWith(prefix) ? undefined : literalPrefixes.find((name) => canonicalName(plain).startsWith(name));
    if (!plain.startsWith(prefix) && literal === undefined) continue;
    const rest = literal === undefined ? plain.slice(prefix.length) : canonicalName(plain).slice(literal.length);
    const at = rest.indexOf('@');
    const nameAndTag = at >= 0 ? rest.slice(0, at) : rest;
    const colon = nameAndTag.indexOf(':');
    const image = colon >= 0 ? nameAndTag.slice(0, colon) : nameAndTag;
    const tag = colon >= 0 ? nameAndTag.slice(colon + 1) : undefined;
    if (!isValidImageName(image) || (literal !== undefined && selfImages !== undefined && !selfImages.has(image))) continue;
    if (tag !== undefined && tag !== SENTINEL.tag && tag.includes(SENTINEL.tag)) {
      throw new UserError({ subject: path, problem: `${read.written} makes a tag out of \${${names.baseTag}}`, fix: `write the tag as \${${names.baseTag}} alone, so each build can resolve it` });
    }
    const tagFrom = at >= 0 ? 'written' : tag === SENTINEL.tag ? 'base-tag-arg' : tag === undefined || tag === '' ? 'none' : tagOfUnsetArg(read.reference) ? 'unset-arg' : 'written';
    const { reference: _withStandIns, ...position } = read;
    reads.push({ ...position, image, followsBaseTag: tagFrom !== 'written', tagFrom, ...(literal === undefined ? {} : { literal: true as const }) });
  }
  const images = [...new Set(reads.map((read) => read.image))];
  const finalBase = parsed.finalBase ? reads.find((read) => read.start === parsed.finalBase?.start) : undefined;
  return { reads, images, ...(finalBase ? { finalBase } : {}) };
}

/** The tag is the whole value of an arg the build does not set: `x:${TAG}` with TAG unset (its default, or nothing). */
function tagOfUnsetArg(marked: string): boolean {
  const { open, close } = DEFAULT_MARK;
  return new RegExp(`:${open}+[^${open}${close}:/@]*${close}+${close}*$`).test(marked);
}

const DOCKER_HUB_ALIASES = ['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com'];

/**
 * A reference as Docker reads it, with Docker Hub written out: `owner/x:1`,
 * `index.docker.io/owner/x:1` -> `docker.io/owner/x:1`; a host is lower-cased.
 * The first component is a registry only if it has a `.` or `:` or is `localhost`.
 */
export function canonicalName(reference: string): string {
  const slash = reference.indexOf('/');
  const first = slash < 0 ? '' : reference.slice(0, slash);
  const isHost = first.includes('.') || first.includes(':') || first === 'localhost';
  if (!isHost) return slash < 0 ? `docker.io/library/${reference}` : `docker.io/${reference}`;
  const host = first.toLowerCase();
  return `${DOCKER_HUB_ALIASES.includes(host) ? 'docker.io' : host}${reference.slice(slash)}`;
}

/** A selfNames entry as the start of a canonical reference: `owner` and `owner/` -> `docker.io/owner/`. */
export function selfNamePrefix(name: string): string {
  const trimmed = name.trim().replace(/\/+$/, '');
  return canonicalName(`${trimmed}/x`).slice(0, -1);
}
