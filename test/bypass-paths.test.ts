/**
 * Bypass attempts on paths, hosts and framing, end to end over real TLS: a tenant whose catch-all
 * `/` zone is public, so any path the gateway reads differently from a loose upstream (Tomcat's
 * `;` parameters, IIS's case and trailing dots) would land there and reach the upstream
 * unauthenticated. Each attempt must be refused before the upstream sees anything.
 */
import tls from 'node:tls';
import type { PolicyInput } from '@resultgate/gateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type EchoRecord,
  type EchoUpstream,
  httpRequest,
  httpsRequest,
  type RawRequest,
  startEchoUpstream,
  startTestGateway,
  type TestGateway,
} from './helpers/index.js';

const tenants: PolicyInput['tenants'] = {
  'school-a': {
    hosts: ['school-a.localhost'],
    zones: [
      { name: 'admin', path: '/admin', auth: 'basic', roles: ['admin'] },
      { name: 'reports', path: '/Reports', auth: 'basic', roles: ['admin'] },
      { name: 'recipient', path: '/r', auth: 'none' },
      { name: 'public', path: '/', auth: 'none' },
    ],
  },
  'school-b': { hosts: ['school-b.localhost'], zones: [{ name: 'public', path: '/', auth: 'none' }] },
};

let echo: EchoUpstream;
let gw: TestGateway;

beforeAll(async () => {
  echo = await startEchoUpstream();
  gw = await startTestGateway({ upstream: echo.url, tenants });
});

afterAll(async () => {
  await gw?.close();
  await echo?.close();
});

async function through(req: Partial<RawRequest>) {
  const seen = echo.requests.length;
  const res = await httpsRequest({ port: gw.httpsPort, ...req });
  const upstream: EchoRecord | undefined = echo.requests[seen];
  return { res, upstream, code: res.status >= 400 ? res.json().error?.code : undefined };
}

/** Sends bytes as they are over TLS (for framing Node's client refuses to write) and reads the answer. */
function rawTls(text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const socket = tls.connect(
      { host: '127.0.0.1', port: gw.httpsPort, servername: 'school-a.localhost', rejectUnauthorized: false },
      () => socket.write(text.replace(/\n/g, '\r\n')),
    );
    socket.setTimeout(5_000, () => socket.destroy(new Error('raw request timed out')));
    socket.on('data', (d: Buffer) => {
      out += d.toString('latin1');
    });
    socket.on('end', () => resolve(out));
    socket.on('close', () => resolve(out));
    socket.on('error', reject);
  });
}

describe('paths a loose upstream reads as a protected zone', () => {
  it.each([
    '/admin;x',
    '/admin;/users',
    '/admin%3b',
    '/admin%3Bjsessionid=1/users',
    '/x/..;/admin',
    '/x/.;/admin',
    '/x/..;jsessionid=1/admin/users',
    '/ADMIN',
    '/Admin/users',
    '/admin.',
    '/admin%2e/users',
    '/admin%20',
    '/admin.%20./users',
    '/admin::$DATA',
    '/admin::$DATA/users',
    '/admin:$i30:$INDEX_ALLOCATION/users',
    '/ADMIN~1',
    '/admin~1/users',
    '/reports/x',
    '/REPORTS',
    '/.gateway;x/logs',
  ])('%s never reaches the upstream through the public zone', async (path) => {
    const { res, upstream, code } = await through({ path });
    expect(upstream).toBeUndefined();
    expect(res.status).toBe(404);
    expect(code).toBe('no_route');
  });

  it.each([
    ['/r/AbC;v=1', '/r/AbC;v=1'],
    ['/CamelCase/Page', '/CamelCase/Page'],
    ['/files/report.v2.', '/files/report.v2.'],
    ['/administrator', '/administrator'],
    ['/r/%41dmin', '/r/Admin'],
    ['/r/sel:2027-001', '/r/sel:2027-001'],
  ])('%s stays in its own zone and is forwarded as %s', async (path, forwarded) => {
    const { res, upstream } = await through({ path });
    expect(res.status).toBe(200);
    expect(upstream?.url).toBe(forwarded);
  });

  it('has no login page on a tenant without form zones', async () => {
    for (const method of ['GET', 'POST']) {
      const { res, code } = await through({ path: '/.gateway/login', method, body: 'username=a&password=b' });
      expect([res.status, code]).toEqual([404, 'no_route']);
    }
  });

  it('still protects the zones themselves', async () => {
    for (const path of ['/admin', '/admin/users', '/Reports/x']) {
      const { res, upstream, code } = await through({ path });
      expect([res.status, code]).toEqual([401, 'unauthorized']);
      expect(upstream).toBeUndefined();
    }
  });
});

describe('hosts and request targets', () => {
  it('answers 400 to two Host lines, whichever comes first', async () => {
    for (const hosts of [
      ['school-b.localhost', 'school-a.localhost'],
      ['school-a.localhost', 'school-b.localhost'],
    ]) {
      const seen = echo.requests.length;
      const out = await rawTls(
        `GET /admin HTTP/1.1\nHost: ${hosts[0]}\nHost: ${hosts[1]}\nConnection: close\n\n`,
      );
      expect(out.split('\r\n')[0]).toBe('HTTP/1.1 400 Bad Request');
      expect(out).toContain('"code":"bad_request"');
      expect(echo.requests.length).toBe(seen);
    }
  });

  it('refuses an absolute-form target naming another tenant', async () => {
    const seen = echo.requests.length;
    const out = await rawTls(
      'GET https://school-b.localhost/admin HTTP/1.1\nHost: school-a.localhost\nConnection: close\n\n',
    );
    expect(out.split('\r\n')[0]).toBe('HTTP/1.1 400 Bad Request');
    expect(echo.requests.length).toBe(seen);
  });

  it('matches a Host with upper case, a trailing dot and a port to its tenant', async () => {
    const { res, code } = await through({ host: 'SCHOOL-A.Localhost.:443', path: '/admin' });
    expect([res.status, code]).toEqual([401, 'unauthorized']);
  });

  it('redirects plain HTTP only to a tenant host, never to one the client names', async () => {
    const evil = await httpRequest({ port: gw.httpPort!, host: 'evil.example', path: '/admin' });
    expect([evil.status, evil.headers.location]).toEqual([404, undefined]);
    expect(evil.json().error.code).toBe('unknown_host');
    const ok = await httpRequest({
      port: gw.httpPort!,
      host: 'School-A.localhost',
      path: '//evil.example/x',
    });
    expect(ok.status).toBe(308);
    expect(ok.headers.location).toBe(`https://School-A.localhost:${gw.httpsPort}//evil.example/x`);
  });

  it('ignores X-Forwarded-Host from an untrusted peer', async () => {
    const { upstream } = await through({
      path: '/r/x',
      headers: { 'x-forwarded-host': 'school-b.localhost' },
    });
    expect(upstream?.headers['x-forwarded-host']).toBe('school-a.localhost');
    expect(upstream?.headers['x-gateway-tenant']).toBe('school-a');
  });
});

describe('request framing', () => {
  it.each([
    ['Content-Length with Transfer-Encoding', 'Content-Length: 4\nTransfer-Encoding: chunked\n\n0\n\n'],
    ['two different Content-Lengths', 'Content-Length: 4\nContent-Length: 5\n\nabcde'],
    ['an unknown Transfer-Encoding', 'Transfer-Encoding: xchunked\n\n0\n\n'],
  ])('answers 400 to %s and forwards nothing', async (_name, tail) => {
    const seen = echo.requests.length;
    const out = await rawTls(`POST /r/x HTTP/1.1\nHost: school-a.localhost\nConnection: close\n${tail}`);
    expect(out.split('\r\n')[0]).toBe('HTTP/1.1 400 Bad Request');
    expect(echo.requests.length).toBe(seen);
  });

  it('never lets Connection strip the identity it forwards', async () => {
    const { upstream } = await through({
      path: '/r/x',
      headers: {
        connection: 'keep-alive, x-gateway-tenant, x-gateway-signature, x-forwarded-for',
        'X-GATEWAY-USER': 'admin',
        'x-Gateway-Roles': 'admin',
      },
    });
    expect(upstream?.headers['x-gateway-tenant']).toBe('school-a');
    expect(upstream?.headers['x-gateway-signature']).toMatch(/^t=\d+,v2=/);
    expect(upstream?.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(upstream?.headers['x-gateway-user']).toBe('');
    expect(upstream?.headers['x-gateway-roles']).toBe('');
  });
});
