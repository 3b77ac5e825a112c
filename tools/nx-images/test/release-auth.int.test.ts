import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startBasicAuthRegistry, startTokenRegistry, type TokenRegistry } from './harness/auth-registry';
import type { Registry } from './harness/registry';
import { runReleaseExecutor } from './harness/run-release';
import { digestOf, listTags, pushImage } from './harness/seed';
import { createWorkspace, type Workspace } from './harness/workspace';

// Credentials as `docker login` users expect, against the real registry
// behind Basic auth and behind a Bearer-token challenge from our issuer.
const REVISION = 'org.opencontainers.image.revision';
const BASIC_PASSWORD = 'basic-S3cret-pw-7781';
const TOKEN_PASSWORD = 'token-S3cret-pw-4412';
const READER_PASSWORD = 'reader-S3cret-pw-9930';
const NO_ENV_CREDENTIALS = { REGISTRY_USERNAME: undefined, REGISTRY_PASSWORD: undefined, GITHUB_ACTOR: undefined, GITHUB_TOKEN: undefined };

let ws: Workspace;
let head: string;
let basic: Registry & { basic(user: string): Record<string, string> };
let token: TokenRegistry;
let scratch: string;

beforeAll(async () => {
  ws = await createWorkspace();
  head = await ws.git('rev-parse', 'HEAD');
  scratch = await mkdtemp(join(tmpdir(), 'fornax-auth-'));
  [basic, token] = await Promise.all([
    startBasicAuthRegistry({ alice: BASIC_PASSWORD }),
    startTokenRegistry({ bob: { password: TOKEN_PASSWORD }, reader: { password: READER_PASSWORD, actions: ['pull'] } }),
  ]);
});

afterAll(async () => {
  await basic?.stop();
  await token?.stop();
  await ws?.remove();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

/** A Docker config directory with `config`, for DOCKER_CONFIG. */
async function dockerConfig(name: string, config: unknown): Promise<string> {
  const dir = join(scratch, name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}

/** A `docker-credential-fornaxtest` helper on a PATH directory: answers `get` for one host. */
async function credentialHelper(host: string, username: string, secret: string): Promise<string> {
  const dir = join(scratch, 'helper-bin');
  await mkdir(dir, { recursive: true });
  const file = join(dir, 'docker-credential-fornaxtest');
  await writeFile(
    file,
    `#!${process.execPath}
let input = '';
process.stdin.on('data', (d) => (input += d));
process.stdin.on('end', () => {
  if (process.argv[2] === 'get' && input.trim() === ${JSON.stringify(host)}) {
    process.stdout.write(JSON.stringify({ ServerURL: input.trim(), Username: ${JSON.stringify(username)}, Secret: ${JSON.stringify(secret)} }));
  } else {
    process.stdout.write('credentials not found in native keychain');
    process.exit(1);
  }
});
`,
  );
  await chmod(file, 0o755);
  return `${dir}${delimiter}${process.env.PATH ?? ''}`;
}

function expectNoSecret(output: string): void {
  for (const secret of [BASIC_PASSWORD, TOKEN_PASSWORD, READER_PASSWORD, Buffer.from(`alice:${BASIC_PASSWORD}`).toString('base64')]) expect(output).not.toContain(secret);
  expect(output).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/); // no JWT
}

describe('Basic auth', () => {
  const repo = 'fornax/basic';
  let digest: string;
  beforeAll(async () => {
    digest = (await pushImage(basic.url, `${repo}/base_image`, 'main', { labels: { [REVISION]: head }, headers: basic.basic('alice') })).digest;
  });

  test('credentials from the environment', async () => {
    const result = await runReleaseExecutor('release', ws.dir, 'base_image', { registry: basic.host, repository: repo, tags: 'v1.0.0' }, {
      ...NO_ENV_CREDENTIALS,
      REGISTRY_USERNAME: 'alice',
      REGISTRY_PASSWORD: BASIC_PASSWORD,
      DOCKER_CONFIG: join(scratch, 'none'),
    });
    expect(result.success, result.output).toBe(true);
    expect(await digestOf(basic.url, `${repo}/base_image`, 'v1.0.0', basic.basic('alice'))).toBe(digest);
    expectNoSecret(result.output);
  });

  test('credentials from a Docker config file (auths)', async () => {
    const config = await dockerConfig('basic-auths', { auths: { [`http://${basic.host}`]: { auth: Buffer.from(`alice:${BASIC_PASSWORD}`).toString('base64') } } });
    const result = await runReleaseExecutor('release', ws.dir, 'base_image', { registry: basic.host, repository: repo, tags: 'v1.0.1' }, { ...NO_ENV_CREDENTIALS, DOCKER_CONFIG: config });
    expect(result.success, result.output).toBe(true);
    expect(await digestOf(basic.url, `${repo}/base_image`, 'v1.0.1', basic.basic('alice'))).toBe(digest);
    expectNoSecret(result.output);
  });

  test('a wrong password fails with what to check, and never shows the password', async () => {
    const result = await runReleaseExecutor('release', ws.dir, 'base_image', { registry: basic.host, repository: repo, tags: 'v1.0.2' }, {
      ...NO_ENV_CREDENTIALS,
      REGISTRY_USERNAME: 'alice',
      REGISTRY_PASSWORD: `${BASIC_PASSWORD}-wrong`,
    });
    expect(result.success).toBe(false);
    expect(result.output).toMatch(/refused the credentials from REGISTRY_USERNAME\/REGISTRY_PASSWORD .*\(401 Unauthorized\).*check the login/);
    expectNoSecret(result.output);
    expect(await listTags(basic.url, `${repo}/base_image`, basic.basic('alice'))).toEqual(['main', 'v1.0.0', 'v1.0.1']);
  });
});

describe('Bearer token challenge', () => {
  const repo = 'fornax/token';
  let digest: string;
  beforeAll(async () => {
    const headers = { authorization: `Bearer ${token.token(`${repo}/tractor`)}` };
    digest = (await pushImage(token.url, `${repo}/tractor`, 'main', { labels: { [REVISION]: head }, headers, platforms: ['linux/amd64', 'linux/arm64'] })).digest;
  });
  const read = (tag: string) => digestOf(token.url, `${repo}/tractor`, tag, { authorization: `Bearer ${token.token(`${repo}/tractor`, ['pull'])}` });

  test('credentials from the environment, asking for pull,push', async () => {
    const result = await runReleaseExecutor('release', ws.dir, 'tractor', { registry: token.host, repository: repo, tags: 'v2.0.0' }, {
      ...NO_ENV_CREDENTIALS,
      REGISTRY_USERNAME: 'bob',
      REGISTRY_PASSWORD: TOKEN_PASSWORD,
    });
    expect(result.success, result.output).toBe(true);
    expect(await read('v2.0.0')).toBe(digest);
    expect(token.issued).toContain(`bob repository:${repo}/tractor:pull,push -> pull,push`);
    expectNoSecret(result.output);
  });

  test('credentials from a Docker config credsStore helper', async () => {
    const config = await dockerConfig('token-helper', { auths: { [token.host]: {} }, credsStore: 'fornaxtest' });
    const path = await credentialHelper(token.host, 'bob', TOKEN_PASSWORD);
    const result = await runReleaseExecutor('release', ws.dir, 'tractor', { registry: token.host, repository: repo, tags: 'v2.0.1' }, { ...NO_ENV_CREDENTIALS, DOCKER_CONFIG: config, PATH: path });
    expect(result.success, result.output).toBe(true);
    expect(await read('v2.0.1')).toBe(digest);
    expectNoSecret(result.output);
  });

  test('credentials that may only pull are refused before any write, with the GHCR fix', async () => {
    const result = await runReleaseExecutor('release', ws.dir, 'tractor', { registry: token.host, repository: repo, tags: 'v2.0.2' }, {
      ...NO_ENV_CREDENTIALS,
      REGISTRY_USERNAME: 'reader',
      REGISTRY_PASSWORD: READER_PASSWORD,
    });
    expect(result.success).toBe(false);
    expect(result.output).toMatch(/does not let the credentials from REGISTRY_USERNAME\/REGISTRY_PASSWORD push to fornax\/token\/tractor .*packages: write.*Manage Actions access/);
    expectNoSecret(result.output);
    expect(await read('v2.0.2')).toBeUndefined();
  });

  test('an unknown user is refused by the token service at once', async () => {
    const result = await runReleaseExecutor('release', ws.dir, 'tractor', { registry: token.host, repository: repo, tags: 'v2.0.3' }, {
      ...NO_ENV_CREDENTIALS,
      REGISTRY_USERNAME: 'mallory',
      REGISTRY_PASSWORD: TOKEN_PASSWORD,
    });
    expect(result.success).toBe(false);
    expect(result.output).toMatch(/the token service refused the credentials from REGISTRY_USERNAME\/REGISTRY_PASSWORD .*check the login/);
    expectNoSecret(result.output);
  });

  test('through nx run-many with credentials from the environment; the output holds no secret', async () => {
    // Both images live behind the token registry for this run.
    await pushImage(token.url, `${repo}/base_image`, 'main', { labels: { [REVISION]: head }, headers: { authorization: `Bearer ${token.token(`${repo}/base_image`)}` } });
    const result = await ws.nx(['run-many', '-t', 'release', `--registry=${token.host}`, `--repository=${repo}`, '--tags=v3.0.0,stable', '--outputStyle=static'], {
      REGISTRY_USERNAME: 'bob',
      REGISTRY_PASSWORD: TOKEN_PASSWORD,
    });
    expect(result.exitCode, result.all).toBe(0);
    expect(await read('v3.0.0')).toBe(digest);
    expect(await read('stable')).toBe(digest);
    expectNoSecret(result.all);
  });
});
