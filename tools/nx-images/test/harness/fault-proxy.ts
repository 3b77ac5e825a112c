import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** What the proxy does to one request instead of (or before) forwarding it. */
export type Fault =
  | { status: number; headers?: Record<string, string>; body?: string }
  | { cut: true }
  | { delayMs: number };

export interface FaultProxy {
  /** `127.0.0.1:PORT`, a loopback registry host. */
  host: string;
  url: string;
  /** Every request seen, in order: `METHOD /path`. */
  requests: string[];
  /** Every Authorization header seen, in order: which credentials went to the registry. */
  authorizations: string[];
  /** Request body bytes forwarded to the registry: what a client sent through the proxy. */
  bytesSent(): number;
  /** Called with each request as it arrives, before it is forwarded (e.g. to stop the registry mid-copy). */
  onRequest(hook: ((method: string, path: string) => void | Promise<void>) | undefined): void;
  /** The next `times` requests that `match` (default: all) get `fault`. */
  inject(fault: Fault, times?: number, match?: (method: string, path: string) => boolean): void;
  stop(): Promise<void>;
}

/** A small HTTP proxy in front of a real registry that answers with faults on demand. */
export async function startFaultProxy(targetUrl: string): Promise<FaultProxy> {
  const target = new URL(targetUrl);
  const queue: { fault: Fault; left: number; match: (method: string, path: string) => boolean }[] = [];
  const requests: string[] = [];
  const authorizations: string[] = [];
  const sockets = new Set<Socket>();
  let sent = 0;
  let hook: ((method: string, path: string) => void | Promise<void>) | undefined;

  function forward(req: IncomingMessage, res: ServerResponse): void {
    // The Host header is kept, so the registry writes Location URLs that point back at the proxy.
    const upstream = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.on('data', (chunk: Buffer) => {
      sent += chunk.length;
    });
    req.pipe(upstream);
  }

  const server = createServer((req, res) => {
    void handle(req, res);
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    requests.push(`${method} ${path}`);
    if (req.headers.authorization) authorizations.push(req.headers.authorization);
    if (hook) await hook(method, path);
    const entry = queue.find((candidate) => candidate.left > 0 && candidate.match(method, path));
    if (!entry) return forward(req, res);
    entry.left--;
    const fault = entry.fault;
    if ('cut' in fault) {
      req.socket.destroy();
      return;
    }
    if ('delayMs' in fault) {
      setTimeout(() => forward(req, res), fault.delayMs);
      return;
    }
    req.resume();
    res.writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers });
    res.end(fault.body ?? JSON.stringify({ errors: [{ code: 'INJECTED', message: `injected ${fault.status}` }] }));
  }

  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    host: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    requests,
    authorizations,
    bytesSent: () => sent,
    onRequest(next) {
      hook = next;
    },
    inject(fault, times = 1, match = () => true) {
      queue.push({ fault, left: times, match });
    },
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
