import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OCI_MANIFEST, referrersTag } from '../src/lib/core/evidence/oci-artifact';
import { createRegistryClient } from '../src/lib/io/registry/oci-client';
import type { HttpRequest } from '../src/lib/io/registry/http';
import { startRegistry, type Registry } from './harness/registry';
import { pushImage } from './harness/seed';

// Evidence attached to an image, read back through the real Distribution registry (2.8 has no
// referrers API, so the client keeps the OCI 1.1 fallback tag), and the referrers-API form against
// a registry that has it, scripted over HTTP.

const TESTS = 'application/vnd.fornax.image-test.v1+json';
const LOCKS = 'application/vnd.fornax.locks.v1';
let registry: Registry;

beforeAll(async () => {
  registry = await startRegistry();
});
afterAll(async () => {
  await registry?.stop();
});

async function raw(path: string, reference: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${registry.url}/v2/${path}/manifests/${reference}`, {
    headers: { accept: 'application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json' },
  });
  return { status: response.status, body: response.ok ? ((await response.json()) as Record<string, unknown>) : {} };
}

describe('artifacts attached to an image, in a registry without the referrers API', () => {
  it('attaches files to an image digest under the fallback tag, and reads them back', async () => {
    const repo = 'fornax/evidence';
    const image = await pushImage(registry.url, repo, 'main', { locks: false });
    const client = createRegistryClient({ registry: registry.host, credentials: null });
    const report = Buffer.from('<testsuites tests="1" failures="0"/>\n');

    const attached = await client.attach(repo, image.digest, {
      artifactType: TESTS,
      files: [{ title: 'junit.xml', mediaType: 'application/xml', bytes: report }],
      annotations: { 'io.github.nasa-fornax.images.test-result': 'passed' },
    });
    expect(attached.listedBy).toBe('fallback tag');

    // Read back with no code of ours: the fallback tag's index lists the artifact, whose subject is the image.
    const index = await raw(repo, referrersTag(image.digest));
    expect(index.status).toBe(200);
    expect(index.body.manifests).toEqual([
      expect.objectContaining({ digest: attached.digest, mediaType: OCI_MANIFEST, artifactType: TESTS, annotations: { 'io.github.nasa-fornax.images.test-result': 'passed' } }),
    ]);
    const artifact = await raw(repo, attached.digest);
    expect(artifact.body.subject).toEqual(expect.objectContaining({ digest: image.digest }));
    expect(artifact.body.artifactType).toBe(TESTS);

    expect(await client.referrers(repo, image.digest, TESTS)).toHaveLength(1);
    const read = await client.readArtifact(repo, attached.digest);
    expect(read.files).toEqual([{ title: 'junit.xml', mediaType: 'application/xml', bytes: report }]);
    expect(read.annotations).toEqual({ 'io.github.nasa-fornax.images.test-result': 'passed' });
  });

  it('keeps every artifact of an image listed once, whatever the order of attaching, and filters by type', async () => {
    const repo = 'fornax/evidence-many';
    const image = await pushImage(registry.url, repo, 'main', { platforms: ['linux/amd64', 'linux/arm64'], locks: false });
    const client = createRegistryClient({ registry: registry.host, credentials: null });
    const tests = await client.attach(repo, image.digest, { artifactType: TESTS, files: [{ title: 'a', mediaType: 'text/plain', bytes: Buffer.from('a') }] });
    const locks = await client.attach(repo, image.digest, { artifactType: LOCKS, files: [] });
    const again = await client.attach(repo, image.digest, { artifactType: TESTS, files: [{ title: 'a', mediaType: 'text/plain', bytes: Buffer.from('a') }] });
    expect(again.digest).toBe(tests.digest);
    expect((await client.referrers(repo, image.digest)).map((entry) => entry.digest).sort()).toEqual([tests.digest, locks.digest].sort());
    expect((await client.referrers(repo, image.digest, LOCKS)).map((entry) => entry.digest)).toEqual([locks.digest]);
    // An image with nothing attached lists nothing.
    const bare = await pushImage(registry.url, repo, 'other', { locks: false });
    expect(await client.referrers(repo, bare.digest)).toEqual([]);
  });
});

describe('artifacts in a registry with the referrers API (scripted over HTTP)', () => {
  it('lets the registry list the artifact, writing no fallback tag, and reads the list from the API', async () => {
    const subject = Buffer.from('{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{},"layers":[]}');
    const subjectDigest = `sha256:${createHash('sha256').update(subject).digest('hex')}`;
    const requests: string[] = [];
    let index: Buffer | undefined;
    const fake: HttpRequest = (input, init) => {
      const url = new URL(input);
      const method = init?.method ?? 'GET';
      requests.push(`${method} ${url.pathname}`);
      const ok = (status: number, body?: Buffer, headers: Record<string, string> = {}) => Promise.resolve(new Response(body ?? null, { status, headers }));
      if (url.pathname === `/v2/o/n/manifests/${subjectDigest}` && method === 'GET') return ok(200, subject, { 'content-type': OCI_MANIFEST, 'docker-content-digest': subjectDigest });
      if (url.pathname.includes('/blobs/uploads/') && method === 'POST') return ok(202, undefined, { location: '/v2/o/n/blobs/uploads/1' });
      if (url.pathname.includes('/blobs/') && method === 'HEAD') return ok(404);
      if (url.pathname.includes('/blobs/uploads/') && method === 'PUT') return ok(201);
      if (url.pathname.startsWith('/v2/o/n/manifests/sha256:') && method === 'PUT') {
        const body = Buffer.from(init?.body as Uint8Array);
        const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
        index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [{ mediaType: OCI_MANIFEST, digest, size: body.length, artifactType: TESTS }] }));
        return ok(201, undefined, { 'docker-content-digest': digest, 'oci-subject': subjectDigest });
      }
      if (url.pathname === `/v2/o/n/referrers/${subjectDigest}`) return ok(200, index, { 'content-type': 'application/vnd.oci.image.index.v1+json' });
      return ok(500);
    };
    const client = createRegistryClient({ registry: '127.0.0.1:9', credentials: null, http: fake, retry: { attempts: 1 } });
    const attached = await client.attach('o/n', subjectDigest, { artifactType: TESTS, files: [{ title: 'junit.xml', mediaType: 'application/xml', bytes: Buffer.from('<x/>') }] });
    expect(attached.listedBy).toBe('referrers API');
    expect(requests.filter((request) => request.includes(`manifests/${referrersTag(subjectDigest)}`))).toEqual([]);
    expect((await client.referrers('o/n', subjectDigest, TESTS)).map((entry) => entry.digest)).toEqual([attached.digest]);
    expect(requests.at(-1)).toBe(`GET /v2/o/n/referrers/${subjectDigest}`);
  });
});
