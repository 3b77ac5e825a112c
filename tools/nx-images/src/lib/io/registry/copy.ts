import { UserError, errorMessage } from '../../core/errors';
import { isIndexMediaType, type FullRegistryClient, type Manifest } from './oci-client';
import { DIGEST } from './transport';

/**
 * Copies an image from one registry to another over the OCI Distribution
 * API, as `skopeo copy --all --preserve-digests` does: every blob streamed
 * (never held whole), a blob the target has skipped, every manifest and
 * index written byte for byte, children first, then the tags, read back.
 * The digests are the same on both sides by construction, and checked.
 */

export interface CopyInput {
  from: FullRegistryClient;
  fromRepo: string;
  /** A tag or digest in `fromRepo`. */
  reference: string;
  to: FullRegistryClient;
  toRepo: string;
  /** The tags to point at the copy in `toRepo`. */
  tags: readonly string[];
  /** One line per step worth telling. */
  log?: (line: string) => void;
  /** Tries per blob (a dropped stream is opened again); default 3. */
  blobAttempts?: number;
  /**
   * Other repositories of the target that may hold this image's blobs (its
   * bases'): a blob found there is mounted, not sent.
   */
  mountFrom?: readonly string[];
}

export interface CopyResult {
  digest: string;
  mediaType: string;
  /** Each tag, and whether this copy moved it (false: it already named this digest). */
  tags: { tag: string; changed: boolean }[];
  /** Blobs uploaded, those the target repository had, and those mounted from another of its repositories. */
  blobs: { sent: number; present: number; mounted: number };
  /** Bytes uploaded: what the copy cost. */
  bytesSent: number;
  /** Manifests written, and those the target had (their blobs were not looked at). */
  manifests: { written: number; present: number };
}

/** The source's own manifest and blob disagree: trying again cannot help. */
class SourceMismatch extends UserError {}

interface Descriptor {
  digest: string;
  mediaType?: string;
  size?: number;
  urls?: unknown;
}

/** The blobs and child manifests a manifest names. */
export function referencedBy(manifest: Pick<Manifest, 'bytes' | 'mediaType'>, what: string): { blobs: Descriptor[]; children: Descriptor[] } {
  let parsed: { manifests?: unknown; config?: unknown; layers?: unknown };
  try {
    parsed = JSON.parse(manifest.bytes.toString('utf8')) as typeof parsed;
  } catch {
    throw new UserError({ subject: what, problem: 'not valid JSON', fix: 'the source registry sent a broken manifest; check the image there' });
  }
  const descriptors = (value: unknown): Descriptor[] => {
    const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
    return list.map((entry: unknown) => {
      const digest = (entry as { digest?: unknown } | null)?.digest;
      if (typeof digest !== 'string' || !DIGEST.test(digest)) throw new UserError({ subject: what, problem: 'it names a blob or manifest without a valid digest', fix: 'check the image in the source registry' });
      return entry as Descriptor;
    });
  };
  if (isIndexMediaType(manifest.mediaType)) return { blobs: [], children: descriptors(parsed.manifests) };
  return { blobs: [...descriptors(parsed.config), ...descriptors(parsed.layers)], children: [] };
}

export async function copyImage(input: CopyInput): Promise<CopyResult> {
  const { from, to, fromRepo, toRepo } = input;
  const log = input.log ?? (() => undefined);
  const attempts = input.blobAttempts ?? 3;
  const result: CopyResult = { digest: '', mediaType: '', tags: [], blobs: { sent: 0, present: 0, mounted: 0 }, bytesSent: 0, manifests: { written: 0, present: 0 } };
  const done = new Set<string>();

  async function copyBlob(blob: Descriptor): Promise<void> {
    if (done.has(blob.digest)) return;
    done.add(blob.digest);
    // Non-distributable layers (foreign, with urls) are fetched from their urls, never from a registry.
    if (Array.isArray(blob.urls) && blob.urls.length > 0) return;
    if (await to.hasBlob(toRepo, blob.digest)) {
      result.blobs.present++;
      return;
    }
    for (const other of input.mountFrom ?? []) {
      // Only an optimisation: a repository we may not read, or that does not exist, is passed over.
      if (other === toRepo || !(await to.hasBlob(other, blob.digest).catch(() => false))) continue;
      if (await to.mountBlob(toRepo, blob.digest, other).catch(() => false)) {
        result.blobs.mounted++;
        return;
      }
      break;
    }
    for (let attempt = 1; ; attempt++) {
      try {
        const source = await from.openBlob(fromRepo, blob.digest);
        const sent = await to.putBlobStream(toRepo, blob.digest, source.body);
        if (blob.size !== undefined && sent !== blob.size) {
          throw new SourceMismatch({ subject: `blob ${blob.digest.slice(0, 19)}`, problem: `${sent} bytes, but its manifest says ${blob.size}`, fix: `check the image in ${from.registry}` });
        }
        result.blobs.sent++;
        result.bytesSent += sent;
        return;
      } catch (error) {
        if (attempt >= attempts || error instanceof SourceMismatch) throw error;
        log(`blob ${blob.digest.slice(0, 19)} to ${to.registry}: ${errorMessage(error)}; trying again (${attempt}/${attempts - 1})`);
      }
    }
  }

  async function copyManifest(manifest: Manifest, where: string): Promise<void> {
    if (done.has(manifest.digest)) return;
    done.add(manifest.digest);
    if (await to.resolve(toRepo, manifest.digest)) {
      // A registry accepts a manifest only once it has everything it names.
      result.manifests.present++;
      return;
    }
    const { blobs, children } = referencedBy(manifest, where);
    for (const child of children) {
      await copyManifest(await from.getManifest(fromRepo, child.digest), `${fromRepo}@${child.digest.slice(0, 19)}`);
    }
    for (const blob of blobs) await copyBlob(blob);
    const written = await to.writeManifest(toRepo, manifest.digest, manifest);
    if (written.digest !== manifest.digest) {
      throw new UserError({ subject: `registry ${to.registry}`, problem: `${toRepo}@${manifest.digest.slice(0, 19)} was stored as ${written.digest.slice(0, 19)}`, fix: 'the registry changed the manifest; it cannot be a mirror' });
    }
    result.manifests.written++;
  }

  const root = await from.getManifest(fromRepo, input.reference);
  result.digest = root.digest;
  result.mediaType = root.mediaType;
  await copyManifest(root, `${fromRepo}:${input.reference}`);
  for (const tag of input.tags) {
    const retagged = await to.retag(toRepo, root, tag);
    result.tags.push({ tag, changed: retagged.changed });
  }
  return result;
}

export interface ReferrersCopy {
  /** Artifacts written to the target, and those it had already listed. */
  copied: number;
  present: number;
  bytesSent: number;
}

/**
 * Copies what is attached to a manifest (its referrers: test results, lock
 * sets) to the same manifest in the target, each byte for byte, so it keeps
 * its digest and its subject. A target without the referrers API gets them
 * listed in its fallback tag. Already listed ones are left alone, so a
 * second copy sends nothing.
 */
export async function copyReferrers(input: Omit<CopyInput, 'reference' | 'tags'> & { subject: string }): Promise<ReferrersCopy> {
  const { from, to, fromRepo, toRepo, subject } = input;
  const result: ReferrersCopy = { copied: 0, present: 0, bytesSent: 0 };
  const attached = await from.referrers(fromRepo, subject);
  if (attached.length === 0) return result;
  const listed = new Set((await to.referrers(toRepo, subject)).map((descriptor) => descriptor.digest));
  const missing = attached.filter((descriptor) => !listed.has(descriptor.digest));
  result.present = attached.length - missing.length;
  for (const artifact of missing) {
    const copied = await copyImage({ ...input, reference: artifact.digest, tags: [] });
    result.bytesSent += copied.bytesSent;
    result.copied++;
  }
  if (missing.length === 0) return result;
  // A registry with the referrers API lists them once they are written; any other needs the fallback tag.
  const nowListed = new Set((await to.referrers(toRepo, subject)).map((descriptor) => descriptor.digest));
  for (const artifact of missing) {
    if (!nowListed.has(artifact.digest)) await to.listInFallbackTag(toRepo, subject, artifact);
  }
  return result;
}

/**
 * What pulling an image downloads: its config and layers, as the manifest
 * sizes them (for an index, its linux/amd64 image, else its first).
 */
export async function compressedSize(client: FullRegistryClient, repoPath: string, digest: string): Promise<number> {
  let manifest = await client.getManifest(repoPath, digest);
  if (isIndexMediaType(manifest.mediaType)) {
    const parsed = JSON.parse(manifest.bytes.toString('utf8')) as { manifests?: { digest?: string; platform?: { os?: string; architecture?: string } }[] };
    const entries = (parsed.manifests ?? []).filter((entry) => typeof entry.digest === 'string' && DIGEST.test(entry.digest));
    const chosen = entries.find((entry) => entry.platform?.os === 'linux' && entry.platform.architecture === 'amd64') ?? entries[0];
    if (!chosen?.digest) return 0;
    manifest = await client.getManifest(repoPath, chosen.digest);
  }
  return referencedBy(manifest, `${repoPath}@${digest.slice(0, 19)}`).blobs.reduce((sum, blob) => sum + (typeof blob.size === 'number' ? blob.size : 0), 0);
}
