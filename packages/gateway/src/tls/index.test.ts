import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { memoryDeps } from '../create-deps.js';
import type { PipelineContext } from '../deps.js';
import { requestId } from '../ops/index.js';
import { errorHandler } from '../pages/index.js';
import { parsePolicy } from '../policy/load.js';
import { rq } from '../request-state.js';
import { nodeRequest, type Peer } from '../testing/node-request.js';
import type { GatewayEnv } from '../types.js';
import { requireTls } from './index.js';

function app(trustedProxies: string[] = []) {
  const policy = parsePolicy({
    version: 1,
    server: {
      https: { port: 8443, certFile: 'c', keyFile: 'k' },
      trustedProxies,
      upstream: { url: 'http://127.0.0.1:1' },
    },
    tenants: { t: { hosts: ['t.localhost'], zones: [{ name: 'all', path: '/', auth: 'none' }] } },
  });
  const ctx: PipelineContext = { policy, deps: memoryDeps() };
  const a = new Hono<GatewayEnv>();
  a.onError(errorHandler(ctx));
  a.use(requestId(ctx)); // adds the security headers to the gateway's own responses
  a.use(requireTls(ctx));
  a.all('*', (c) => c.json({ secure: rq(c).secure }));
  return { a, ctx };
}

/** A plain-HTTP connection from `peer`. */
const plainFrom = (peer: string): Peer => ({ remoteAddress: peer, encrypted: false });

describe('requireTls', () => {
  it('redirects a plain GET with 308 to the HTTPS port, path and query kept', async () => {
    const { a } = app();
    const res = await nodeRequest(a, 'http://t.localhost:8080/r/x?id=1');
    expect(res.status).toBe(308);
    expect(res.headers.get('location')).toBe('https://t.localhost:8443/r/x?id=1');
  });

  it('uses the port the server actually bound', async () => {
    const { a, ctx } = app();
    ctx.deps.httpsPort = 443;
    const res = await nodeRequest(a, 'http://t.localhost/x', { method: 'HEAD' });
    expect(res.headers.get('location')).toBe('https://t.localhost/x');
  });

  it('refuses a plain POST with 403 tls_required', async () => {
    const res = await nodeRequest(app().a, 'http://t.localhost/api', { method: 'POST', body: 'secret' });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('tls_required');
  });

  it('sends HSTS of a year and the page headers over HTTPS', async () => {
    const res = await nodeRequest(app().a, 'https://t.localhost/x');
    expect(res.headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  });

  it('believes X-Forwarded-Proto: https only from a trusted proxy', async () => {
    const { a } = app(['10.0.0.0/8']);
    const headers = { 'x-forwarded-proto': 'https' };
    const trusted = await nodeRequest(a, 'http://t.localhost/x', { headers }, plainFrom('10.1.2.3'));
    expect(await trusted.json()).toEqual({ secure: true });
    const untrusted = await nodeRequest(a, 'http://t.localhost/x', { headers }, plainFrom('192.0.2.1'));
    expect(untrusted.status).toBe(308);
  });
});
