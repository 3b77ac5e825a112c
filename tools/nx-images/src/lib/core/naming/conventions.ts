/**
 * The names this machinery agrees on with itself, the registry and Nx: one
 * place, so a label, a target or the shape of a commit name is never spelled
 * twice.
 */

/** OCI annotations (https://github.com/opencontainers/image-spec/blob/main/annotations.md) and our own. */
export const LABEL = {
  revision: 'org.opencontainers.image.revision',
  source: 'org.opencontainers.image.source',
  created: 'org.opencontainers.image.created',
  version: 'org.opencontainers.image.version',
  /** The final stage's base image, as a reference with its tag. */
  baseName: 'org.opencontainers.image.base.name',
  /** The manifest digest of that base. */
  baseDigest: 'org.opencontainers.image.base.digest',
  /** Every image of this repository the build took from, as JSON (see BaseRecord in core/bases.ts). */
  bases: 'dev.nx-images.bases',
  /** The digest of what the build read (core/inputs/build-inputs.ts): what the next plan compares HEAD's with. */
  inputs: 'dev.nx-images.inputs',
  /** Every outside image the build read, as JSON with the digest it was read by (io/outside-bases.ts): what a refresh compares. */
  outside: 'dev.nx-images.outside',
} as const;

/** The bases label as images built before the neutral names carry it: read, never written. */
export const LEGACY_BASES_LABELS: readonly string[] = ['io.github.nasa-fornax.images.bases'];

/** The targets every image project has. */
export const TARGET = {
  build: 'docker-build',
  releaseCheck: 'release-check',
  release: 'release',
  /** Only for an image with tests. */
  test: 'image-test',
  /** Copy a tag to the mirrors and call the notification endpoints. */
  publish: 'publish',
  /** Compare two tags or digests of the image from the registry: packages and size. */
  imageDiff: 'image-diff',
} as const;

/** The artifact type of a test result attached to an image's digest. */
export const TEST_ARTIFACT_TYPE = 'application/vnd.nx-images.image-test.v1+json';
/** Its type on results attached before the neutral names: read, never written. */
export const LEGACY_TEST_ARTIFACT_TYPES: readonly string[] = ['application/vnd.fornax.image-test.v1+json'];
/** The annotation on that artifact saying passed, failed or skipped, so a reader need not fetch its files. */
export const TEST_RESULT_ANNOTATION = 'dev.nx-images.test-result';
/** When the result was attached (ISO 8601): the newest result of an image decides its release (a retest's failure stops it). */
export const TEST_TIME_ANNOTATION = 'dev.nx-images.test-time';
/** Its key on results attached before the neutral names: read, never written. */
export const LEGACY_TEST_RESULT_ANNOTATIONS: readonly string[] = ['io.github.nasa-fornax.images.test-result'];

/** Whether an artifact's type is `current` or one of its legacy names: what a reader of the registry accepts. */
export function isArtifactOf(artifactType: string | undefined, current: string, legacy: readonly string[]): boolean {
  return artifactType !== undefined && (artifactType === current || legacy.includes(artifactType));
}

/** The value of a label or annotation under its key, else under the first of its legacy keys that has one. */
export function ownValue(values: Readonly<Record<string, string>> | undefined, key: string, legacy: readonly string[]): string | undefined {
  if (values === undefined) return undefined;
  if (values[key] !== undefined) return values[key];
  for (const old of legacy) if (values[old] !== undefined) return values[old];
  return undefined;
}

/** An image's tests folder, relative to its folder, where the default tests rule looks (see core/test-rule.ts). */
export const TESTS_DIR = 'tests';

/** The Nx project tag that makes a project an image; the plugin's inference gives it to every image. */
export const IMAGE_PROJECT_TAG = 'type:image';

/** The branch images fall back to, when neither the GitHub event nor nx.json's defaultBase names one. */
export const DEFAULT_BRANCH = 'main';

/** A full SHA-1 or SHA-256 object name: the only shape GitHub sends and the only one a label is trusted with. */
const FULL_SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
/** A full or abbreviated object name; anything else never reaches git as a revision. */
const SHA = /^[0-9a-f]{4,64}$/;

export function isFullSha(value: string): boolean {
  return FULL_SHA.test(value);
}

export function isSha(value: string): boolean {
  return SHA.test(value);
}

/** The first 7 characters of a full commit name; anything else as it is. */
export function shortSha(sha: string): string {
  return isFullSha(sha) ? sha.slice(0, 7) : sha;
}
