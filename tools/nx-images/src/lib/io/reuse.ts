import { artifactManifest, describe, EMPTY_CONFIG, OCI_MANIFEST } from '../core/evidence/oci-artifact';
import { readReuseRecord, REUSE_ARTIFACT_TYPE, reuseAnnotations, reuseTag, type ReuseRecord } from '../core/inputs/reuse';
import { RegistryError, type FullRegistryClient } from './registry/oci-client';

/**
 * The image an earlier push built from the same reuse digest, with its
 * record, in one registry request (the record's tag); undefined when there
 * is none.
 */
export async function findReusable(client: FullRegistryClient, repoPath: string, digest: string): Promise<ReuseRecord | undefined> {
  try {
    return readReuseRecord((await client.getManifest(repoPath, reuseTag(digest))).bytes);
  } catch (error) {
    if (error instanceof RegistryError && error.status === 404) return undefined;
    throw error;
  }
}

/**
 * Records that the image `subject` was built (and tested) from the reuse
 * digest: an artifact manifest whose subject is the image, written under the
 * tag `reuse-<hex>` and never moved afterwards by anything but a build of the
 * same digest.
 */
export async function recordReusable(client: FullRegistryClient, repoPath: string, digest: string, record: Omit<ReuseRecord, 'subject'> & { subject: { digest: string; mediaType: string; size: number } }): Promise<string> {
  const body = Buffer.from(`${JSON.stringify({ reuseDigest: digest, ...record, subject: record.subject.digest })}\n`);
  await client.putBlob(repoPath, EMPTY_CONFIG.bytes);
  await client.putBlob(repoPath, body);
  const bytes = artifactManifest({
    artifactType: REUSE_ARTIFACT_TYPE,
    subject: record.subject,
    layers: [describe('application/json', body, { 'org.opencontainers.image.title': 'reuse.json' })],
    annotations: reuseAnnotations(record),
  });
  return (await client.writeManifest(repoPath, reuseTag(digest), { bytes, mediaType: OCI_MANIFEST })).digest;
}
