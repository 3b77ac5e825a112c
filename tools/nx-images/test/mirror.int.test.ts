import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABEL, TEST_ARTIFACT_TYPE, TEST_RESULT_ANNOTATION } from '../src/lib/core/naming/conventions';
import { sha256 as digestOfBytes } from '../src/lib/core/evidence/oci-artifact';
import { readLocks } from '../src/lib/io/locks';
import { publishImage } from '../src/lib/io/publish';
import { createRegistryClient } from '../src/lib/io/registry/oci-client';
import { bcrypt } from './harness/auth-registry';
import { startFaultProxy, type FaultProxy } from './harness/fault-proxy';
import { startRegistry, type StartedRegistry } from './harness/registry';
import { digestOf, pushImage, randomLayer } from './harness/seed';

// Mirrors against two real Distribution registries: the primary, open; the mirror behind htpasswd,
// reached through a proxy that counts the bytes sent to it. Every digest is read back from both.

const USER = 'mirror-bot';
const PASSWORD = 'mirror-password-1';
const SOURCE = 'fornax/images';
const TARGET = 'mirror/fornax';
const MiB = 1024 * 1024;

let primary: StartedRegistry;
let mirror: StartedRegistry;
let proxy: FaultProxy;
let authConfig: string;
let dir: string;
/** The environment a run has: the mirror's login in a Docker config, nothing else. */
let env: NodeJS.ProcessEnv;
const basic = { authorization: `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}` };

const publish = (image: string, tags: string[], extra: Partial<Parameters<typeof publishImage>[0]> = {}) =>
  publishImage({
    image,
    primary: { registry: primary.host, repository: SOURCE },
    tags,
    mirrors: [{ registry: proxy.host, repository: TARGET }],
    endpoints: [],
    notify: 'never',
    env,
    ...extra,
  });
const onMirror = (image: string, reference: string) => digestOf(mirror.url, `${TARGET}/${image}`, reference, basic);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fornax-mirror-test-'));
  writeFileSync(join(dir, 'htpasswd'), `${USER}:${await bcrypt(PASSWORD)}\n`);
  authConfig = ['auth:', '  htpasswd:', '    realm: fornax-mirror', `    path: ${join(dir, 'htpasswd')}`].join('\n');
  primary = await startRegistry();
  mirror = await startRegistry({ extraConfig: authConfig });
  proxy = await startFaultProxy(mirror.url);
  // The mirror's login, as docker login (or docker/login-action) leaves it.
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ auths: { [proxy.host]: { auth: Buffer.from(`${USER}:${PASSWORD}`).toString('base64') } } }));
  env = { PATH: process.env.PATH, HOME: dir, DOCKER_CONFIG: dir };
}, 60_000);

afterAll(async () => {
  await proxy?.stop();
  await mirror?.stop();
  await primary?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('mirrors: registry to registry over the OCI Distribution API', () => {
  it('copies a single-platform image with its digest, using the mirror’s own login; the primary’s REGISTRY_PASSWORD never goes there', async () => {
    const seeded = await pushImage(primary.url, `${SOURCE}/base_image`, 'main', { layers: [randomLayer(MiB), randomLayer(MiB)] });
    const before = proxy.bytesSent();
    const record = await publish('base_image', ['main'], { env: { ...env, REGISTRY_USERNAME: 'primary-user', REGISTRY_PASSWORD: 'primary-secret' } });
    expect(record.errors).toEqual([]);
    expect(record.mirrors).toEqual([expect.objectContaining({ mirror: `${proxy.host}/${TARGET}`, digest: seeded.digest, moved: ['main'], blobsSent: 3 })]);
    expect(await onMirror('base_image', 'main')).toBe(seeded.digest);
    expect(proxy.bytesSent() - before).toBeGreaterThanOrEqual(2 * MiB);
    // Only the mirror's own login went to the mirror.
    expect(proxy.authorizations.length).toBeGreaterThan(0);
    expect(new Set(proxy.authorizations)).toEqual(new Set([basic.authorization]));
  });

  it('copies a multi-platform index and each platform’s manifest, all with the digests they have on the primary', async () => {
    const seeded = await pushImage(primary.url, `${SOURCE}/tractor`, 'main', { platforms: ['linux/amd64', 'linux/arm64'] });
    const record = await publish('tractor', ['main', 'stable']);
    expect(record.errors).toEqual([]);
    expect(await onMirror('tractor', 'main')).toBe(seeded.digest);
    expect(await onMirror('tractor', 'stable')).toBe(seeded.digest);
    for (const child of seeded.children) expect(await onMirror('tractor', child)).toBe(child);
    expect(await digestOf(primary.url, `${SOURCE}/tractor`, 'main')).toBe(seeded.digest);
  });

  it('sends no blob again: a second copy sends nothing, and an image sharing layers sends only its own', async () => {
    const shared = randomLayer(2 * MiB);
    await pushImage(primary.url, `${SOURCE}/env-core`, 'main', { layers: [shared] });
    expect((await publish('env-core', ['main'])).errors).toEqual([]);

    const before = proxy.bytesSent();
    const again = await publish('env-core', ['main']);
    expect(again.mirrors[0]).toMatchObject({ moved: [], blobsSent: 0, bytesSent: 0 });
    expect(proxy.bytesSent() - before).toBe(0);

    const own = randomLayer(256 * 1024);
    await pushImage(primary.url, `${SOURCE}/env-core`, 'develop', { layers: [shared, own] });
    const mark = proxy.bytesSent();
    const record = await publish('env-core', ['develop']);
    expect(record.errors).toEqual([]);
    const sent = proxy.bytesSent() - mark;
    // Its own layer, its config and its manifest: never the shared 2 MiB layer.
    expect(sent).toBeGreaterThanOrEqual(own.length);
    expect(sent).toBeLessThan(own.length + 64 * 1024);
  });

  it('an image built on a base sends only its own layers: the base’s are mounted from the base’s repository on the mirror', async () => {
    const shared = randomLayer(2 * MiB);
    const base = await pushImage(primary.url, `${SOURCE}/jupyter-base`, 'main', { layers: [shared] });
    expect((await publish('jupyter-base', ['main'])).errors).toEqual([]);
    const own = randomLayer(256 * 1024);
    const bases = [{ image: 'jupyter-base', reference: `${primary.host}/${SOURCE}/jupyter-base:main`, digest: base.digest }];
    const built = await pushImage(primary.url, `${SOURCE}/fornax-base`, 'main', { layers: [shared, own], labels: { [LABEL.bases]: JSON.stringify(bases) } });

    const mark = proxy.bytesSent();
    const record = await publish('fornax-base', ['main']);
    expect(record.errors).toEqual([]);
    expect(record.mirrors[0]).toMatchObject({ digest: built.digest, blobsMounted: 1 });
    const sent = proxy.bytesSent() - mark;
    expect(sent).toBeGreaterThanOrEqual(own.length);
    expect(sent).toBeLessThan(own.length + 64 * 1024);
    // The mounted layer is there in its own right: the image reads back whole from the mirror.
    expect(await onMirror('fornax-base', 'main')).toBe(built.digest);
    const target = createRegistryClient({ registry: proxy.host, env });
    expect(await target.hasBlob(`${TARGET}/fornax-base`, digestOfBytes(shared))).toBe(true);
  });

  it('a mirror that dies mid-copy fails the copy naming the mirror; a rerun completes it without re-sending the blobs it has', async () => {
    const layers = [randomLayer(MiB), randomLayer(MiB), randomLayer(MiB)];
    const seeded = await pushImage(primary.url, `${SOURCE}/fornax-hea`, 'main', { layers });
    // The mirror's process is stopped as the third upload (config, layer 1, then layer 2) starts.
    let patches = 0;
    proxy.onRequest(async (method) => {
      if (method === 'PATCH' && ++patches === 3) await mirror.stop({ keepStorage: true });
    });
    const failed = await publish('fornax-hea', ['main']);
    proxy.onRequest(undefined);
    expect(failed.errors).toHaveLength(1);
    expect(failed.errors[0]).toMatch(new RegExp(`^fornax-hea: mirror ${proxy.host.replace(/\./g, '\\.')}/mirror/fornax failed: `));
    expect(failed.mirrors[0]?.digest).toBeUndefined();

    mirror = await startRegistry({ extraConfig: authConfig, storage: mirror.storage, port: mirror.port });
    const before = proxy.bytesSent();
    const rerun = await publish('fornax-hea', ['main']);
    expect(rerun.errors).toEqual([]);
    expect(await onMirror('fornax-hea', 'main')).toBe(seeded.digest);
    // Layers 2 and 3 only: the config and layer 1 were already there.
    expect(rerun.mirrors[0]).toMatchObject({ blobsSent: 2, bytesSent: 2 * MiB });
    expect(proxy.bytesSent() - before).toBeLessThan(2 * MiB + 64 * 1024);
  }, 60_000);

  it('takes what is attached to the image along: its lock set and test result keep their digests and are listed under the same image on the mirror', async () => {
    const seeded = await pushImage(primary.url, `${SOURCE}/fornax-main`, 'main', { locks: { 'conda-base.txt': '@EXPLICIT\nhttps://conda.anaconda.org/conda-forge/noarch/astropy-7.1.0.conda\n' } });
    const source = createRegistryClient({ registry: primary.host, env: {} });
    const result = await source.attach(`${SOURCE}/fornax-main`, seeded.digest, {
      artifactType: TEST_ARTIFACT_TYPE,
      files: [{ title: 'result.json', mediaType: 'application/json', bytes: Buffer.from('{"result":"passed"}\n') }],
      annotations: { [TEST_RESULT_ANNOTATION]: 'passed' },
    });
    const onPrimary = await source.referrers(`${SOURCE}/fornax-main`, seeded.digest);
    expect(onPrimary.map((entry) => entry.digest)).toContain(result.digest);

    const record = await publish('fornax-main', ['main']);
    expect(record.errors).toEqual([]);
    expect(record.mirrors[0]?.artifacts).toEqual({ copied: 2, present: 0 });
    // Read back from the mirror, with the mirror's login: the same artifacts, by digest, for the same image.
    const target = createRegistryClient({ registry: proxy.host, env });
    const listed = await target.referrers(`${TARGET}/fornax-main`, seeded.digest);
    expect(listed.map((entry) => entry.digest).sort()).toEqual(onPrimary.map((entry) => entry.digest).sort());
    const locks = await readLocks(target, `${TARGET}/fornax-main`, seeded.digest);
    expect(locks?.files.map((file) => [file.name, file.bytes.toString()])).toEqual([['conda-base.txt', '@EXPLICIT\nhttps://conda.anaconda.org/conda-forge/noarch/astropy-7.1.0.conda\n']]);
    expect((await target.readArtifact(`${TARGET}/fornax-main`, result.digest)).annotations[TEST_RESULT_ANNOTATION]).toBe('passed');

    // Again: nothing to send, the artifacts are already listed.
    const before = proxy.bytesSent();
    const again = await publish('fornax-main', ['main']);
    expect(again.mirrors[0]).toMatchObject({ bytesSent: 0, artifacts: { copied: 0, present: 2 } });
    expect(proxy.bytesSent() - before).toBe(0);
  });

  it('a mirror that refuses the login fails naming the mirror and the status, and the primary keeps its image', async () => {
    const seeded = await pushImage(primary.url, `${SOURCE}/env-sas`, 'main');
    const record = await publish('env-sas', ['main'], { env: { PATH: process.env.PATH, HOME: dir, DOCKER_CONFIG: join(dir, 'nowhere') } });
    expect(record.errors).toEqual([expect.stringMatching(new RegExp(`^env-sas: mirror ${proxy.host.replace(/\./g, '\\.')}/mirror/fornax failed: .*401`))]);
    expect(await digestOf(primary.url, `${SOURCE}/env-sas`, 'main')).toBe(seeded.digest);
    expect(await onMirror('env-sas', 'main')).toBeUndefined();
  });
});

describe('notifications', () => {
  let server: Server;
  let url: string;
  const calls: { path: string; image: string | null; tag: string | null }[] = [];
  /** Status to answer per path, in order; the last one repeats. */
  const script: Record<string, number[]> = {};

  beforeAll(async () => {
    server = createServer((req, res) => {
      const parsed = new URL(req.url ?? '/', 'http://x');
      calls.push({ path: parsed.pathname, image: parsed.searchParams.get('image'), tag: parsed.searchParams.get('tag') });
      const queue = script[parsed.pathname] ?? [200];
      res.writeHead(queue.length > 1 ? queue.shift()! : queue[0]);
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('calls each endpoint with image and tag: 200 and 404 are accepted, a 500 is retried until it passes', async () => {
    script['/flaky'] = [500, 503, 200];
    script['/gone'] = [404];
    const endpoints = [new URL(`${url}/ok?key=s3cret-key`), new URL(`${url}/gone`), new URL(`${url}/flaky`)];
    const record = await publish('base_image', ['main'], { mirrors: [], endpoints, notify: 'always', notifyOptions: { baseDelayMs: 5 } });
    expect(record.errors).toEqual([]);
    expect(record.notified).toEqual({ calls: 3, accepted: 3 });
    expect(calls.filter((call) => call.path === '/flaky')).toHaveLength(3);
    expect(calls.every((call) => call.image === 'base_image' && call.tag === 'main')).toBe(true);
  });

  it('an endpoint that keeps failing is tried a bounded number of times, then fails naming the image and its position, never its URL', async () => {
    script['/down'] = [500];
    calls.length = 0;
    const lines: string[] = [];
    const endpoints = [new URL(`${url}/ok`), new URL(`${url}/down?token=s3cret-token`)];
    const record = await publish('tractor', ['v1.0.0'], { mirrors: [], endpoints, notify: 'always', notifyOptions: { baseDelayMs: 5, attempts: 3 }, log: (line) => lines.push(line) });
    expect(record.errors).toEqual(['tractor:v1.0.0: notification endpoint 2 of 2 failed (HTTP 500 after 3 tries): check that secret and the service behind it, then run again.']);
    expect(calls.filter((call) => call.path === '/down')).toHaveLength(3);
    expect(JSON.stringify({ record, lines })).not.toMatch(/s3cret|127\.0\.0\.1:\d+\/down/);
  });

  it('an endpoint that refuses (403) is not retried; one that cannot be reached names no address', async () => {
    script['/forbidden'] = [403];
    calls.length = 0;
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const endpoints = [new URL(`${url}/forbidden`), new URL(`http://127.0.0.1:${deadPort}/hook`)];
    const record = await publish('tractor', ['main'], { mirrors: [], endpoints, notify: 'always', notifyOptions: { baseDelayMs: 5, attempts: 2 } });
    expect(record.errors).toEqual([
      'tractor:main: notification endpoint 1 of 2 failed (HTTP 403): check that secret and the service behind it, then run again.',
      'tractor:main: notification endpoint 2 of 2 failed (ECONNREFUSED after 2 tries): check that secret and the service behind it, then run again.',
    ]);
    expect(calls.filter((call) => call.path === '/forbidden')).toHaveLength(1);
  });

  it('if-moved calls only when a mirror tag moved', async () => {
    calls.length = 0;
    const endpoints = [new URL(`${url}/ok`)];
    await publish('base_image', ['main'], { endpoints, notify: 'if-moved' });
    expect(calls).toHaveLength(0);
    await pushImage(primary.url, `${SOURCE}/base_image`, 'main');
    await publish('base_image', ['main'], { endpoints, notify: 'if-moved' });
    expect(calls).toEqual([{ path: '/ok', image: 'base_image', tag: 'main' }]);
  });
});
