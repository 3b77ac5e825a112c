import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { causeOf } from '../src/lib/io/registry/auth';
import { nodeHttp } from '../src/lib/io/registry/http';

/**
 * The registry client's HTTP (src/lib/io/registry/http.ts) against real
 * servers on loopback: what fetch would do, on node:http. Each server
 * records what reached it, so a test reads back the request as sent.
 */

interface Seen {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

interface Recorder {
  url: string;
  seen: Seen[];
  server: Server;
}

async function recorder(answer: (seen: Seen, response: ServerResponse) => void): Promise<Recorder> {
  const seen: Seen[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const entry = { method: request.method ?? '', path: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks) };
      seen.push(entry);
      answer(entry, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

const closing: Server[] = [];
const HTTP_TS = join(__dirname, '../src/lib/io/registry/http.ts');

/** Runs a script in a new node with the plugin's TypeScript loadable; resolves with its stdout, rejects on a non-zero exit. */
function child(script: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--require', '@swc-node/register', '-e', script, ...args], { timeout: 30_000, env: { ...process.env, ...env } }, (error, out, err) =>
      error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out.trim()),
    );
  });
}
let home: Recorder;
let elsewhere: Recorder;

beforeAll(async () => {
  elsewhere = await recorder((_, response) => response.end('elsewhere'));
  home = await recorder((seen, response) => {
    const [path, query = ''] = seen.path.split('?');
    const steps = Number(new URLSearchParams(query).get('n') ?? '0');
    switch (path) {
      case '/twice-headed':
        response.setHeader('x-repeated', ['1', '2']);
        response.end('{"ok":true}');
        return;
      case '/same-origin':
        response.writeHead(307, { location: '/landed' }).end();
        return;
      case '/other-origin':
        response.writeHead(302, { location: `${elsewhere.url}/landed` }).end();
        return;
      case '/see-other':
        response.writeHead(303, { location: '/landed' }).end();
        return;
      case '/loop':
        response.writeHead(302, { location: `/loop?n=${steps + 1}` }).end();
        return;
      case '/silent':
        return;
      default:
        response.writeHead(200, { 'content-type': 'text/plain' }).end(`landed ${seen.method} ${seen.body.length}`);
    }
  });
  // A connection stays open until the client closes it, so a client that holds one is seen holding it.
  home.server.keepAliveTimeout = 0;
  closing.push(home.server, elsewhere.server);
});

afterAll(async () => {
  for (const server of closing) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

describe('nodeHttp: a request and its answer', () => {
  it('reads status, headers (repeated values joined as fetch joins them) and the body', async () => {
    const response = await nodeHttp(`${home.url}/twice-headed`, { headers: { accept: 'application/json' } });
    expect(response.status).toBe(200);
    expect(response.ok).toBe(true);
    expect(response.headers.get('X-Repeated')).toBe('1, 2');
    expect(response.headers.has('x-repeated')).toBe(true);
    expect(response.headers.get('x-absent')).toBeNull();
    expect(await response.json()).toEqual({ ok: true });
    expect(home.seen.at(-1)?.headers.accept).toBe('application/json');
  });

  it('sends a Buffer with its length, and a stream in chunks, byte for byte', async () => {
    const bytes = Buffer.from('a blob\u0000with every byte'.repeat(1000));
    const sized = await nodeHttp(`${home.url}/put`, { method: 'PUT', body: bytes });
    expect(await sized.text()).toBe(`landed PUT ${bytes.length}`);
    expect(home.seen.at(-1)?.headers['content-length']).toBe(String(bytes.length));
    const streamed = await nodeHttp(`${home.url}/patch`, { method: 'PATCH', body: new Blob([bytes]).stream(), duplex: 'half' });
    expect(await streamed.text()).toBe(`landed PATCH ${bytes.length}`);
    expect(home.seen.at(-1)?.body.equals(bytes)).toBe(true);
    expect(home.seen.at(-1)?.headers['transfer-encoding']).toBe('chunked');
  });

  it('gives a HEAD answer no body, and reads a body as a web stream', async () => {
    const head = await nodeHttp(`${home.url}/head`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body).toBeNull();
    expect((await head.arrayBuffer()).byteLength).toBe(0);
    const get = await nodeHttp(`${home.url}/get`);
    const chunks: Uint8Array[] = [];
    for await (const chunk of get.body as unknown as AsyncIterable<Uint8Array>) chunks.push(chunk);
    expect(Buffer.concat(chunks).toString()).toBe('landed GET 0');
    await expect(get.text()).rejects.toThrow('the body was already read');
  });
});

describe('nodeHttp: redirects as fetch follows them', () => {
  it('keeps the credentials on the same origin and drops them on another', async () => {
    const same = await nodeHttp(`${home.url}/same-origin`, { headers: { authorization: 'Bearer secret' } });
    expect(await same.text()).toBe('landed GET 0');
    expect(home.seen.at(-1)).toMatchObject({ path: '/landed', headers: { authorization: 'Bearer secret' } });
    const other = await nodeHttp(`${home.url}/other-origin`, { headers: { authorization: 'Bearer secret', accept: 'application/octet-stream' } });
    expect(await other.text()).toBe('elsewhere');
    expect(elsewhere.seen.at(-1)?.path).toBe('/landed');
    expect(elsewhere.seen.at(-1)?.headers.authorization).toBeUndefined();
    expect(elsewhere.seen.at(-1)?.headers.accept).toBe('application/octet-stream');
  });

  it('turns a POST into a GET without its body on 303, and keeps the method on 307', async () => {
    const seeOther = await nodeHttp(`${home.url}/see-other`, { method: 'POST', body: Buffer.from('form'), headers: { 'content-type': 'text/plain' } });
    expect(await seeOther.text()).toBe('landed GET 0');
    expect(home.seen.at(-1)?.headers['content-type']).toBeUndefined();
    const temporary = await nodeHttp(`${home.url}/same-origin`, { method: 'PUT', body: Buffer.from('kept') });
    expect(await temporary.text()).toBe('landed PUT 4');
  });

  it('answers a redirect of a streamed body to the caller, since the stream cannot be sent again', async () => {
    const response = await nodeHttp(`${home.url}/same-origin`, { method: 'PATCH', body: new Blob(['once']).stream(), duplex: 'half' });
    expect(response.status).toBe(307);
    expect(response.headers.get('location')).toBe('/landed');
    await response.arrayBuffer();
  });

  it('stops after ten redirects, naming the request', async () => {
    await expect(nodeHttp(`${home.url}/loop`)).rejects.toThrow(`GET ${home.url}/loop: more than 10 redirects`);
    expect(home.seen.filter((seen) => seen.path.startsWith('/loop')).length).toBe(11);
  });
});

describe('nodeHttp: failures read as fetch reads them', () => {
  it('rejects with the signal\'s reason on a timeout, which the client calls "timed out"', async () => {
    const error: unknown = await nodeHttp(`${home.url}/silent`, { signal: AbortSignal.timeout(200) }).catch((caught: unknown) => caught);
    expect((error as Error).name).toBe('TimeoutError');
    expect(causeOf(error)).toBe('timed out');
  });

  it('rejects a refused connection with the system error as its cause', async () => {
    const closed = await recorder(() => undefined);
    await new Promise((resolve) => closed.server.close(resolve));
    const error: unknown = await nodeHttp(`${closed.url}/v2/`).catch((caught: unknown) => caught);
    expect(causeOf(error)).toMatch(/^ECONNREFUSED: connect ECONNREFUSED 127\.0\.0\.1:\d+$/);
  });

  it('lets a process end once its answers are read: a kept-alive connection holds nothing open', async () => {
    const script = [
      `const { nodeHttp } = require(${JSON.stringify(HTTP_TS)});`,
      'const url = process.argv[1];',
      "Promise.all([nodeHttp(url + '/a', { method: 'HEAD' }), nodeHttp(url + '/b').then((r) => r.text())]).then(() => console.log('read'));",
    ].join('\n');
    // Before HEAD answers were drained, this process waited for the server to close its sockets.
    expect(await child(script, [home.url])).toBe('read');
  });
});

describe('nodeHttp over HTTPS', () => {
  it('reaches a server whose certificate the process trusts, and refuses one it does not', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fornax-tls-'));
    try {
      const [key, cert] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
      await promisify(execFile)('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert]);
      const server = createTlsServer({ key: readFileSync(key), cert: readFileSync(cert) }, (request, response) => response.end(`secure ${request.method} ${request.url}`));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      closing.push(server);
      const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/v2/`;
      const script = [
        `const { nodeHttp } = require(${JSON.stringify(HTTP_TS)});`,
        `const { causeOf } = require(${JSON.stringify(join(__dirname, '../src/lib/io/registry/auth.ts'))});`,
        'nodeHttp(process.argv[1]).then((r) => r.text()).then(console.log, (error) => console.log(causeOf(error)));',
      ].join('\n');
      expect(await child(script, [url], { NODE_EXTRA_CA_CERTS: cert })).toBe('secure GET /v2/');
      expect(await child(script, [url])).toMatch(/^(DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN): /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
