import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startBasicAuthRegistry } from '../harness/auth-registry';
import { runCiImages } from '../harness/github-run';
import type { Registry } from '../harness/registry';
import { digestOf } from '../harness/seed';
import { createWorkspace, type RunOutput, type Workspace } from '../harness/workspace';

// The token can overwrite any image of the organisation: it reaches the
// registry and nothing else, in no form, in nothing a run writes.
const USER = 'ci';
const SECRET = 'ghp_S3cretT0ken+/=hardening4242';
const REPO = 'fornax/images';
const NOTIFY_SECRET = 'hook-K3y+s3cret/4242';

/** Every form the secret could leak in: as is, base64 (alone and as user:secret), base64url, URL-encoded. */
const FORMS = [
  SECRET,
  Buffer.from(SECRET).toString('base64'),
  Buffer.from(`${USER}:${SECRET}`).toString('base64'),
  Buffer.from(SECRET).toString('base64url'),
  Buffer.from(`${USER}:${SECRET}`).toString('base64url'),
  encodeURIComponent(SECRET),
  // A middle slice catches a secret cut at a line wrap or half-redacted.
  SECRET.slice(4, 20),
  // The notification endpoints are secrets too (their URLs carry keys).
  NOTIFY_SECRET,
  encodeURIComponent(NOTIFY_SECRET),
  Buffer.from(NOTIFY_SECRET).toString('base64'),
  NOTIFY_SECRET.slice(3, 17),
];

let registry: Registry & { basic(user: string): Record<string, string> };
let ws: Workspace;
let scratch: string;
let childTmp: string;
let env: Record<string, string>;
let hooks: Server;
/** An endpoint that fails: each call's first try loses its connection (no answer at all), the next is refused (HTTP 403). */
let failing: Server;
/** Paths and queries the notification server was called with. */
const calls: string[] = [];
/** The failing endpoint's calls, path and query, as it saw them. */
const failingCalls: string[] = [];
const outputs: { what: string; text: string }[] = [];

beforeAll(async () => {
  hooks = createServer((req, res) => {
    calls.push(req.url ?? '');
    res.writeHead(200);
    res.end();
  });
  // A dropped connection takes the path of an endpoint that is down (a fetch error, retried after 1 s);
  // the refusal then ends the call, where a closed port would retry for 7 s per image and tag.
  failing = createServer((req, res) => {
    const url = req.url ?? '';
    const seen = failingCalls.includes(url);
    failingCalls.push(url);
    if (!seen) {
      req.socket.destroy();
      return;
    }
    res.writeHead(403);
    res.end();
  });
  await Promise.all([hooks, failing].map((server) => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))));
  registry = await startBasicAuthRegistry({ [USER]: SECRET });
  ws = await createWorkspace({ branch: 'main', origin: 'https://github.com/fornax/images.git' });
  scratch = mkdtempSync(join(tmpdir(), 'fornax-secrets-'));
  childTmp = join(scratch, 'tmp');
  mkdirSync(childTmp);
  const dockerConfig = join(scratch, 'docker-config');
  mkdirSync(dockerConfig);
  writeFileSync(join(dockerConfig, 'config.json'), JSON.stringify({ auths: { [registry.host]: { auth: Buffer.from(`${USER}:${SECRET}`).toString('base64') } } }));
  env = {
    GITHUB_ACTOR: USER,
    GITHUB_TOKEN: SECRET,
    REGISTRY_USERNAME: USER,
    REGISTRY_PASSWORD: SECRET,
    DOCKER_CONFIG: dockerConfig,
    TMPDIR: childTmp,
  };
});

afterAll(async () => {
  await Promise.all([hooks, failing].map((server) => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))));
  await registry?.stop();
  ws?.cleanup();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

function keep(what: string, result: RunOutput & { summary?: string }): void {
  outputs.push({ what: `${what} stdout`, text: result.stdout }, { what: `${what} stderr`, text: result.stderr });
  if (result.summary !== undefined) outputs.push({ what: `${what} step summary`, text: result.summary });
}

/** Every regular file under `dir`, skipping the given folder names. */
function filesUnder(dir: string, skip: string[] = []): string[] {
  const found: string[] = [];
  for (const name of readdirSync(dir)) {
    if (skip.includes(name)) continue;
    const path = join(dir, name);
    const stat = statSync(path, { throwIfNoEntry: false });
    if (!stat) continue;
    if (stat.isDirectory()) found.push(...filesUnder(path, skip));
    else if (stat.isFile()) found.push(path);
  }
  return found;
}

function leaks(text: string): string[] {
  return FORMS.filter((form) => text.includes(form));
}

describe('secrets in GITHUB_TOKEN, REGISTRY_PASSWORD and the Docker config', () => {
  test('docker-build pushes to the auth registry', async () => {
    const result = await ws.nx(
      ['run', 'base_image:docker-build', `--registry=${registry.host}`, `--repository=${REPO}`, '--push', '--exclude-task-dependencies', '--tag=secret-build'],
      env,
    );
    keep('docker-build', result);
    expect(result.exitCode, result.all).toBe(0);
    expect(await digestOf(registry.url, `${REPO}/base_image`, 'secret-build', registry.basic(USER))).toBeDefined();
  });

  test('ci:images on a simulated push builds and pushes both images', async () => {
    const head = await ws.git('rev-parse', 'HEAD');
    const result = await runCiImages(ws, { name: 'push', branch: 'main', sha: head }, registry.host, env);
    keep('ci:images', result);
    expect(result.exitCode, result.all).toBe(0);
    for (const image of ['base_image', 'tractor']) expect(await digestOf(registry.url, `${REPO}/${image}`, 'main', registry.basic(USER))).toBeDefined();
  });

  test('release tags every image', async () => {
    const result = await ws.nx(['run-many', '-t', 'release', '--tags=v1.0.0', `--registry=${registry.host}`, `--repository=${REPO}`], env);
    keep('release', result);
    expect(result.exitCode, result.all).toBe(0);
    const source = await digestOf(registry.url, `${REPO}/base_image`, 'main', registry.basic(USER));
    expect(await digestOf(registry.url, `${REPO}/base_image`, 'v1.0.0', registry.basic(USER))).toBe(source);
  });

  test('publishing to a mirror and two notification endpoints, one failing, names neither endpoint', async () => {
    const head = await ws.git('rev-parse', 'HEAD');
    const port = (hooks.address() as AddressInfo).port;
    const failingPort = (failing.address() as AddressInfo).port;
    const endpoints = `http://127.0.0.1:${port}/hooks/${encodeURIComponent(NOTIFY_SECRET)}?key=${encodeURIComponent(NOTIFY_SECRET)},http://127.0.0.1:${failingPort}/${encodeURIComponent(NOTIFY_SECRET)}`;
    const publishEnv = { ...env, IMAGE_MIRRORS: `${registry.host}/fornax/mirror`, IMAGE_NOTIFY_URLS: endpoints };
    const result = await runCiImages(ws, { name: 'push', branch: 'main', sha: head }, registry.host, publishEnv);
    keep('ci:images publishing', result);
    expect(result.exitCode).not.toBe(0);
    expect(result.all).toContain('notification endpoint 2 of 2 failed (HTTP 403 after 2 tries)');
    // The lost connection was retried, and said so by position alone.
    expect(result.all).toMatch(/notification endpoint 2 of 2 answered [\w ]+; trying again in 1000 ms/);
    expect(calls.length).toBeGreaterThan(0);
    expect(failingCalls.length).toBeGreaterThan(0);
    expect(await digestOf(registry.url, 'fornax/mirror/base_image', 'main', registry.basic(USER))).toBe(await digestOf(registry.url, `${REPO}/base_image`, 'main', registry.basic(USER)));

    const release = await ws.nx(['run-many', '-t', 'release', '--tags=v1.1.0', `--registry=${registry.host}`, `--repository=${REPO}`], publishEnv);
    keep('release publishing', release);
    expect(release.all).toContain('notification endpoint 2 of 2 failed');
  });

  test('a failed login says which credentials were refused, without them', async () => {
    const result = await ws.nx(
      ['run', 'base_image:release', '--tags=v1.0.1', `--registry=${registry.host}`, `--repository=${REPO}`, '--exclude-task-dependencies'],
      { ...env, REGISTRY_PASSWORD: `${SECRET}-wrong`, GITHUB_TOKEN: `${SECRET}-wrong` },
    );
    keep('release with a wrong password', result);
    expect(result.exitCode).not.toBe(0);
    expect(result.all).toMatch(/refused the credentials/);
  });

  test('no output, summary, record, workspace file or temporary file holds the secret in any form', () => {
    expect(outputs.length).toBeGreaterThanOrEqual(14);
    const files = [...filesUnder(ws.dir, ['node_modules', '.git']), ...filesUnder(childTmp)];
    expect(files.some((file) => file.includes(join('dist', 'docker-build'))), 'the records were scanned').toBe(true);
    expect(files.some((file) => file.includes(join('dist', 'publish'))), 'the publish records were scanned').toBe(true);
    const found: string[] = [];
    for (const { what, text } of outputs) for (const form of leaks(text)) found.push(`${what}: ${form}`);
    for (const file of files) for (const form of leaks(readFileSync(file, 'latin1'))) found.push(`${file}: ${form}`);
    expect(found).toEqual([]);
  });
});
