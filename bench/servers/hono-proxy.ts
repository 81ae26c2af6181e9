/**
 * Target `hono`: the framework floor — Hono on @hono/node-server with the gateway's own proxy hop
 * (its undici dispatch handler writing into `c.env.outgoing`, then `RESPONSE_ALREADY_SENT`) and
 * no checks at all. Between the bare proxy and the gateway, it tells what Hono itself costs and what
 * the gateway's checks cost. `middlewares` adds that many pass-through `await next()` layers,
 * to price the onion alone.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type HttpBindings, serve } from '@hono/node-server';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { Hono } from 'hono';
import { Pool } from 'undici';
import { NodeHop } from '../../packages/gateway/src/proxy/node-hop.js';
import { announceReady, childConfig, exitOnSignal } from './child.js';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
]);

const {
  upstream,
  connections,
  middlewares = 0,
} = childConfig<{
  upstream: string;
  connections: number;
  middlewares?: number;
}>();
const pool = new Pool(upstream, { connections });
const app = new Hono<{ Bindings: HttpBindings }>();
for (let i = 0; i < middlewares; i++) {
  app.use(async function passThrough(_c, next) {
    await next();
  });
}
app.all('*', async function proxy(c) {
  const incoming = c.env.incoming as IncomingMessage;
  const outgoing = c.env.outgoing as ServerResponse;
  const headers: string[] = [];
  const raw = incoming.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    if (!HOP_BY_HOP.has(raw[i]!.toLowerCase())) headers.push(raw[i]!, raw[i + 1]!);
  }
  const hasBody = incoming.method !== 'GET' && incoming.method !== 'HEAD';
  await new Promise<void>((resolve) => {
    const hop = new NodeHop(outgoing, {
      head(statusCode, h) {
        const out: string[] = [];
        for (const name in h) {
          const v = h[name];
          if (v !== undefined && !HOP_BY_HOP.has(name)) out.push(name, String(v));
        }
        outgoing.writeHead(statusCode, out);
      },
      done: () => resolve(),
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
exitOnSignal(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await pool.close();
});
