import { UserError } from '../errors';
import { assertValidTag } from './tags';

/** One path component of a repository name (distribution/reference). */
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
/** A registry host with an optional port: a DNS name, IPv4 or bracketed IPv6. */
const REGISTRY_HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$/;

export interface ImageName {
  registry: string;
  /** `owner/name`, lower case. */
  repository: string;
  /** The image's own name under the repository, e.g. `base_image`. */
  image: string;
}

export interface ImageRef extends ImageName {
  tag: string;
}

export function assertValidRegistry(registry: string): string {
  if (!REGISTRY_HOST.test(registry)) {
    throw new UserError({ subject: 'registry', problem: `${JSON.stringify(registry)} is not a registry host`, fix: 'pass a host with an optional port, e.g. --registry=ghcr.io or --registry=127.0.0.1:5000' });
  }
  return registry;
}

/** Lower-cases a repository (GHCR refuses upper case) and checks its grammar. */
export function normalizeRepository(repository: string): string {
  const lower = repository.trim().toLowerCase().replace(/^\/+|\/+$/g, '');
  const parts = lower.split('/');
  if (lower === '' || !parts.every((part) => PATH_COMPONENT.test(part))) {
    throw new UserError({ subject: 'repository', problem: `${JSON.stringify(repository)} is not a valid repository path`, fix: 'pass --repository=owner/name using [a-z0-9._-] in each part' });
  }
  return lower;
}

export function isValidImageName(image: string): boolean {
  return PATH_COMPONENT.test(image);
}

export function assertValidImageName(image: string): string {
  if (!isValidImageName(image)) {
    throw new UserError({ subject: 'image name', problem: `${JSON.stringify(image)} is not valid`, fix: 'use lower-case letters, digits and single separators (._-), e.g. base_image' });
  }
  return image;
}

/** `repository/image`, the name the registry's API knows. */
export function repositoryPath(name: Pick<ImageName, 'repository' | 'image'>): string {
  return `${name.repository}/${name.image}`;
}

/** `registry/repository/image`, without a tag. */
export function imageName(name: ImageName): string {
  return `${name.registry}/${repositoryPath(name)}`;
}

/** `registry/repository/image:tag`. */
export function imageReference(ref: ImageRef): string {
  assertValidTag(ref.tag);
  return `${imageName(ref)}:${ref.tag}`;
}

export interface ParsedReference {
  /** Registry host; `docker.io` when the reference names none. */
  registry: string;
  /** Path in the registry, e.g. `library/ubuntu` or `fornax/images/base_image`. */
  path: string;
  tag?: string;
  digest?: string;
}

/**
 * Splits an image reference the way Docker does: the first component is a
 * registry only if it has a `.` or `:` or is `localhost`.
 */
export function parseReference(reference: string): ParsedReference {
  let rest = reference;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const slash = rest.indexOf('/');
  const first = slash >= 0 ? rest.slice(0, slash) : '';
  let registry = 'docker.io';
  let path = rest;
  if (slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    registry = first;
    path = rest.slice(slash + 1);
  }
  if (registry === 'docker.io' && !path.includes('/')) path = `library/${path}`;
  return { registry, path, ...(tag === undefined ? {} : { tag }), ...(digest === undefined ? {} : { digest }) };
}

/**
 * A variant's tag: `<variant>-<tag>`, as docker-stacks publishes
 * `pytorch-notebook:cuda12-latest`; the tag itself for an image that is no
 * variant. The result must still be a valid tag (at most 128 characters).
 */
export function variantTag(variant: string | undefined, tag: string): string {
  if (!variant) return tag;
  return assertValidTag(`${variant}-${tag}`, `tag of variant ${variant}`);
}

/** The tag without its variant's prefix, or undefined when it is not one of that variant's tags. */
export function tagOfVariant(variant: string | undefined, tag: string): string | undefined {
  if (!variant) return tag;
  return tag.startsWith(`${variant}-`) ? tag.slice(variant.length + 1) : undefined;
}
