/**
 * Unit tests drive an app the way production does: through @hono/node-server's request listener
 * (the one adapter between Node and the pipeline, as `startGateway` uses it), so every step sees a
 * real `IncomingMessage` and `ServerResponse`. Only the wire is in memory: Node's HTTP client
 * writes the request into one end of a socket pair, Node's HTTP server parses it from the other.
 * The server's end says where the request came from, as a TCP or TLS socket would.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import { type Duplex, duplexPair } from 'node:stream';
import { getRequestListener, type HttpBindings } from '@hono/node-server';

/** Where a request comes from: what the server's socket reports. */
export interface Peer {
  /**
   * The client's address. Absent: the socket reports none, as Node's does once it has closed
   * (the pipeline then has no client address).
   */
  remoteAddress?: string;
  /** Whether the connection is TLS. @default the URL's scheme is `https` */
  encrypted?: boolean;
  /** The port the request arrived on. @default the URL's port, else 443 or 80 */
  localPort?: number;
}

/** `RequestInit`, plus header lines sent exactly as given. */
export interface NodeRequestInit extends RequestInit {
  /** Header lines sent after `headers`, as written (`name, value, name, value…`): repeated fields. */
  rawHeaders?: string[];
}

/** Anything with Hono's `fetch`. */
export interface FetchApp {
  fetch(request: Request, env: HttpBindings): Response | Promise<Response>;
}

const servers = new WeakMap<FetchApp, { server: Server; done: WeakMap<Duplex, () => void> }>();

function serverOf(app: FetchApp) {
  let entry = servers.get(app);
  if (!entry) {
    const listener = getRequestListener((req, env) => app.fetch(req, env as HttpBindings));
    const done = new WeakMap<Duplex, () => void>();
    // Never listens: each request's connection is handed over below.
    const server = createServer((incoming, outgoing) => {
      // The answer is complete once the server's response closed: the access log writes then.
      outgoing.once('close', () => done.get(incoming.socket as unknown as Duplex)?.());
      return listener(incoming, outgoing);
    });
    entry = { server, done };
    servers.set(app, entry);
  }
  return entry;
}

// fetch() names these methods in any case; others are sent as written.
const NORMALISED = /^(?:delete|get|head|options|post|put)$/i;

/**
 * Sends one request through Node's HTTP server to `app` and answers with what the client received.
 * Like `app.request()`: a path alone is asked of `http://localhost`; the URL's authority is the
 * `Host` header unless `init.headers` gives one.
 * @param peer the client's address (a string), or the whole {@link Peer}
 * @example const res = await nodeRequest(app, 'https://t.localhost/admin', {}, '203.0.113.7');
 */
export async function nodeRequest(
  app: FetchApp,
  input: string | URL,
  init: NodeRequestInit = {},
  peer: Peer | string = {},
): Promise<Response> {
  const url =
    typeof input === 'string' && input.startsWith('/') ? new URL(input, 'http://localhost') : new URL(input);
  const { method = 'GET', rawHeaders = [], ...rest } = init;
  const from = typeof peer === 'string' ? { remoteAddress: peer } : peer;
  // The web Request reads the body and its content type exactly as app.request() did.
  const web = new Request(url, { ...rest, method: rest.body == null ? 'GET' : 'POST' });
  const body = rest.body == null ? null : Buffer.from(await web.arrayBuffer());
  const lines: string[] = [];
  if (!web.headers.has('host')) lines.push('host', url.host);
  web.headers.forEach((value, name) => {
    lines.push(name, value);
  });
  if (body && !web.headers.has('content-length') && !web.headers.has('transfer-encoding'))
    lines.push('content-length', String(body.length));
  lines.push(...rawHeaders);

  const { server, done } = serverOf(app);
  const [client, socket] = duplexPair();
  const encrypted = from.encrypted ?? url.protocol === 'https:';
  Object.assign(socket, {
    remoteAddress: from.remoteAddress,
    encrypted,
    localPort: from.localPort ?? (url.port ? Number(url.port) : encrypted ? 443 : 80),
  });
  // What a net.Socket counts: every byte the server wrote (the access log reads it).
  let bytesWritten = 0;
  const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
  socket.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    bytesWritten += typeof chunk === 'string' ? Buffer.byteLength(chunk, 'latin1') : chunk.byteLength;
    return write(chunk, ...rest);
  }) as typeof socket.write;
  Object.defineProperty(socket, 'bytesWritten', { get: () => bytesWritten });
  const closed = new Promise<void>((resolve) => done.set(socket, resolve));
  server.emit('connection', socket);
  try {
    const [res, payload] = await new Promise<[IncomingMessage, Buffer]>((resolve, reject) => {
      const req = httpRequest({
        createConnection: () => client,
        method: NORMALISED.test(method) ? method.toUpperCase() : method,
        path: url.pathname + url.search,
        headers: lines,
      });
      req.once('error', reject);
      req.once('response', (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.once('end', () => resolve([answer, Buffer.concat(chunks)]));
        answer.once('error', reject);
      });
      req.end(body ?? undefined);
    });
    await closed;
    const headers = new Headers();
    for (let i = 0; i < res.rawHeaders.length; i += 2)
      headers.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
    const status = res.statusCode ?? 0;
    const empty = status === 204 || status === 205 || status === 304 || method.toUpperCase() === 'HEAD';
    return new Response(empty ? null : new Uint8Array(payload), {
      status,
      statusText: res.statusMessage ?? '',
      headers,
    });
  } finally {
    client.destroy();
    socket.destroy();
  }
}
