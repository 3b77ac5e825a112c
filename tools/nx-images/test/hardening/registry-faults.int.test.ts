import { describe, expect, test } from 'vitest';
import { useFaultyRegistry } from '../harness/faulty-registry';
import { freePort } from '../../scripts/lib/free-port';
import { startFaultProxy } from '../harness/fault-proxy';
import { startRegistry } from '../harness/registry';
import { runReleaseExecutor, type ExecutorRun } from '../harness/run-release';
import { digestOf, listTags, pushImage } from '../harness/seed';

// Release against a real registry behind a fault-injecting proxy: every fault
// ends in one clear line or a retry, and never in a release tag that points
// anywhere but at its source.
const REVISION = 'org.opencontainers.image.revision';
const NO_ENV_CREDENTIALS = { REGISTRY_USERNAME: undefined, REGISTRY_PASSWORD: undefined, GITHUB_ACTOR: undefined, GITHUB_TOKEN: undefined };
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const fx = useFaultyRegistry();

function release(repo: string, tags: string, host = fx.proxy.host): Promise<ExecutorRun> {
  return runReleaseExecutor('release', fx.ws.dir, 'base_image', { registry: host, repository: repo, tags }, NO_ENV_CREDENTIALS);
}

/** A failure the user reads: a line saying what failed and what to do, no stack trace. */
function expectOneClearLine(result: ExecutorRun, message: RegExp): void {
  expect(result.success, result.output).toBe(false);
  expect(result.output.split('\n').filter((line) => message.test(line)), result.output).toHaveLength(1);
  expect(result.output).not.toMatch(/\n\s+at .+:\d+:\d+\)?/);
}

async function seed(repo: string): Promise<string> {
  return (await pushImage(fx.registry.url, `${repo}/base_image`, 'main', { labels: { [REVISION]: fx.head } })).digest;
}

describe('registry faults during a release', () => {
  test('the registry down before the release: a clear line after bounded retries, nothing written', async () => {
    const repo = 'fornax/down';
    await seed(repo);
    const closed = `127.0.0.1:${await freePort()}`;
    const result = await release(repo, 'v1.0.0', closed);
    expectOneClearLine(result, /fornax\/down\/base_image failed after \d+ tries .*check that http:\/\/\S+ is up and reachable/);
    expect(result.output.match(/retrying in/g)?.length ?? 0).toBeLessThanOrEqual(4);
    expect(await listTags(fx.registry.url, `${repo}/base_image`)).toEqual(['main']);
  });

  test('500 with Retry-After is waited out and the release completes', async () => {
    const repo = 'fornax/retry-after';
    const source = await seed(repo);
    fx.proxy.inject({ status: 500, headers: { 'retry-after': '1' } }, 1);
    const result = await release(repo, 'v1.0.0');
    expect(result.success, result.output).toBe(true);
    expect(result.output).toMatch(/HTTP 500; retrying in 1000 ms/);
    expect(await digestOf(fx.registry.url, `${repo}/base_image`, 'v1.0.0')).toBe(source);
  });

  test('a malformed JSON manifest body is refused in one line, nothing written', async () => {
    const repo = 'fornax/malformed';
    await seed(repo);
    fx.proxy.inject({ status: 200, headers: { 'content-type': OCI_MANIFEST }, body: '{"schemaVersion": 2, "config": ' }, 100, (method, path) => method === 'GET' && path.includes('/manifests/'));
    const result = await release(repo, 'v1.0.0');
    expectOneClearLine(result, /base_image/);
    expect(await listTags(fx.registry.url, `${repo}/base_image`)).toEqual(['main']);
  });

  test('a malformed tag list is refused in one line, nothing written', async () => {
    const repo = 'fornax/malformed-list';
    const source = await seed(repo);
    // stable already held, so the release reads the tag list to compare versions.
    await pushImage(fx.registry.url, `${repo}/base_image`, 'stable', { labels: { [REVISION]: fx.head } });
    fx.proxy.inject({ status: 200, body: '{"tags": [' }, 100, (method, path) => method === 'GET' && path.includes('/tags/list'));
    const result = await release(repo, 'v1.0.0,stable');
    expectOneClearLine(result, /the tag list of fornax\/malformed-list\/base_image .*: not valid JSON/);
    expect(await digestOf(fx.registry.url, `${repo}/base_image`, 'v1.0.0')).toBeUndefined();
    expect(await digestOf(fx.registry.url, `${repo}/base_image`, 'main')).toBe(source);
  });

  test('a manifest over the size limit is refused in one line, nothing written', async () => {
    const repo = 'fornax/huge';
    await seed(repo);
    const huge = JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, padding: 'x'.repeat(5 * 1024 * 1024) });
    fx.proxy.inject({ status: 200, headers: { 'content-type': OCI_MANIFEST }, body: huge }, 100, (method, path) => method === 'GET' && path.includes('/manifests/'));
    const result = await release(repo, 'v1.0.0');
    expectOneClearLine(result, /over the \d+-byte limit/);
    expect(await listTags(fx.registry.url, `${repo}/base_image`)).toEqual(['main']);
  });

  test('the registry killed in the middle of a release: restart, rerun, the release completes; no tag ever points elsewhere', async () => {
    const repo = 'fornax/killed';
    const source = await seed(repo);
    let killed: Promise<void> | undefined;
    // The first tag is written, then the registry dies as the second one is PUT.
    fx.proxy.inject({ cut: true }, 100, (method, path) => {
      if (method !== 'PUT' || !path.endsWith('/manifests/stable')) return false;
      killed ??= fx.registry.stop({ keepStorage: true });
      return true;
    });
    const first = await release(repo, 'v1.0.0,stable');
    expect(first.success).toBe(false);
    await killed;
    fx.registry = await startRegistry({ storage: fx.registry.storage, port: fx.registry.port });
    for (const tag of ['v1.0.0', 'stable']) {
      const digest = await digestOf(fx.registry.url, `${repo}/base_image`, tag);
      expect(digest === undefined || digest === source, `${tag} -> ${digest}`).toBe(true);
    }
    await fx.proxy.stop();
    fx.proxy = await startFaultProxy(fx.registry.url);
    const again = await release(repo, 'v1.0.0,stable');
    expect(again.success, again.output).toBe(true);
    for (const tag of ['main', 'v1.0.0', 'stable']) expect(await digestOf(fx.registry.url, `${repo}/base_image`, tag)).toBe(source);
  });
});
