/**
 * Target (b): the Node floor — a bare node:http server whose only work is to stream each request to
 * the upstream with undici `Pool.stream` and the answer straight into the Node response. Header
 * hygiene is the minimum a correct proxy needs (hop-by-hop headers dropped, RFC 9110 §7.6.1);
 * everything the gateway adds on top of this is what the gateway costs.
 */
import { createServer, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { announceReady, answerAllocationQueries, childConfig, exitOnSignal } from './child.js';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
]);

function strip(headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>) {
  const out: OutgoingHttpHeaders = {};
  for (const name in headers) if (!HOP_BY_HOP.has(name)) out[name] = headers[name];
  return out;
}

const { upstream, connections } = childConfig<{ upstream: string; connections: number }>();
const pool = new Pool(upstream, { connections });

const server = createServer((req, res) => {
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
  pool
    .stream(
      {
        path: req.url ?? '/',
        method: req.method as 'GET',
        headers: strip(req.headers) as Record<string, string>,
        body: hasBody ? req : null,
      },
      ({ statusCode, headers }) => {
        res.writeHead(statusCode, strip(headers));
        return res;
      },
    )
    .catch(() => {
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => announceReady((server.address() as AddressInfo).port));
answerAllocationQueries();
exitOnSignal(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await pool.close();
});
