import { createSign, randomBytes, randomUUID, X509Certificate } from 'node:crypto';
import { createServer } from 'node:http';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../src/lib/io/exec';
import { startRegistry, type Registry } from './registry';

export interface User {
  password: string;
  /** What the token issuer grants this user on any repository; default pull and push. */
  actions?: string[];
}

const BCRYPT_ALPHABET = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A bcrypt hash (Distribution's htpasswd accepts nothing else), made by libc's crypt through perl: no apache2-utils needed. */
export async function bcrypt(password: string): Promise<string> {
  const bytes = randomBytes(22);
  // The 22nd salt character only carries 2 bits: one of ".Oeu".
  const salt = [...bytes.subarray(0, 21)].map((b) => BCRYPT_ALPHABET[b % 64]).join('') + '.Oeu'[bytes[21] % 4];
  const { stdout } = await run(
    { command: 'perl', args: ['-e', 'my $p = <STDIN>; chomp $p; print crypt($p, $ARGV[0])', `$2b$05$${salt}`] },
    { input: `${password}\n` },
  );
  if (!stdout.startsWith('$2b$')) throw new Error(`perl crypt did not make a bcrypt hash: ${stdout}`);
  return stdout;
}

/** The real registry behind Basic auth (htpasswd). */
export async function startBasicAuthRegistry(users: Record<string, string>): Promise<Registry & { basic(user: string): Record<string, string> }> {
  const dir = await mkdtemp(join(tmpdir(), 'fornax-htpasswd-'));
  const lines = [];
  for (const [user, password] of Object.entries(users)) lines.push(`${user}:${await bcrypt(password)}`);
  await writeFile(join(dir, 'htpasswd'), `${lines.join('\n')}\n`);
  const registry = await startRegistry({ extraConfig: ['auth:', '  htpasswd:', '    realm: fornax-test', `    path: ${join(dir, 'htpasswd')}`].join('\n') });
  return {
    ...registry,
    basic: (user) => ({ authorization: `Basic ${Buffer.from(`${user}:${users[user]}`).toString('base64')}` }),
    async stop(options) {
      await registry.stop(options);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface TokenRegistry extends Registry {
  /** The token service's URL (the `realm`). */
  realm: string;
  /** Requests the token service answered: `user scope -> granted actions`. */
  issued: string[];
  /** A token with these actions, minted directly (for seeding). */
  token(repoPath: string, actions?: string[]): string;
}

const SERVICE = 'fornax-test-registry';
const ISSUER = 'fornax-test-issuer';

function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

/**
 * The real registry behind a Bearer-token challenge, with a small token
 * issuer written here: RS256 JWTs carrying the signing certificate (`x5c`),
 * which the registry trusts through `rootcertbundle`.
 */
export async function startTokenRegistry(users: Record<string, User>): Promise<TokenRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'fornax-token-'));
  const key = join(dir, 'key.pem');
  const certPath = join(dir, 'cert.pem');
  await run({ command: 'openssl', args: ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', certPath, '-days', '2', '-subj', `/CN=${ISSUER}`] });
  const privateKey = await readFile(key, 'utf8');
  const certificate = new X509Certificate(await readFile(certPath));
  const issued: string[] = [];

  function mint(subject: string, access: { type: string; name: string; actions: string[] }[]): string {
    const now = Math.floor(Date.now() / 1000);
    const header = base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', x5c: [certificate.raw.toString('base64')] }));
    const claims = base64url(JSON.stringify({ iss: ISSUER, sub: subject, aud: SERVICE, exp: now + 600, nbf: now - 10, iat: now, jti: randomUUID(), access }));
    const signature = createSign('RSA-SHA256').update(`${header}.${claims}`).sign(privateKey);
    return `${header}.${claims}.${base64url(signature)}`;
  }

  const issuer = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://issuer');
    const [scheme, value] = (req.headers.authorization ?? '').split(' ');
    let user: string | undefined;
    if (scheme === 'Basic' && value) {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const name = decoded.slice(0, colon);
      if (colon > 0 && users[name]?.password === decoded.slice(colon + 1)) user = name;
    }
    if (!user || url.searchParams.get('service') !== SERVICE) {
      issued.push(`${user ?? 'anonymous'} refused`);
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Basic realm="fornax-test-issuer"' });
      res.end('{"details":"bad credentials"}');
      return;
    }
    const allowed = users[user].actions ?? ['pull', 'push'];
    const access = url.searchParams.getAll('scope').flatMap((scope) => {
      const [type, name, actions] = scope.split(':');
      const granted = (actions ?? '').split(',').filter((action) => allowed.includes(action));
      issued.push(`${user} ${scope} -> ${granted.join(',')}`);
      return type === 'repository' && name ? [{ type, name, actions: granted }] : [];
    });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ token: mint(user, access), expires_in: 600 }));
  });
  await new Promise<void>((resolve) => issuer.listen(0, '127.0.0.1', resolve));
  const realm = `http://127.0.0.1:${(issuer.address() as AddressInfo).port}/token`;
  const registry = await startRegistry({
    extraConfig: ['auth:', '  token:', `    realm: ${realm}`, `    service: ${SERVICE}`, `    issuer: ${ISSUER}`, `    rootcertbundle: ${certPath}`].join('\n'),
  });
  return {
    ...registry,
    realm,
    issued,
    token: (repoPath, actions = ['pull', 'push']) => mint('seeder', [{ type: 'repository', name: repoPath, actions }]),
    async stop(options) {
      await registry.stop(options);
      await new Promise<void>((resolve) => issuer.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
