import { createHash } from 'node:crypto';
import { UserError } from '../../core/errors';
import { sha256 } from '../../core/evidence/oci-artifact';
import { DIGEST, readLimited, type Transport } from './transport';
import { statusOnly, type HttpResponse } from './http';

/** A blob API over one registry's transport: what artifacts (test results, lock sets) need. */
export interface BlobApi {
  /** True when the repository has this blob. */
  hasBlob: (repoPath: string, digest: string) => Promise<boolean>;
  /** A blob of at most `limit` bytes (an artifact's file), checked against its digest. */
  getBlob: (repoPath: string, digest: string, limit?: number) => Promise<Buffer>;
  /** Uploads the bytes unless the repository has them already; returns their digest. */
  putBlob: (repoPath: string, bytes: Buffer) => Promise<string>;
  /** A blob as a stream (an image layer): never held whole. */
  openBlob: (repoPath: string, digest: string) => Promise<{ size?: number; body: ReadableStream<Uint8Array> }>;
  /**
   * Uploads a stream as the blob `digest` (POST, a streamed PATCH, PUT). The
   * bytes are hashed as they pass, and the upload is committed only when
   * they are the blob named; returns the bytes sent.
   */
  putBlobStream: (repoPath: string, digest: string, body: ReadableStream<Uint8Array>) => Promise<number>;
  /**
   * Links a blob another repository of this registry holds into `repoPath`
   * (a cross-repository mount), so its bytes are not sent again; false when
   * the registry would not (then nothing was changed).
   */
  mountBlob: (repoPath: string, digest: string, fromRepo: string) => Promise<boolean>;
}

const SMALL_BLOB = 64 * 1024 * 1024;
/** How long one layer may take to stream: large layers on slow links take minutes, never hours. */
export const BLOB_STREAM_TIMEOUT_MS = 60 * 60 * 1000;

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

  /** Opens an upload session; returns where to send the bytes, on this registry only. */
  async function startUpload(repoPath: string): Promise<URL> {
    const start = await transport.send('POST', repoPath, `${transport.baseUrl}/v2/${repoPath}/blobs/uploads/`);
    if (start.status !== 202) return transport.fail(start, `start an upload to ${repoPath}`, repoPath);
    await start.arrayBuffer().catch(() => undefined);
    return uploadLocation(start, repoPath);
  }

  /** The Location an upload continues at; a Location on another host never gets our credentials. */
  async function uploadLocation(response: HttpResponse, repoPath: string): Promise<URL> {
    const location = new URL(response.headers.get('location') ?? '', transport.baseUrl);
    if (location.origin !== new URL(transport.baseUrl).origin) {
      return transport.fail(statusOnly(502), `upload to ${repoPath} (the registry sent the upload elsewhere)`, repoPath);
    }
    return location;
  }

  async function putBlob(repoPath: string, bytes: Buffer): Promise<string> {
    const digest = sha256(bytes);
    if (await hasBlob(repoPath, digest)) return digest;
    const location = await startUpload(repoPath);
    location.searchParams.set('digest', digest);
    const put = await transport.send('PUT', repoPath, location.toString(), { headers: { 'content-type': 'application/octet-stream' }, body: bytes });
    if (put.status !== 201) return transport.fail(put, `upload blob ${digest.slice(0, 19)} to ${repoPath}`, repoPath);
    await put.arrayBuffer().catch(() => undefined);
    const written = put.headers.get('docker-content-digest');
    if (written && DIGEST.test(written) && written !== digest) transport.verifyDigest(bytes, written, `blob uploaded to ${repoPath}`);
    return digest;
  }

  async function openBlob(repoPath: string, digest: string): Promise<{ size?: number; body: ReadableStream<Uint8Array> }> {
    const response = await transport.send('GET', repoPath, blobUrl(repoPath, digest), { timeoutMs: BLOB_STREAM_TIMEOUT_MS });
    if (response.status !== 200 || !response.body) return transport.fail(response, `read blob ${digest.slice(0, 19)} of ${repoPath}`, repoPath);
    const declared = Number(response.headers.get('content-length') ?? '');
    return { ...(Number.isFinite(declared) && declared > 0 ? { size: declared } : {}), body: response.body };
  }

  async function putBlobStream(repoPath: string, digest: string, body: ReadableStream<Uint8Array>): Promise<number> {
    if (!DIGEST.test(digest) || !digest.startsWith('sha256:')) throw new UserError({ subject: `blob ${digest.slice(0, 80)}`, problem: 'not a sha256 digest', fix: 'only sha256 blobs are copied' });
    const location = await startUpload(repoPath);
    const hash = createHash('sha256');
    let sent = 0;
    const counted = body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          hash.update(chunk);
          sent += chunk.byteLength;
          controller.enqueue(chunk);
        },
      }),
    );
    const patch = await transport.send('PATCH', repoPath, location.toString(), {
      headers: { 'content-type': 'application/octet-stream' },
      body: counted,
      timeoutMs: BLOB_STREAM_TIMEOUT_MS,
    });
    if (patch.status !== 202) return transport.fail(patch, `upload blob ${digest.slice(0, 19)} to ${repoPath}`, repoPath);
    await patch.arrayBuffer().catch(() => undefined);
    const next = await uploadLocation(patch, repoPath);
    const actual = `sha256:${hash.digest('hex')}`;
    if (actual !== digest) {
      // Never commit bytes that are not the blob named: drop the session.
      const cancel = await transport.send('DELETE', repoPath, next.toString()).catch(() => undefined);
      await cancel?.arrayBuffer().catch(() => undefined);
      throw new UserError({ subject: `registry ${transport.registry}`, problem: `blob ${digest.slice(0, 19)} arrived as ${actual.slice(0, 19)} (${sent} bytes)`, fix: 'the source sent other bytes; retry' });
    }
    next.searchParams.set('digest', digest);
    const put = await transport.send('PUT', repoPath, next.toString());
    if (put.status !== 201) return transport.fail(put, `commit blob ${digest.slice(0, 19)} to ${repoPath}`, repoPath);
    await put.arrayBuffer().catch(() => undefined);
    return sent;
  }

  async function mountBlob(repoPath: string, digest: string, fromRepo: string): Promise<boolean> {
    const url = new URL(`${transport.baseUrl}/v2/${repoPath}/blobs/uploads/`);
    url.searchParams.set('mount', digest);
    url.searchParams.set('from', fromRepo);
    const response = await transport.send('POST', repoPath, url.toString());
    await response.arrayBuffer().catch(() => undefined);
    if (response.status === 201) return true;
    if (response.status !== 202) return transport.fail(response, `mount blob ${digest.slice(0, 19)} from ${fromRepo} into ${repoPath}`, repoPath);
    // The registry opened an ordinary upload instead: drop it, the caller uploads.
    const cancel = await transport.send('DELETE', repoPath, (await uploadLocation(response, repoPath)).toString()).catch(() => undefined);
    await cancel?.arrayBuffer().catch(() => undefined);
    return false;
  }

  return { hasBlob, getBlob, putBlob, openBlob, putBlobStream, mountBlob };
}
