import { LABEL, LEGACY_BASES_LABELS, ownValue } from '../naming/conventions';
import { UserError } from '../errors';
import { byImage } from '../markdown';
import type { RepositoryImageRead } from './repository-images';

/**
 * Base images: the images of this repository a build takes from (FROM in
 * any stage, COPY --from, RUN --mount from=). Each is resolved on its own,
 * then the build reads it by digest, so a tag that moves during the build
 * cannot change what is built.
 */

/** One base image to resolve, and the tags to try, in order. */
export interface BaseQuestion {
  /** The image, e.g. `env-heasoft`. */
  image: string;
  /** `registry/repository/image`, without a tag. */
  name: string;
  /** Tags to try in order: this branch's, then the default branch's; or the one tag written or pinned. */
  tags: string[];
  /** Why these tags: `branch` (this branch's, else the default branch's), `pinned` (the base tag build arg), `written` (a tag in the Dockerfile). */
  from: 'branch' | 'pinned' | 'written';
  /** The local engine may serve it: the build does not push, and its builder reads the engine's images. */
  local: boolean;
  /** Why it follows the branch rule when the Dockerfile names no base tag arg: no tag written, or a tag arg the build does not set. */
  untagged?: 'none' | 'unset-arg';
  /** The reference as the Dockerfile writes it, when it names the image literally (selfNames): `owner/x:${BASE_TAG}`. */
  written?: string;
}

/** What was seen of one tag of a base. */
export interface TagObservation {
  tag: string;
  registry: { kind: 'present'; digest: string } | { kind: 'absent' } | { kind: 'unreadable'; reason: string };
  /** The local engine's image under that tag; null when it has none; undefined when it was not asked. */
  local?: { id: string; digest?: string } | null;
}

/** Where a base was found, and how the build reads it. */
export interface ResolvedBase {
  image: string;
  /** `registry/repository/image:tag`, the tag that was resolved. */
  reference: string;
  tag: string;
  source: 'registry' | 'local';
  /** The manifest digest: the registry's, or the one the local image was pulled or pushed with. */
  digest?: string;
  /** The local engine's image ID, for a local base. */
  id?: string;
  /** One line for the log: which tag was used, and why. */
  note: string;
  /** The reference as the Dockerfile writes it, when it names the image literally (selfNames). */
  written?: string;
}

/** The tags to try for a base read: this branch's, then the default branch's, unless pinned or written. */
export function baseQuestion(
  read: Pick<RepositoryImageRead, 'image' | 'followsBaseTag'> & Partial<Pick<RepositoryImageRead, 'tagFrom' | 'literal' | 'written'>>,
  facts: { name: string; branchTag: string; defaultTag: string; pinnedTag?: string; writtenTag?: string; local: boolean },
): BaseQuestion {
  const untagged = read.tagFrom === 'none' || read.tagFrom === 'unset-arg' ? { untagged: read.tagFrom } : {};
  const written = read.literal && read.written !== undefined ? { written: read.written } : {};
  if (!read.followsBaseTag) return { image: read.image, name: facts.name, tags: [facts.writtenTag ?? 'latest'], from: 'written', local: facts.local, ...written };
  if (facts.pinnedTag !== undefined) return { image: read.image, name: facts.name, tags: [facts.pinnedTag], from: 'pinned', local: facts.local, ...untagged, ...written };
  const tags = [...new Set([facts.branchTag, facts.defaultTag])];
  return { image: read.image, name: facts.name, tags, from: 'branch', local: facts.local, ...untagged, ...written };
}

/**
 * Picks one tag of a base from what was seen, trying its tags in order and,
 * for each, the local engine first when the build does not push, then the
 * registry. Throws a one-line UserError when no tag can be read anywhere.
 */
export function resolveBase(question: BaseQuestion, observations: readonly TagObservation[], project: string): ResolvedBase {
  const seen = new Map(observations.map((observation) => [observation.tag, observation]));
  const written = question.written === undefined ? {} : { written: question.written };
  const missing: string[] = [];
  const unreadable: string[] = [];
  for (const [index, tag] of question.tags.entries()) {
    const observation = seen.get(tag);
    if (!observation) throw new Error(`resolveBase: no observation of ${question.name}:${tag}; observe every tag first.`);
    const reference = `${question.name}:${tag}`;
    const why = whose(question, index);
    const before = missing.map((earlier) => `${earlier} does not exist; `).join('');
    if (question.local && observation.local) {
      const { id, digest } = observation.local;
      return {
        image: question.image,
        reference,
        tag,
        source: 'local',
        id,
        ...(digest ? { digest } : {}),
        note: `${before}${why} ${reference} is image ${shortId(id)} in the local engine${writtenAs(question)}`,
        ...written,
      };
    }
    if (observation.registry.kind === 'present') {
      const { digest } = observation.registry;
      return { image: question.image, reference, tag, source: 'registry', digest, note: `${before}${why} ${reference} is ${digest} in the registry${writtenAs(question)}`, ...written };
    }
    if (observation.registry.kind === 'unreadable') unreadable.push(`${reference} (${observation.registry.reason})`);
    missing.push(reference);
  }
  const tried = question.tags.map((tag) => `${question.name}:${tag}`).join(', then ');
  if (unreadable.length > 0) {
    throw new UserError({
      subject: project,
      problem: `its base ${question.image} could not be read from the registry: ${unreadable.join('; ')}`,
      fix: 'check that the registry is up and that you are logged in (docker login), then build again',
    });
  }
  const where = question.local ? 'the registry or the local engine' : 'the registry';
  const fix =
    question.from === 'branch'
      ? `build ${question.image} first (nx run ${question.image}:docker-build${question.local ? '' : ' --push'}), or pass --baseTagFallback=<a tag ${question.image} has>`
      : `build ${question.image} first, or change the tag`;
  throw new UserError({ subject: project, problem: `its base ${tried} exists nowhere (not in ${where})`, fix });
}

function whose(question: BaseQuestion, index: number): string {
  if (question.from === 'written') return 'the written';
  const why = question.untagged === 'none' ? 'no tag in the Dockerfile, so ' : question.untagged === 'unset-arg' ? 'its tag arg is not set by the build, so ' : '';
  if (question.from === 'pinned') return `${why}the pinned`;
  if (index === 0) return `${why}this branch's`;
  return `${why}the default branch's`;
}

/** For a base the Dockerfile names literally, what it wrote: the build reads this run's registry and repository instead. */
function writtenAs(question: BaseQuestion): string {
  return question.written === undefined ? '' : ` (written ${question.written})`;
}

function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

/**
 * How the build reads a resolved base: by digest from the registry, or by a
 * tag of its own made for this build in the local engine; undefined when it
 * cannot be pinned (a dry run that could not resolve it).
 */
export function pinnedReference(base: ResolvedBase, name: string, localTag: string | undefined): string | undefined {
  if (base.source === 'registry') return base.digest ? `${name}@${base.digest}` : undefined;
  return localTag ? `${name}:${localTag}` : undefined;
}

/** One base of a built image, as the bases label, the build record and the summary carry it. */
export interface BaseRecord {
  image: string;
  /** `registry/repository/image:tag` that was resolved. */
  reference: string;
  /** Manifest digest, when known (always for a base read from the registry). */
  digest?: string;
  /** Local engine image ID, for a base that was only in the local engine. */
  id?: string;
  /** The reference as the Dockerfile writes it, when it names the image literally (selfNames); `reference` is where the build read it. */
  written?: string;
}

export function baseRecords(bases: readonly ResolvedBase[]): BaseRecord[] {
  return [...bases]
    .sort(byImage)
    .map((base) => ({
      image: base.image,
      reference: base.reference,
      ...(base.digest ? { digest: base.digest } : {}),
      ...(base.id && !base.digest ? { id: base.id } : {}),
      ...(base.written === undefined ? {} : { written: base.written }),
    }));
}

/**
 * The labels that record the bases: the final stage's base in the OCI
 * base.name/base.digest labels, every base of this repository as JSON in our
 * own label. `external` is the final stage's base when it is not ours.
 */
export function baseLabels(bases: readonly ResolvedBase[], finalBase: string | undefined, external: string | undefined): Record<string, string> {
  const labels: Record<string, string> = {};
  const final = bases.find((base) => base.image === finalBase);
  if (final) {
    labels[LABEL.baseName] = final.reference;
    if (final.digest) labels[LABEL.baseDigest] = final.digest;
  } else if (external) {
    labels[LABEL.baseName] = external;
  }
  if (bases.length > 0) labels[LABEL.bases] = JSON.stringify(baseRecords(bases));
  return labels;
}

/** The bases label read back from an image's labels (its legacy key too); empty when absent or not ours. */
export function readBasesLabel(labels: Readonly<Record<string, string>> | undefined): BaseRecord[] {
  const text = ownValue(labels, LABEL.bases, LEGACY_BASES_LABELS);
  if (!text) return [];
  try {
    const parsed = JSON.parse(text) as unknown;
    if (!Array.isArray(parsed)) return [];
    return parsed.filter(
      (entry): entry is BaseRecord =>
        typeof entry === 'object' && entry !== null && typeof (entry as BaseRecord).image === 'string' && typeof (entry as BaseRecord).reference === 'string',
    );
  } catch {
    return [];
  }
}
