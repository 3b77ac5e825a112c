import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { pipeline, Readable } from 'node:stream';

/**
 * The registry client's HTTP: one request over node:http or node:https, and
 * what the client reads of the answer. Not Node's fetch: undici costs a
 * process about 0.15 s of CPU to load and to start its WebAssembly parser,
 * more than a plan's two dozen label reads from a registry on loopback;
 * node:http is already in every process. fetch's shape is kept, so a test
 * may pass fetch itself, and its rules too: redirects are followed (ten at
 * most) and a redirect to another origin drops the credentials; an abort
 * rejects with the signal's reason; a failed connection rejects with the
 * system error as its cause.
 */

export interface HttpInit {
  method?: string;
  headers?: Record<string, string>;
  body?: Buffer | ReadableStream<Uint8Array>;
  signal?: AbortSignal;
  /** fetch's flag for a streamed request body; node:http streams without it. */
  duplex?: 'half';
}

/** What the registry client reads of an answer: a subset of fetch's Response. */
export interface HttpResponse {
  readonly status: number;
  readonly statusText: string;
  readonly ok: boolean;
  readonly headers: { get(name: string): string | null; has(name: string): boolean };
  /** The body as a web stream; null when there is none (HEAD, 204). */
  readonly body: ReadableStream<Uint8Array> | null;
  arrayBuffer(): Promise<ArrayBuffer>;
  text(): Promise<string>;
  json(): Promise<unknown>;
}

export type HttpRequest = (url: string, init?: HttpInit) => Promise<HttpResponse>;

const MAX_REDIRECTS = 10;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** A status and nothing else, for an answer the client makes up (a refused challenge, an upload sent elsewhere). */
export function statusOnly(status: number, statusText = ''): HttpResponse {
  const empty = new ArrayBuffer(0);
  return {
    status,
    statusText,
    ok: status >= 200 && status < 300,
    headers: { get: () => null, has: () => false },
    body: null,
    arrayBuffer: () => Promise.resolve(empty),
    text: () => Promise.resolve(''),
    json: () => Promise.reject(new SyntaxError('no body to read as JSON')),
  };
}

/** One request, following redirects as fetch does. */
export const nodeHttp: HttpRequest = async (url, init = {}) => {
  let target = new URL(url);
  let method = (init.method ?? 'GET').toUpperCase();
  let headers = { ...init.headers };
  let body = init.body;
  for (let redirects = 0; ; redirects++) {
    const response = await once(target, method, headers, body, init.signal);
    const location = response.headers.location;
    // A streamed body is read once, so its redirect is answered to the caller, as fetch refuses it.
    if (!REDIRECTS.has(response.statusCode ?? 0) || location === undefined || body instanceof ReadableStream) return answer(response, method, init.signal);
    response.resume();
    if (redirects >= MAX_REDIRECTS) throw new Error(`${method} ${url}: more than ${MAX_REDIRECTS} redirects`);
    const next = new URL(location, target);
    if (next.origin !== target.origin) headers = withoutHeader(headers, 'authorization');
    if (response.statusCode === 303 || ((response.statusCode === 301 || response.statusCode === 302) && method === 'POST')) {
      method = method === 'HEAD' ? 'HEAD' : 'GET';
      body = undefined;
      headers = withoutHeader(withoutHeader(headers, 'content-type'), 'content-length');
    }
    target = next;
  }
};

function once(url: URL, method: string, headers: Record<string, string>, body: Buffer | ReadableStream<Uint8Array> | undefined, signal: AbortSignal | undefined): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortReason(signal));
      return;
    }
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const sized = Buffer.isBuffer(body) ? { 'content-length': String(body.byteLength) } : {};
    const request = send(url, { method, headers: { ...sized, ...headers }, ...(signal ? { signal } : {}) });
    request.once('response', resolve);
    // Every error is taken: one after the answer reaches its body's reader as well.
    request.on('error', (error) => reject(signal?.aborted ? abortReason(signal) : new Error(`${method} ${url.origin}${url.pathname} failed`, { cause: error })));
    if (body instanceof ReadableStream) {
      // A failing source fails the request, which rejects above.
      pipeline(Readable.fromWeb(body), request, () => undefined);
    } else {
      request.end(body);
    }
  });
}

function answer(message: IncomingMessage, method: string, signal: AbortSignal | undefined): HttpResponse {
  const status = message.statusCode ?? 0;
  const empty = method === 'HEAD' || status === 204 || status === 304;
  let stream: ReadableStream<Uint8Array> | null | undefined;
  let taken = false;
  // Nothing to read: the socket goes back to the pool now, not when a reader that never comes reads it.
  if (empty) message.resume();
  const take = (): IncomingMessage => {
    if (taken) throw new TypeError('the body was already read');
    taken = true;
    return message;
  };
  const bytes = async (): Promise<Buffer> => {
    if (empty) return Buffer.alloc(0);
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of take()) chunks.push(chunk as Buffer);
    } catch (error) {
      throw signal?.aborted ? abortReason(signal) : error;
    }
    return Buffer.concat(chunks);
  };
  return {
    status,
    statusText: message.statusMessage ?? '',
    ok: status >= 200 && status < 300,
    headers: {
      get: (name) => headerValue(message, name),
      has: (name) => message.headers[name.toLowerCase()] !== undefined,
    },
    get body() {
      if (stream === undefined) stream = empty ? null : Readable.toWeb(take());
      return stream;
    },
    arrayBuffer: async () => {
      const buffer = await bytes();
      return buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength) as ArrayBuffer;
    },
    text: async () => (await bytes()).toString('utf8'),
    json: async () => JSON.parse((await bytes()).toString('utf8')) as unknown,
  };
}

/** A header as fetch's Headers gives it: repeated values joined by ", ". */
function headerValue(message: IncomingMessage, name: string): string | null {
  const value = message.headers[name.toLowerCase()];
  if (value === undefined) return null;
  return Array.isArray(value) ? value.join(', ') : value;
}

function withoutHeader(headers: Record<string, string>, name: string): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([key]) => key.toLowerCase() !== name));
}

/** What fetch rejects with on an abort: the signal's reason (a TimeoutError for AbortSignal.timeout). */
function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new Error('the request was aborted');
}
