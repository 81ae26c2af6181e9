/**
 * Targets `hono` and `hono-work`. `hono` is the framework floor — Hono on @hono/node-server with the
 * gateway's own proxy hop (its undici dispatch handler writing into `c.env.outgoing`, then
 * `RESPONSE_ALREADY_SENT`) and no checks at all: `gateway` against it is what the checks cost.
 *
 * `hono-work` adds, with the gateway's own functions, the work every request of the all-checks
 * gateway does whatever its policy says — and nothing that decides: a request id, the credential
 * cache's SHA-256 key of the Authorization header, the gateway's request-header hygiene, the
 * forwarding headers and the signed identity (HMAC-SHA256), the gateway's response headers, and an
 * access line written to disk by the gateway's batched writer. No tenant, zone, allow-list, lockout
 * or role is looked at. It is the floor of a gateway with these features on this stack: what the
 * checks themselves cost is `gateway` against `hono-work`.
 *
 * `middlewares` adds that many pass-through `await next()` layers, to price the onion alone.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type HttpBindings, serve } from '@hono/node-server';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { Hono } from 'hono';
import { Pool } from 'undici';
import { credentialCacheKey } from '../../packages/gateway/src/credentials/verifier.js';
import { AccessLogWriter } from '../../packages/gateway/src/logs/access-sink.js';
import { LogHealth } from '../../packages/gateway/src/logs/health.js';
import { isoTime } from '../../packages/gateway/src/logs/middleware.js';
import { newRequestId } from '../../packages/gateway/src/ops/index.js';
import {
  appendProxiedHeaders,
  copyRequestHeaders,
  copyResponseHeaders,
} from '../../packages/gateway/src/proxy/headers.js';
import { appendIdentityHeaders } from '../../packages/gateway/src/proxy/identity.js';
import { NodeHop } from '../../packages/gateway/src/proxy/node-hop.js';
import { announceReady, answerAllocationQueries, childConfig, exitOnSignal } from './child.js';
import { BENCH_USER, CLIENT_IP } from './policy.js';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
]);

/** What the harness asks of this target. */
export interface HonoTargetConfig {
  upstream: string;
  connections: number;
  middlewares?: number;
  /** Do the gateway's fixed per-request work (see the module comment); its access log goes to `<dir>/log`. */
  fixedWork?: { dir: string };
}

const { upstream, connections, middlewares = 0, fixedWork } = childConfig<HonoTargetConfig>();
const pool = new Pool(upstream, { connections });
const app = new Hono<{ Bindings: HttpBindings }>();
for (let i = 0; i < middlewares; i++) {
  app.use(async function passThrough(_c, next) {
    await next();
  });
}

const secret = randomBytes(32);
const cachePrefix = randomBytes(32).toString('base64');
const accessLog = fixedWork
  ? new AccessLogWriter({ dir: `${fixedWork.dir}/log`, health: new LogHealth({ now: Date.now }) })
  : undefined;
const identity = { tenant: 't0', user: BENCH_USER.name, roles: Object.freeze(['admin']), requestId: '' };

/** The upstream request's headers: bare hop-by-hop stripping, or the gateway's hygiene + identity. */
function upstreamHeaders(incoming: IncomingMessage, requestId: string, now: number): string[] {
  const headers: string[] = [];
  const raw = incoming.rawHeaders;
  if (!fixedWork) {
    for (let i = 0; i < raw.length; i += 2) {
      if (!HOP_BY_HOP.has(raw[i]!.toLowerCase())) headers.push(raw[i]!, raw[i + 1]!);
    }
    return headers;
  }
  // The credential cache's key of the header as received (the cache lookup itself is a Map get).
  if (credentialCacheKey(cachePrefix, 't0', incoming.headers.authorization ?? '').length === 0)
    throw new Error('no key');
  copyRequestHeaders(raw, true, headers);
  headers.push('x-forwarded-for', CLIENT_IP, 'x-forwarded-proto', 'https');
  headers.push('x-forwarded-host', incoming.headers.host ?? '');
  const request = { method: incoming.method ?? 'GET', target: incoming.url ?? '/' };
  appendIdentityHeaders(headers, secret, { ...identity, requestId }, request, now);
  return headers;
}

function responseHeaders(h: Record<string, string | string[] | undefined>, requestId: string): string[] {
  const out: string[] = [];
  if (!fixedWork) {
    for (const name in h) {
      const v = h[name];
      if (v !== undefined && !HOP_BY_HOP.has(name)) out.push(name, String(v));
    }
    return out;
  }
  copyResponseHeaders(h, out);
  appendProxiedHeaders(out, requestId);
  return out;
}

app.all('*', async function proxy(c) {
  const incoming = c.env.incoming as IncomingMessage;
  const outgoing = c.env.outgoing as ServerResponse;
  const started = Date.now();
  const requestId = fixedWork ? newRequestId() : '';
  const headers = upstreamHeaders(incoming, requestId, started);
  const hasBody = incoming.method !== 'GET' && incoming.method !== 'HEAD';
  await new Promise<void>((resolve) => {
    const hop = new NodeHop(outgoing, {
      head(statusCode, h) {
        outgoing.writeHead(statusCode, responseHeaders(h, requestId));
      },
      done(bytes) {
        accessLog?.write({
          ts: isoTime(started),
          reqId: requestId,
          tenant: 't0',
          zone: 'api',
          ip: CLIENT_IP,
          method: incoming.method ?? 'GET',
          path: incoming.url ?? '/',
          status: outgoing.statusCode,
          bytes,
          ms: Date.now() - started,
          upstreamMs: null,
          user: BENCH_USER.name,
          decision: 'allow',
          ua: incoming.headers['user-agent'] ?? null,
        });
        resolve();
      },
      failed() {
        // The client went away (the end of a load run) or the upstream failed: never answer twice.
        if (!outgoing.headersSent) outgoing.writeHead(502).end();
        else outgoing.destroy();
        resolve();
      },
    });
    pool.dispatch(
      {
        path: incoming.url ?? '/',
        method: incoming.method as 'GET',
        headers,
        body: hasBody ? incoming : null,
      },
      hop,
    );
  });
  return RESPONSE_ALREADY_SENT;
});

const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) =>
  announceReady(info.port),
);
answerAllocationQueries();
exitOnSignal(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await pool.close();
  await accessLog?.close();
});
