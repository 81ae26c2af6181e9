import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientIp } from '../client-ip/index.js';
import { closeDeps, memoryDeps } from '../create-deps.js';
import type { PipelineContext } from '../deps.js';
import { requestId } from '../ops/index.js';
import { errorHandler } from '../pages/index.js';
import { parsePolicy } from '../policy/load.js';
import { resolveTenant } from '../tenant/index.js';
import { nodeRequest } from '../testing/node-request.js';
import type { GatewayEnv } from '../types.js';
import { verifyIdentity } from './identity.js';
import { proxy } from './index.js';

let upstream: http.Server;
let ctx: PipelineContext;
let app: Hono<GatewayEnv>;

beforeAll(async () => {
  upstream = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', connection: 'x-private', 'x-private': '1' });
      res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers }));
    });
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const port = (upstream.address() as AddressInfo).port;
  const policy = parsePolicy({
    version: 1,
    server: { https: { certFile: 'c', keyFile: 'k' }, upstream: { url: `http://127.0.0.1:${port}` } },
    tenants: {
      t: {
        hosts: ['t.localhost'],
        zones: [
          { name: 'api', path: '/api', auth: 'basic' },
          { name: 'open', path: '/', auth: 'none' },
        ],
      },
    },
  });
  ctx = { policy, deps: memoryDeps() };
  app = new Hono<GatewayEnv>();
  app.onError(errorHandler(ctx));
  app.use(requestId(ctx));
  app.use(clientIp(ctx));
  app.use(resolveTenant(ctx));
  app.all('*', proxy(ctx));
});
afterAll(async () => {
  await closeDeps(ctx.deps);
  await new Promise((r) => upstream.close(r));
});

const CLIENT = '203.0.113.7';

type Echo = { method: string; url: string; headers: Record<string, string> };

describe('proxy', () => {
  it('forwards the normalised path and query with a signed identity', async () => {
    const res = await nodeRequest(
      app,
      'https://t.localhost/api/./v1/results?x=1',
      {
        headers: { 'x-gateway-user': 'forged', authorization: 'Basic eDp5', 'x-keep': 'k' },
      },
      CLIENT,
    );
    expect(res.status).toBe(200);
    const echo = (await res.json()) as Echo;
    expect(echo.url).toBe('/api/v1/results?x=1');
    expect(echo.headers['x-keep']).toBe('k');
    // The zone's auth is basic: the consumed Authorization never reaches the upstream.
    expect(echo.headers.authorization).toBeUndefined();
    // Signed for the method and the exact target the upstream received, and for nothing else.
    const secret = ctx.deps.identitySecret;
    const request = { method: echo.method, target: echo.url };
    expect(verifyIdentity(echo.headers, secret, { request })).toMatchObject({ tenant: 't', user: '' });
    const other = { method: 'POST', target: echo.url };
    expect(verifyIdentity(echo.headers, secret, { request: other })).toBeNull();
    const elsewhere = { method: echo.method, target: '/api/v1/results?x=2' };
    expect(verifyIdentity(echo.headers, secret, { request: elsewhere })).toBeNull();
    expect(res.headers.get('x-private')).toBeNull();
    expect(res.headers.get('x-request-id')).toBe(echo.headers['x-request-id']);
  });

  it('passes Authorization through in a zone without auth', async () => {
    const res = await nodeRequest(
      app,
      'https://t.localhost/open',
      {
        headers: { authorization: 'Bearer app-token' },
      },
      CLIENT,
    );
    expect(((await res.json()) as Echo).headers.authorization).toBe('Bearer app-token');
  });

  it('answers 413 by Content-Length before contacting the upstream', async () => {
    const res = await nodeRequest(
      app,
      'https://t.localhost/open',
      {
        method: 'POST',
        headers: { 'content-length': String(20 * 1024 ** 2) },
        body: 'x',
      },
      CLIENT,
    );
    expect(res.status).toBe(413);
  });
});
