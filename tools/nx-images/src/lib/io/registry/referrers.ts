import { UserError } from '../../core/errors';
import { artifactManifest, describe, EMPTY_CONFIG, OCI_INDEX, OCI_MANIFEST, referrersIn, referrersTag, withReferrer, type OciDescriptor } from '../../core/evidence/oci-artifact';
import type { BlobApi } from './blobs';
import type { Manifest } from './types';
import { RegistryError, type Transport } from './transport';

/** One file of an artifact: a layer, named by its title annotation. */
export interface ArtifactFile {
  title: string;
  mediaType: string;
  bytes: Buffer;
}

export interface Attached {
  /** The artifact manifest's digest. */
  digest: string;
  /** How the registry lists it for its subject: its referrers API, or the fallback tag this client keeps. */
  listedBy: 'referrers API' | 'fallback tag';
}

export interface ReferrersApi {
  /** The artifacts attached to a manifest (of one type when given): the referrers API, else the fallback tag. */
  referrers: (repoPath: string, subjectDigest: string, artifactType?: string) => Promise<OciDescriptor[]>;
  /** Attaches files to a manifest as an artifact of `artifactType`. */
  attach: (repoPath: string, subjectDigest: string, artifact: { artifactType: string; files: ArtifactFile[]; annotations?: Record<string, string> }) => Promise<Attached>;
  /** An artifact's annotations and files, read back. */
  readArtifact: (repoPath: string, digest: string) => Promise<{ annotations: Record<string, string>; files: ArtifactFile[] }>;
  /**
   * Lists an artifact manifest already in the repository under its subject
   * in the fallback tag, for a registry that did not index it itself.
   */
  listInFallbackTag: (repoPath: string, subjectDigest: string, artifact: OciDescriptor) => Promise<void>;
}

export interface ManifestWriter {
  getManifest: (repoPath: string, reference: string) => Promise<Manifest>;
  /** Writes exact bytes under a tag or digest; `subject`: the registry says it indexed the manifest's subject (OCI-Subject). */
  writeManifest: (repoPath: string, reference: string, manifest: Pick<Manifest, 'bytes' | 'mediaType'>) => Promise<{ digest: string; subject: boolean }>;
}

const TITLE = 'org.opencontainers.image.title';

export function referrersApi(transport: Transport, manifests: ManifestWriter, blobs: BlobApi): ReferrersApi {
  async function fallbackIndex(repoPath: string, subjectDigest: string): Promise<Buffer | undefined> {
    try {
      return (await manifests.getManifest(repoPath, referrersTag(subjectDigest))).bytes;
    } catch (error) {
      if (error instanceof RegistryError && error.status === 404) return undefined;
      throw error;
    }
  }

  async function referrers(repoPath: string, subjectDigest: string, artifactType?: string): Promise<OciDescriptor[]> {
    const query = artifactType ? `?artifactType=${encodeURIComponent(artifactType)}` : '';
    const response = await transport.send('GET', repoPath, `${transport.baseUrl}/v2/${repoPath}/referrers/${subjectDigest}${query}`, { headers: { accept: OCI_INDEX } });
    if (response.status === 200) return referrersIn(Buffer.from(await response.arrayBuffer()), artifactType);
    await response.arrayBuffer().catch(() => undefined);
    if (response.status !== 404) return transport.fail(response, `list what is attached to ${repoPath}@${subjectDigest.slice(0, 19)}`, repoPath);
    const index = await fallbackIndex(repoPath, subjectDigest);
    return index ? referrersIn(index, artifactType) : [];
  }

  async function attach(
    repoPath: string,
    subjectDigest: string,
    artifact: { artifactType: string; files: ArtifactFile[]; annotations?: Record<string, string> },
  ): Promise<Attached> {
    const subject = await manifests.getManifest(repoPath, subjectDigest);
    await blobs.putBlob(repoPath, EMPTY_CONFIG.bytes);
    const layers: OciDescriptor[] = [];
    for (const file of artifact.files) {
      await blobs.putBlob(repoPath, file.bytes);
      layers.push(describe(file.mediaType, file.bytes, { [TITLE]: file.title }));
    }
    const bytes = artifactManifest({
      artifactType: artifact.artifactType,
      subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.bytes.length },
      layers,
      ...(artifact.annotations ? { annotations: artifact.annotations } : {}),
    });
    const written = await manifests.writeManifest(repoPath, describe(OCI_MANIFEST, bytes).digest, { bytes, mediaType: OCI_MANIFEST });
    if (written.subject) return { digest: written.digest, listedBy: 'referrers API' };
    await listInFallbackTag(repoPath, subject.digest, { ...describe(OCI_MANIFEST, bytes, artifact.annotations), artifactType: artifact.artifactType });
    return { digest: written.digest, listedBy: 'fallback tag' };
  }

  async function listInFallbackTag(repoPath: string, subjectDigest: string, artifact: OciDescriptor): Promise<void> {
    // Written, then read back, as another writer may have raced us.
    for (let attempt = 1; attempt <= 3; attempt++) {
      const index = withReferrer(await fallbackIndex(repoPath, subjectDigest), artifact);
      await manifests.writeManifest(repoPath, referrersTag(subjectDigest), { bytes: index, mediaType: OCI_INDEX });
      const listed = await fallbackIndex(repoPath, subjectDigest);
      if (listed && referrersIn(listed).some((descriptor) => descriptor.digest === artifact.digest)) return;
    }
    throw new UserError({ subject: `registry ${transport.registry}`, problem: `${repoPath}:${referrersTag(subjectDigest)} kept losing ${artifact.digest}`, fix: 'another writer changes it at the same time; run again' });
  }

  async function readArtifact(repoPath: string, digest: string): Promise<{ annotations: Record<string, string>; files: ArtifactFile[] }> {
    const manifest = await manifests.getManifest(repoPath, digest);
    const parsed = JSON.parse(manifest.bytes.toString('utf8')) as { annotations?: Record<string, string>; layers?: OciDescriptor[] };
    const files: ArtifactFile[] = [];
    for (const layer of parsed.layers ?? []) {
      files.push({ title: layer.annotations?.[TITLE] ?? layer.digest, mediaType: layer.mediaType, bytes: await blobs.getBlob(repoPath, layer.digest) });
    }
    return { annotations: parsed.annotations ?? {}, files };
  }

  return { referrers, attach, readArtifact, listInFallbackTag };
}
