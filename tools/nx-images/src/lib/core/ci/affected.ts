import type { BuildInputs } from '../inputs/build-inputs';
import { shortSha } from '../naming/conventions';
import type { ImageComparison } from './compare-commits';

/**
 * Whether a push builds an image, decided by what its build reads (see
 * core/inputs/build-inputs.ts), never by which folders a change touched:
 * a renamed folder, a .gitignore or the docs change no image's inputs, and
 * a base's change is not an input of the images built on it.
 */

/** One entry of `git diff --name-status` between the compare commit and HEAD. */
export interface ChangedFile {
  path: string;
  /** A rename's old path. */
  from?: string;
}

/** What the plan knows of one image of HEAD. */
export interface ImageFacts {
  image: string;
  /** What its build reads at HEAD. */
  head: BuildInputs;
  /** Its test files at HEAD, workspace-relative. */
  tests: readonly string[];
  /** The image now under this branch's tag, when it records the digest of its inputs. */
  tagged?: { inputs: string; reference: string; revision?: string };
  /** What it is compared with (compare-commits.ts). */
  comparison: ImageComparison;
  /** The image at the compare commit: its inputs (undefined: it was not there), its tests, and the image it was renamed from. */
  before?: { inputs?: BuildInputs; tests: readonly string[]; renamedFrom?: string };
  /** Files changed between the compare commit and HEAD. */
  changed?: readonly ChangedFile[];
}

export type Decision =
  | { image: string; build: true; why: string; files: string[] }
  /** retest: test files that changed while the build's inputs did not: run them against the image under the tag. */
  | { image: string; build: false; why: string; retest?: string[] };

/** Builds the image when its inputs differ from what it is compared with; else, when only its tests changed, retests it. */
export function decideImage(facts: ImageFacts): Decision {
  const { image, head, comparison, before } = facts;
  const changed = facts.changed ?? [];
  const retest = changedTests(facts);
  const unchanged = (why: string): Decision => (retest.length > 0 ? { image, build: false, why, retest } : { image, build: false, why });
  if (facts.tagged && facts.tagged.inputs === head.digest) {
    const from = facts.tagged.revision ? ` (built from ${shortSha(facts.tagged.revision)})` : '';
    return unchanged(`same inputs as ${facts.tagged.reference}${from}`);
  }
  if (comparison.buildAnyway || comparison.commit === undefined || before === undefined) {
    return { image, build: true, why: comparison.reason, files: [] };
  }
  const since = shortSha(comparison.commit);
  if (!before.inputs) {
    const why = before.renamedFrom ? `renamed from ${before.renamedFrom} since ${since}` : `new since ${since}`;
    return { image, build: true, why, files: [] };
  }
  if (before.inputs.digest === head.digest) return unchanged(`compared with ${comparison.reason}: inputs unchanged`);
  const read = new Set([...head.files, ...before.inputs.files]);
  const files = changed.flatMap((file) => [file.path, ...(file.from ? [file.from] : [])]).filter((path) => read.has(path));
  const unique = [...new Set(files)].sort();
  const parts: string[] = [];
  if (unique.length > 0) parts.push(`changed: ${unique.join(', ')}`);
  if (before.inputs.settings !== head.settings) parts.push('its build settings changed');
  return { image, build: true, why: `compared with ${comparison.reason}: ${parts.join('; ') || 'its inputs changed'}`, files: unique };
}

/** Test files of the image that changed and that its build does not read. */
function changedTests(facts: ImageFacts): string[] {
  const tests = new Set([...facts.tests, ...(facts.before?.tests ?? [])]);
  const read = new Set(facts.head.files);
  const hits = (facts.changed ?? []).flatMap((file) => [file.path, ...(file.from ? [file.from] : [])]).filter((path) => tests.has(path) && !read.has(path));
  return [...new Set(hits)].sort();
}

/** The changed files no image reads, builds or tests: said in the plan, so a push that builds nothing explains itself. */
export function unreadFiles(changed: readonly ChangedFile[], readers: readonly { files: readonly string[] }[]): string[] {
  const read = new Set(readers.flatMap((reader) => reader.files));
  return [...new Set(changed.flatMap((file) => [file.path, ...(file.from ? [file.from] : [])]))].filter((path) => !read.has(path)).sort();
}
