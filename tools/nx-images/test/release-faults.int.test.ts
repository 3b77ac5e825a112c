import { beforeAll, describe, expect, test } from 'vitest';
import { createRegistryClient } from '../src/lib/io/registry/oci-client';
import { useFaultyRegistry } from './harness/faulty-registry';
import { runReleaseExecutor } from './harness/run-release';
import { digestOf, listTags, pushImage } from './harness/seed';

// The real registry behind a proxy that answers with faults on demand.
const REVISION = 'org.opencontainers.image.revision';
const NO_ENV_CREDENTIALS = { REGISTRY_USERNAME: undefined, REGISTRY_PASSWORD: undefined, GITHUB_ACTOR: undefined, GITHUB_TOKEN: undefined };
const fx = useFaultyRegistry();

/** A client through the proxy that records the waits instead of waiting. */
function recordingClient(extra: { timeoutMs?: number; attempts?: number; maxManifestBytes?: number } = {}) {
  const waits: number[] = [];
  const client = createRegistryClient({
    registry: fx.proxy.host,
    env: {},
    timeoutMs: extra.timeoutMs,
    maxManifestBytes: extra.maxManifestBytes,
    retry: { attempts: extra.attempts ?? 5 },
    sleep: (ms) => {
      waits.push(ms);
      return Promise.resolve();
    },
  });
  return { client, waits };
}

describe('release through faults', () => {
  test('503 twice, then the registry answers: the release succeeds', async () => {
    const repo = 'fornax/flaky';
    const seeded = await pushImage(fx.registry.url, `${repo}/base_image`, 'main', { labels: { [REVISION]: fx.head } });
    fx.proxy.inject({ status: 503 }, 2);
    const result = await runReleaseExecutor('release', fx.ws.dir, 'base_image', { registry: fx.proxy.host, repository: repo, tags: 'v0.1.1,stable' }, NO_ENV_CREDENTIALS);
    expect(result.success, result.output).toBe(true);
    expect(result.output.match(/HTTP 503; retrying/g)).toHaveLength(2);
    expect(await digestOf(fx.registry.url, `${repo}/base_image`, 'v0.1.1')).toBe(seeded.digest);
    expect(await digestOf(fx.registry.url, `${repo}/base_image`, 'stable')).toBe(seeded.digest);
  });

  test('401: the release fails at once with what to check, writes nothing, shows no password', async () => {
    const repo = 'fornax/denied';
    await pushImage(fx.registry.url, `${repo}/base_image`, 'main', { labels: { [REVISION]: fx.head } });
    fx.proxy.inject({ status: 401, headers: { 'www-authenticate': 'Basic realm="fornax"' } }, 100);
    const result = await runReleaseExecutor('release', fx.ws.dir, 'base_image', { registry: fx.proxy.host, repository: repo, tags: 'v0.1.1' }, {
      ...NO_ENV_CREDENTIALS,
      REGISTRY_USERNAME: 'ci',
      REGISTRY_PASSWORD: 'fault-pw-123456',
    });
    expect(result.success).toBe(false);
    expect(result.output).toMatch(/refused the credentials from REGISTRY_USERNAME\/REGISTRY_PASSWORD to resolve fornax\/denied\/base_image:main \(401 Unauthorized\).*check the login.*write:packages/);
    expect(result.output).not.toContain('fault-pw-123456');
    // One try, one answer to the challenge: no retry of a 401.
    expect(fx.proxy.requests).toHaveLength(2);
    expect(await listTags(fx.registry.url, `${repo}/base_image`)).toEqual(['main']);
  });
});

describe('client retry and limits', () => {
  const repo = 'fornax/client/base_image';
  let digest: string;
  beforeAll(async () => {
    digest = (await pushImage(fx.registry.url, repo, 'main', { labels: { a: 'b' } })).digest;
  });

  test('429 with Retry-After waits what the server asks', async () => {
    const { client, waits } = recordingClient();
    fx.proxy.inject({ status: 429, headers: { 'retry-after': '2' } }, 1);
    expect((await client.resolve(repo, 'main'))?.digest).toBe(digest);
    expect(waits).toEqual([2000]);
  });

  test('a cut connection is retried with growing backoff', async () => {
    const { client, waits } = recordingClient();
    fx.proxy.inject({ cut: true }, 2);
    expect((await client.getManifest(repo, 'main')).digest).toBe(digest);
    expect(waits).toEqual([500, 1000]);
  });

  test('a request over the time limit is retried', async () => {
    const { client, waits } = recordingClient({ timeoutMs: 300 });
    fx.proxy.inject({ delayMs: 1500 }, 1);
    expect((await client.resolve(repo, 'main'))?.digest).toBe(digest);
    expect(waits).toHaveLength(1);
  });

  test('retries are bounded: 503 for ever ends after the last try', async () => {
    const { client, waits } = recordingClient({ attempts: 3 });
    fx.proxy.inject({ status: 503 }, 100);
    await expect(client.resolve(repo, 'main')).rejects.toThrow(/could not resolve fornax\/client\/base_image:main \(HTTP 503\)/);
    expect(waits).toHaveLength(2);
    expect(fx.proxy.requests).toHaveLength(3);
  });

  test('403 and 404 end at once, each with what to check', async () => {
    const { client, waits } = recordingClient();
    fx.proxy.inject({ status: 403 }, 1);
    await expect(client.getManifest(repo, 'main')).rejects.toThrow(/\(403 Forbidden\).*packages: write.*Manage Actions access/);
    await expect(client.getManifest(repo, 'no-such-tag')).rejects.toThrow(/\(404 Not Found\).*check the repository and the tag name/);
    expect(await client.resolve(repo, 'no-such-tag')).toBeUndefined();
    expect(waits).toEqual([]);
  });

  test('a manifest over the size limit is refused', async () => {
    const { client } = recordingClient({ maxManifestBytes: 64 });
    await expect(client.getManifest(repo, 'main')).rejects.toThrow(/over the 64-byte limit/);
  });

  test('plain HTTP only to loopback unless allowed', async () => {
    // A non-loopback name that resolves nowhere: the client must try https, not http.
    const client = createRegistryClient({ registry: 'registry.invalid:5000', env: {}, retry: { attempts: 1 } });
    await expect(client.resolve(repo, 'main')).rejects.toThrow(/check that https:\/\/registry\.invalid:5000 is up/);
    const insecure = createRegistryClient({ registry: 'registry.invalid:5000', env: {}, insecure: true, retry: { attempts: 1 } });
    await expect(insecure.resolve(repo, 'main')).rejects.toThrow(/check that http:\/\/registry\.invalid:5000 is up/);
  });
});
