import type { BuildInputs } from './build-inputs';
import { digestOf } from './build-inputs';

/**
 * Reuse by content: an image built and tested once from some inputs, on
 * some bases, for some platform, is the image of every later push with the
 * same. Its key, the reuse digest, covers exactly what makes the image's
 * bytes: what the build reads (from the disk, as the engine gets it), each
 * base's pinned digest, the platforms and the build settings that change
 * what is built. It leaves out what is rendered per build (the commit, the
 * time, the branch's tag, templated args such as BUILD_VERSION): those end
 * up in labels and args of the image that was reused, and two pushes that
 * differ only in them would otherwise never share an image.
 */

/** The artifact a reuse record is: written under the tag `reuse-<hex>`, its subject the image. */
export const REUSE_ARTIFACT_TYPE = 'application/vnd.nx-images.reuse.v1+json';
/** The record's annotations. */
export const REUSE_ANNOTATION = {
  revision: 'dev.nx-images.reuse.revision',
  reference: 'dev.nx-images.reuse.reference',
  builtAt: 'dev.nx-images.reuse.built-at',
  seconds: 'dev.nx-images.reuse.seconds',
  tests: 'dev.nx-images.reuse.tests',
} as const;

export interface ReuseKey {
  /** What the build reads, as the engine gets it. */
  inputs: BuildInputs;
  /** Every base of this repository with the digest (or, in the local engine, the image ID) the build reads it by. */
  bases: readonly { image: string; digest?: string; id?: string }[];
  /** Every outside image the build reads, with the digest it reads it by. */
  outside: readonly (readonly [string, string])[];
  platforms: readonly string[];
  /** The build args, without those rendered per build. */
  buildArgs: Readonly<Record<string, string>>;
  /** The templates of the args rendered per build: a changed template is another build, though each rendering differs anyway. */
  argTemplates?: Readonly<Record<string, string>>;
  target?: string;
  /** The command whose files are attached as the image's locks: evidence that must match the settings. */
  lockCommand: readonly string[];
  /** The digest of the tests the image passes before its push (their files and commands): a reused image passed these. */
  tests?: string;
}

/** The reuse digest of one build. */
export function reuseDigest(key: ReuseKey): string {
  return digestOf({
    inputs: key.inputs.digest,
    bases: [...key.bases].map((base) => [base.image, base.digest ?? base.id ?? '']).sort(),
    outside: [...key.outside].map(([reference, digest]) => `${reference}@${digest}`).sort(),
    platforms: [...key.platforms].sort(),
    buildArgs: key.buildArgs,
    argTemplates: key.argTemplates ?? {},
    target: key.target ?? null,
    lockCommand: key.lockCommand,
    tests: key.tests ?? null,
  });
}

/** The tag a reuse record is written under: `reuse-` and the digest's hex, 71 characters. */
export function reuseTag(digest: string): string {
  return `reuse-${digest.replace(/^sha256:/, '')}`;
}

/**
 * The build args left out of the key: those rendered per build (the
 * branch's tag args, the templated ones), and the registry arg, whose value
 * is the address of the registry the record lives in (so the same within
 * it, however it is reached).
 */
export function perBuildArgNames(names: { registry: string; imageTag: string; baseTag: string }, templated: readonly string[]): string[] {
  return [names.registry, names.imageTag, names.baseTag, ...templated].filter((name) => name !== '');
}

/** What a reuse record says of the build it stands for. */
export interface ReuseRecord {
  /** The image's manifest digest. */
  subject: string;
  revision: string;
  /** The reference it was first pushed as. */
  reference: string;
  builtAt: string;
  /** How long the build took, in seconds. */
  seconds: number;
  /** passed, or none (an image without tests). */
  tests: 'passed' | 'none';
}

export function reuseAnnotations(record: Omit<ReuseRecord, 'subject'>): Record<string, string> {
  return {
    [REUSE_ANNOTATION.revision]: record.revision,
    [REUSE_ANNOTATION.reference]: record.reference,
    [REUSE_ANNOTATION.builtAt]: record.builtAt,
    [REUSE_ANNOTATION.seconds]: String(record.seconds),
    [REUSE_ANNOTATION.tests]: record.tests,
  };
}

/** The record a reuse tag's manifest holds; undefined when it is not one (another tool's, or damaged). */
export function readReuseRecord(manifest: Buffer): ReuseRecord | undefined {
  let parsed: { artifactType?: unknown; subject?: { digest?: unknown }; annotations?: Record<string, unknown> };
  try {
    parsed = JSON.parse(manifest.toString('utf8')) as typeof parsed;
  } catch {
    return undefined;
  }
  const annotations = parsed.annotations ?? {};
  const text = (key: string) => (typeof annotations[key] === 'string' ? annotations[key] : undefined);
  const subject = parsed.subject?.digest;
  const tests = text(REUSE_ANNOTATION.tests);
  const seconds = Number(text(REUSE_ANNOTATION.seconds));
  if (parsed.artifactType !== REUSE_ARTIFACT_TYPE || typeof subject !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(subject)) return undefined;
  if ((tests !== 'passed' && tests !== 'none') || !Number.isFinite(seconds)) return undefined;
  return {
    subject,
    revision: text(REUSE_ANNOTATION.revision) ?? '',
    reference: text(REUSE_ANNOTATION.reference) ?? '',
    builtAt: text(REUSE_ANNOTATION.builtAt) ?? '',
    seconds,
    tests,
  };
}
