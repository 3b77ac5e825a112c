import { parseReference } from '../naming/refs';

/**
 * What actions/attest-build-provenance attests: a pushed image's name
 * without a tag (its `subject-name`) and its manifest digest (its
 * `subject-digest`). The workflows read these from job outputs, so a digest
 * reaches the attestation only if ci:images or ci:release pushed or released it.
 */
export interface ProvenanceSubject {
  /** `registry/repository/image`, as `gh attestation verify oci://<name>:<tag>` names it. */
  name: string;
  digest: string;
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** The subject of one build: none unless it pushed a digest. */
export function builtSubject(record: { reference: string; pushed: boolean; digest?: string }): ProvenanceSubject | undefined {
  if (!record.pushed || !record.digest || !DIGEST.test(record.digest)) return undefined;
  const { registry, path } = parseReference(record.reference);
  return { name: `${registry}/${path}`, digest: record.digest };
}

/** image-build-one.yml's step outputs: `pushed-name` and `pushed-digest`, both empty when nothing was pushed (the attest step is then skipped). */
export function builtSubjectOutputs(subject: ProvenanceSubject | undefined): Record<string, string> {
  return { 'pushed-name': subject?.name ?? '', 'pushed-digest': subject?.digest ?? '' };
}

/**
 * An `attest` output: a matrix of the digests a run released (release.yml)
 * or pushed on one runner (image-build.yml's single job), each once
 * (variants of an image share a name but not a digest), in a stable order;
 * `[]` when there are none, which skips the attest job.
 */
export function subjectsMatrixOutput(records: readonly { name: string; digest: string }[]): Record<string, string> {
  const seen = new Map<string, ProvenanceSubject>();
  for (const { name, digest } of records) {
    if (DIGEST.test(digest)) seen.set(`${name}@${digest}`, { name, digest });
  }
  const subjects = [...seen.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, subject]) => subject);
  return { attest: JSON.stringify(subjects) };
}
