/**
 * Test helper (not part of the package's entries): a node:http server on 127.0.0.1 port 0 that
 * answers like the gateway would — error envelopes, `Retry-After`, `X-Request-Id` — with a
 * per-test handler, and records every request it received.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request as the stub saw it. */
export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

/** What a handler answers. */
export interface StubAnswer {
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** A body sent as is (not JSON-encoded). */
  raw?: string;
  /** Wait this long (ms) before answering. */
  delay?: number;
}

export type StubHandler = (req: SeenRequest, n: number) => StubAnswer | Promise<StubAnswer>;

/** The gateway's error envelope. */
export function envelope(code: string, extra: Record<string, unknown> = {}, requestId = 'req-test') {
  return { error: { code, message: `${code} (stub)`, requestId, ...extra } };
}

/**
 * Starts the stub; close it in `afterEach`/`finally`.
 * @example const stub = await startStub(() => ({ status: 200, body: { data: [] } }));
 */
export async function startStub(handler: StubHandler) {
  const requests: SeenRequest[] = [];
  let current = handler;
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const seen: SeenRequest = {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      headers: req.headers,
      body: text ? JSON.parse(text) : undefined,
    };
    requests.push(seen);
    try {
      const answer = await current(seen, requests.length);
      if (answer.delay) await new Promise((r) => setTimeout(r, answer.delay));
      const body = answer.raw ?? (answer.body === undefined ? '' : JSON.stringify(answer.body));
      res.writeHead(answer.status ?? 200, {
        'content-type': 'application/json',
        'x-request-id': `req-${requests.length}`,
        ...answer.headers,
      });
      res.end(body);
    } catch (err) {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify(envelope('internal_error', { detail: String(err) })));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    /** Replaces the handler (e.g. to start failing mid-test). */
    handle(next: StubHandler) {
      current = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export type Stub = Awaited<ReturnType<typeof startStub>>;
