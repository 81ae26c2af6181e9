/**
 * End-to-end: the proxy core (docs/architecture.md §4 steps 1-6 and 13) over real TLS, with an echo upstream
 * that reports exactly what reached it — including every bypass attempt of issue 2.
 */
import { verifyIdentity } from '@resultgate/gateway/identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type EchoUpstream,
  httpRequest,
  httpsRequest,
  proxyTenants,
  startEchoUpstream,
  startTestGateway,
  type TestGateway,
} from './helpers/index.js';

const tenants = proxyTenants();

let echo: EchoUpstream;
let gw: TestGateway;

beforeAll(async () => {
  echo = await startEchoUpstream();
  gw = await startTestGateway({ upstream: echo.url, tenants, upstreamOptions: { maxBodySize: '1KiB' } });
});
afterAll(async () => {
  await gw?.close();
  await echo?.close();
});

/** Sends a request and returns it with the echo upstream's record of it (undefined if not forwarded). */
async function through(req: Parameters<typeof httpsRequest>[0] extends infer R ? Omit<R, 'port'> : never) {
  const before = echo.requests.length;
  const res = await httpsRequest({ port: gw.httpsPort, ...req });
  return { res, upstream: echo.requests.slice(before)[0] };
}

describe('forwarding', () => {
  it('forwards the normalised path with the original query and a signed identity', async () => {
    const { res, upstream } = await through({ path: '/api/v1/./x/../results?status=published&q=%2F..' });
    expect(res.status).toBe(200);
    expect(upstream?.url).toBe('/api/v1/results?status=published&q=%2F..');
    const request = { method: 'GET', target: '/api/v1/results?status=published&q=%2F..' };
    const id = verifyIdentity(upstream!.headers, gw.deps.identitySecret, { request });
    expect(id).toEqual({ tenant: 'school-a', user: '', roles: [], requestId: res.headers['x-request-id'] });
    expect(upstream!.headers['x-forwarded-proto']).toBe('https');
    expect(upstream!.headers['x-forwarded-host']).toBe('school-a.localhost');
    expect(upstream!.headers['x-forwarded-for']).toBe('127.0.0.1');
  });

  it('streams a request body to the upstream', async () => {
    const { res, upstream } = await through({ method: 'POST', path: '/api/upload', body: 'x'.repeat(1000) });
    expect(res.status).toBe(200);
    expect(upstream?.bodyBytes).toBe(1000);
  });

  it('re-encodes a decoded path for the upstream', async () => {
    const { upstream } = await through({ path: '/r/%E5%B1%B1%20a' });
    expect(upstream?.url).toBe('/r/%E5%B1%B1%20a');
  });
});

describe('bypass attempts never reach the admin zone', () => {
  for (const path of [
    '/api/../admin',
    '/%61dmin',
    '//admin',
    '/api/%2e%2e/admin',
    '/r/./../admin/x',
    '/admin/',
  ]) {
    it(`${path} is the admin zone and denied`, async () => {
      const { res, upstream } = await through({ path });
      expect(res.status).toBe(403);
      expect(res.json().error.code).toBe('ip_not_allowed');
      expect(upstream).toBeUndefined();
    });
  }

  for (const path of [
    '/admin%2Fx',
    '/admin%2fx',
    '/api%5C..%5Cadmin',
    '/api/a%00b',
    '/api/%ff',
    '/api/%zz',
    '/api\\x',
  ]) {
    it(`${path} is refused with 400 bad_request`, async () => {
      const { res, upstream } = await through({ path });
      expect(res.status).toBe(400);
      expect(res.json().error.code).toBe('bad_request');
      expect(upstream).toBeUndefined();
    });
  }

  for (const path of ['/adminx', '/apix/y', '/', '/.gateway/unknown']) {
    it(`${path} matches no zone: 404 no_route`, async () => {
      const { res, upstream } = await through({ path });
      expect(res.status).toBe(404);
      expect(res.json().error.code).toBe('no_route');
      expect(upstream).toBeUndefined();
    });
  }
});

describe('header hygiene', () => {
  it('strips spoofed X-Gateway-* and forwarding headers and sets its own', async () => {
    const { upstream } = await through({
      path: '/api/me',
      headers: {
        'x-gateway-user': 'admin',
        'x-gateway-roles': 'admin',
        'x-gateway-signature': 't=1,v2=forged',
        'x-forwarded-for': '203.0.113.9',
        'x-forwarded-proto': 'http',
        forwarded: 'for=203.0.113.9',
        'x-request-id': 'spoofed-id',
      },
    });
    expect(upstream!.headers['x-gateway-user']).toBe('');
    expect(upstream!.headers['x-gateway-roles']).toBe('');
    expect(upstream!.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(upstream!.headers.forwarded).toBeUndefined();
    expect(upstream!.headers['x-request-id']).not.toBe('spoofed-id');
    const request = { method: upstream!.method, target: upstream!.url };
    expect(verifyIdentity(upstream!.headers, gw.deps.identitySecret, { request })).not.toBeNull();
  });

  it('strips hop-by-hop headers and those named in Connection: close, X-Secret', async () => {
    const { upstream } = await through({
      path: '/api/hop',
      headers: {
        connection: 'close, X-Secret',
        'x-secret': 'hunter2',
        'keep-alive': 'timeout=5',
        te: 'trailers',
        upgrade: 'h2c',
        'proxy-authorization': 'Basic eDp5',
        'x-kept': 'yes',
      },
    });
    for (const h of ['x-secret', 'keep-alive', 'te', 'upgrade', 'proxy-authorization']) {
      expect(upstream!.headers[h], h).toBeUndefined();
    }
    expect(upstream!.headers['x-kept']).toBe('yes');
  });

  it("drops the gateway's own cookies and keeps the others", async () => {
    const { upstream } = await through({
      path: '/api/c',
      headers: { cookie: 'a=1; __Host-rg-session=secret; b=2' },
    });
    expect(upstream!.headers.cookie).toBe('a=1; b=2');
  });

  it("strips the upstream's hop-by-hop response headers and adds HSTS of a year", async () => {
    const { res } = await through({ path: '/api/h' });
    expect(res.headers['x-upstream-secret']).toBeUndefined();
    const hsts = String(res.headers['strict-transport-security']);
    expect(Number(/max-age=(\d+)/.exec(hsts)?.[1])).toBeGreaterThanOrEqual(31_536_000);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });
});

describe('hosts', () => {
  it('matches the Host case-insensitively with the port stripped', async () => {
    const { res, upstream } = await through({ host: 'School-A.LOCALHOST:8443', path: '/api/x' });
    expect(res.status).toBe(200);
    expect(upstream?.headers['x-gateway-tenant']).toBe('school-a');
  });

  it('answers 404 unknown_host for a host no tenant claims', async () => {
    const { res, upstream } = await through({ host: 'evil.localhost', path: '/api/x' });
    expect(res.status).toBe(404);
    expect(res.json().error.code).toBe('unknown_host');
    expect(upstream).toBeUndefined();
  });

  it('answers 403 tenant_suspended for a suspended tenant', async () => {
    const { res } = await through({ host: 'acme-hr.localhost', path: '/x' });
    expect(res.status).toBe(403);
    expect(res.json().error.code).toBe('tenant_suspended');
  });
});

describe('TLS only', () => {
  it('redirects plain GET and HEAD with 308 to the same host on the HTTPS port', async () => {
    for (const method of ['GET', 'HEAD']) {
      const res = await httpRequest({ port: gw.httpPort!, method, path: '/r/page?id=1' });
      expect(res.status).toBe(308);
      expect(res.headers.location).toBe(`https://school-a.localhost:${gw.httpsPort}/r/page?id=1`);
      expect(res.headers['strict-transport-security']).toBeUndefined();
    }
  });

  it('refuses other plain methods with 403 tls_required and never forwards them', async () => {
    const before = echo.requests.length;
    const res = await httpRequest({ port: gw.httpPort!, method: 'POST', path: '/api/results', body: '{}' });
    expect(res.status).toBe(403);
    expect(res.json().error.code).toBe('tls_required');
    expect(echo.requests.length).toBe(before);
  });

  it('ignores X-Forwarded-Proto: https from an untrusted peer', async () => {
    const res = await httpRequest({
      port: gw.httpPort!,
      path: '/api/x',
      headers: { 'x-forwarded-proto': 'https' },
    });
    expect(res.status).toBe(308);
  });
});

describe('errors', () => {
  it('answers JSON with code, message and request id, and X-Request-Id', async () => {
    const { res } = await through({ path: '/nowhere' });
    const body = res.json();
    expect(body).toEqual({
      error: { code: 'no_route', message: 'Not found.', requestId: res.headers['x-request-id'] },
    });
  });

  it('answers browsers with a small page in their language', async () => {
    const ja = await httpsRequest({ port: gw.httpsPort, path: '/nowhere', headers: { accept: 'text/html' } });
    expect(ja.headers['content-type']).toContain('text/html');
    expect(ja.body).toContain('ページが見つかりません');
    const en = await httpsRequest({
      port: gw.httpsPort,
      path: '/nowhere',
      headers: { accept: 'text/html', 'accept-language': 'en-US,en;q=0.9' },
    });
    expect(en.body).toContain('<html lang="en">');
    expect(en.headers['content-security-policy']).toContain("default-src 'none'");
  });

  it('answers 413 payload_too_large by Content-Length and while streaming', async () => {
    const big = 'x'.repeat(4096);
    const byLength = await through({ method: 'POST', path: '/api/up', body: big });
    expect(byLength.res.status).toBe(413);
    expect(byLength.upstream).toBeUndefined();
    const chunked = await through({
      method: 'POST',
      path: '/api/up',
      headers: { 'transfer-encoding': 'chunked' },
      body: big,
    });
    expect(chunked.res.status).toBe(413);
    expect(chunked.res.json().error.code).toBe('payload_too_large');
  });
});

describe('operations', () => {
  it('serves health and metrics on the admin port', async () => {
    const health = await httpRequest({ port: gw.adminPort!, host: '127.0.0.1', path: '/healthz' });
    expect(health.json()).toEqual({ status: 'ok' });
    const metrics = await httpRequest({ port: gw.adminPort!, host: '127.0.0.1', path: '/metrics' });
    expect(metrics.body).toMatch(/resultgate_requests_total\{[^}]*code="2xx"/);
  });

  it('keeps serving the old policy when the new one is invalid', async () => {
    await gw.writePolicy({ ...gw.policyInput, tenants: { 'school-a': { hosts: [], zones: [] } } });
    await expect(gw.reload()).rejects.toThrow(/hosts/);
    const { res } = await through({ path: '/api/still' });
    expect(res.status).toBe(200);
    await gw.writePolicy(gw.policyInput);
  });
});
