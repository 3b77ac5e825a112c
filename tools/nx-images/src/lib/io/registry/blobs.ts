import { sha256 } from '../../core/oci-artifact';
import { DIGEST, readLimited, type Transport } from './transport';

/** A blob API over one registry's transport: what artifacts (test results, lock sets) need. */
export interface BlobApi {
  /** True when the repository has this blob. */
  hasBlob: (repoPath: string, digest: string) => Promise<boolean>;
  /** A blob of at most `limit` bytes (an artifact's file), checked against its digest. */
  getBlob: (repoPath: string, digest: string, limit?: number) => Promise<Buffer>;
  /** Uploads the bytes unless the repository has them already; returns their digest. */
  putBlob: (repoPath: string, bytes: Buffer) => Promise<string>;
}

const SMALL_BLOB = 64 * 1024 * 1024;

export function blobApi(transport: Transport): BlobApi {
  const blobUrl = (repoPath: string, digest: string) => `${transport.baseUrl}/v2/${repoPath}/blobs/${digest}`;

  async function hasBlob(repoPath: string, digest: string): Promise<boolean> {
    const response = await transport.send('HEAD', repoPath, blobUrl(repoPath, digest));
    if (response.status === 200) return true;
    if (response.status === 404) return false;
    return transport.fail(response, `look up blob ${digest.slice(0, 19)} in ${repoPath}`, repoPath);
  }

  async function getBlob(repoPath: string, digest: string, limit = SMALL_BLOB): Promise<Buffer> {
    const response = await transport.send('GET', repoPath, blobUrl(repoPath, digest));
    if (response.status !== 200) return transport.fail(response, `read blob ${digest.slice(0, 19)} of ${repoPath}`, repoPath);
    const bytes = await readLimited(response, limit, `blob ${digest.slice(0, 19)} of ${repoPath}`);
    transport.verifyDigest(bytes, digest, `blob ${digest.slice(0, 19)} of ${repoPath}`);
    return bytes;
  }

  async function putBlob(repoPath: string, bytes: Buffer): Promise<string> {
    const digest = sha256(bytes);
    if (await hasBlob(repoPath, digest)) return digest;
    const start = await transport.send('POST', repoPath, `${transport.baseUrl}/v2/${repoPath}/blobs/uploads/`);
    if (start.status !== 202) return transport.fail(start, `start an upload to ${repoPath}`, repoPath);
    await start.arrayBuffer().catch(() => undefined);
    const location = new URL(start.headers.get('location') ?? '', transport.baseUrl);
    // A Location on another host never gets our credentials.
    if (location.origin !== new URL(transport.baseUrl).origin) {
      return transport.fail(new Response(null, { status: 502 }), `upload to ${repoPath} (the registry sent the upload elsewhere)`, repoPath);
    }
    location.searchParams.set('digest', digest);
    const put = await transport.send('PUT', repoPath, location.toString(), { headers: { 'content-type': 'application/octet-stream' }, body: bytes });
    if (put.status !== 201) return transport.fail(put, `upload blob ${digest.slice(0, 19)} to ${repoPath}`, repoPath);
    await put.arrayBuffer().catch(() => undefined);
    const written = put.headers.get('docker-content-digest');
    if (written && DIGEST.test(written) && written !== digest) transport.verifyDigest(bytes, written, `blob uploaded to ${repoPath}`);
    return digest;
  }

  return { hasBlob, getBlob, putBlob };
}
