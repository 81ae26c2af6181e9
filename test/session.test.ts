/**
 * Sessions end to end: real TLS sockets through the real gateway to an echo upstream, on the real
 * clock with short durations — the login form and its CSRF defence, the session cookie, sliding
 * renewal, the absolute lifetime, logout with replay, tenant binding and the `next` redirect.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AuditEvent, PolicyInput } from '@resultgate/gateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cheapHash,
  type EchoRecord,
  type EchoUpstream,
  httpsRequest,
  startEchoUpstream,
  startTestGateway,
  type TestGateway,
} from './helpers/index.js';
import { formBrowser } from './helpers/serve.js';

const PASSWORD = 'Admin-Password-1';
const IDLE_MS = 2_000;
const MAX_AGE_MS = 5_000;
const tenant = (host: string) => ({
  name: host === 'school-a.localhost' ? '市立A高校' : 'B Corp',
  hosts: [host],
  users: { admin: { passwordHash: cheapHash(PASSWORD), roles: ['admin'] } },
  zones: [
    { name: 'admin', path: '/admin', auth: 'form' as const, roles: ['admin'], idleTimeout: IDLE_MS / 1000 },
    { name: 'recipient', path: '/r', auth: 'none' as const },
  ],
});
const tenants: PolicyInput['tenants'] = {
  'school-a': tenant('school-a.localhost'),
  'school-b': tenant('school-b.localhost'),
};

let echo: EchoUpstream;
let gw: TestGateway;
const audit: AuditEvent[] = [];

beforeAll(async () => {
  echo = await startEchoUpstream({
    // A page of the app that sets its own cookie and caching: the gateway's must still win.
    handle: (req, res) => {
      if (req.url !== '/admin/app-cookie') return false;
      res.writeHead(200, { 'set-cookie': 'app=1; Path=/; Secure', 'cache-control': 'public, max-age=600' });
      res.end('ok');
      return true;
    },
  });
  gw = await startTestGateway({
    upstream: echo.url,
    tenants,
    extra: { sessions: { idleTimeout: '1h', maxAge: MAX_AGE_MS / 1000 } },
    deps: { sessionKeys: [randomBytes(32)], audit: { write: (e) => audit.push(e) } },
  });
});

afterAll(async () => {
  await gw?.close();
  await echo?.close();
});

/**
 * One browser on one tenant host over real TLS (the helpers' cookie jar and form posts), whose
 * token fetch asserts the page answered 200 and whose login is the admin's, optionally with `next`.
 */
function client(host = 'school-a.localhost') {
  const b = formBrowser(() => gw.httpsPort, host);
  const self = {
    ...b,
    async token(path = '/.gateway/login') {
      const res = await b.get(path);
      expect(res.status).toBe(200);
      return /name="csrf" value="([^"]+)"/.exec(res.body)![1]!;
    },
    async login(next?: string, password = PASSWORD) {
      const csrf = await self.token();
      return b.post('/.gateway/login', { csrf, username: 'admin', password, ...(next ? { next } : {}) });
    },
    session: () => b.jar.get('__Host-rg-session'),
  };
  return self;
}

const api = { accept: 'application/json' };

describe('sessions over TLS', () => {
  it('sends a browser to the login page and, after logging in, to the page it asked for', async () => {
    const b = client();
    const first = await b.get('/admin/results?page=2');
    expect(first.status).toBe(303);
    expect(first.headers.location).toBe('/.gateway/login?next=%2Fadmin%2Fresults%3Fpage%3D2');
    const page = await b.get(first.headers.location!);
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('市立A高校');
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)![1]!;
    const res = await b.post('/.gateway/login', {
      csrf,
      username: 'admin',
      password: PASSWORD,
      next: '/admin/results?page=2',
    });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/admin/results?page=2');
    const cookie = res.headers['set-cookie']!.find((l) => l.startsWith('__Host-rg-session='));
    expect(cookie).toMatch(/; Path=\/; HttpOnly; Secure; SameSite=Lax$/);

    const landed = await b.get('/admin/results?page=2');
    expect(landed.status).toBe(200);
    expect(landed.headers['cache-control']).toBe('no-store');
    const seen = landed.json<EchoRecord>();
    expect(seen.url).toBe('/admin/results?page=2');
    expect(seen.headers['x-gateway-user']).toBe('admin');
    expect(seen.headers.cookie ?? '').not.toContain('__Host-rg-');
    expect(audit.some((e) => e.type === 'login' && e.tenant === 'school-a' && e.user === 'admin')).toBe(true);
  });

  it('slides with activity, ends after the idle timeout, and only the renewed cookie is live', async () => {
    const b = client();
    expect((await b.login()).status).toBe(303);
    const original = b.session()!;
    const start = Date.now();
    // Active every 400 ms for longer than the 2 s idle timeout.
    for (let i = 0; i < 20 && Date.now() - start < IDLE_MS + 600; i++) {
      await sleep(400);
      const res = await b.get('/admin', api);
      expect(res.status).toBe(200);
    }
    expect(b.session()).not.toBe(original);
    const stale = await httpsRequest({
      port: gw.httpsPort,
      host: 'school-a.localhost',
      path: '/admin',
      headers: { ...api, cookie: `__Host-rg-session=${original}` },
    });
    expect(stale.status).toBe(401);
    expect(stale.json().error.code).toBe('session_expired');

    await sleep(IDLE_MS + 200);
    const idle = await b.get('/admin/x');
    expect(idle.status).toBe(303);
    expect(idle.headers.location).toBe('/.gateway/login?next=%2Fadmin%2Fx&reason=expired');
    expect(audit.some((e) => e.type === 'session_expired' && e.reason === 'idle')).toBe(true);
  });

  it('ends a session at sessions.maxAge however active it is', async () => {
    const b = client();
    await b.login();
    const start = Date.now();
    let lastOk = 0;
    let status = 200;
    for (let i = 0; i < 40 && status === 200; i++) {
      await sleep(400);
      status = (await b.get('/admin', api)).status;
      if (status === 200) lastOk = Date.now() - start;
    }
    expect(status).toBe(401);
    expect(lastOk).toBeGreaterThan(MAX_AGE_MS - 1_500);
    expect(lastOk).toBeLessThan(MAX_AGE_MS + 300);
    expect(audit.some((e) => e.type === 'session_expired' && e.reason === 'max_age')).toBe(true);
  });

  it('logs out on the server: the old cookie replayed opens nothing', async () => {
    const b = client();
    await b.login();
    const stolen = b.session()!;
    const csrf = await b.token('/.gateway/logout');
    const out = await b.post('/.gateway/logout', { csrf });
    expect(out.status).toBe(303);
    expect(out.headers['set-cookie']!.join()).toMatch(/__Host-rg-session=; Max-Age=0/);
    expect(b.session()).toBeUndefined();
    const replay = await b.get('/admin', { ...api, cookie: `__Host-rg-session=${stolen}` });
    expect(replay.status).toBe(401);
    expect(audit.some((e) => e.type === 'logout' && e.user === 'admin')).toBe(true);
  });

  it('keeps the renewed session cookie and no-store when the app sets its own cookie and caching', async () => {
    const b = client();
    await b.login();
    await sleep(100); // past 2 % of the idle timeout: this request renews the cookie
    const res = await b.get('/admin/app-cookie');
    expect(res.status).toBe(200);
    const cookies = res.headers['set-cookie'] ?? [];
    expect(cookies.some((l) => l.startsWith('app=1'))).toBe(true);
    expect(cookies.some((l) => l.startsWith('__Host-rg-session='))).toBe(true);
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it("opens nothing of tenant B with tenant A's cookie", async () => {
    const a = client();
    await a.login();
    expect((await a.get('/admin', api)).status).toBe(200);
    const res = await httpsRequest({
      port: gw.httpsPort,
      host: 'school-b.localhost',
      path: '/admin',
      headers: { ...api, cookie: `__Host-rg-session=${a.session()}` },
    });
    expect(res.status).toBe(401);
    expect(echo.requests.at(-1)?.headers.host).not.toBe('school-b.localhost');
  });

  it('refuses a login post without the CSRF token or from another origin', async () => {
    const b = client();
    const csrf = await b.token();
    const form = { username: 'admin', password: PASSWORD };
    expect((await b.post('/.gateway/login', form)).status).toBe(403);
    expect(
      (await b.post('/.gateway/login', { ...form, csrf }, { origin: 'https://school-b.localhost' })).status,
    ).toBe(403);
    expect(
      (await b.post('/.gateway/login', { ...form, csrf }, { origin: 'https://evil.example' })).status,
    ).toBe(403);
    expect(b.session()).toBeUndefined();
    expect((await b.post('/.gateway/login', { ...form, csrf })).status).toBe(303);
  });

  it('refuses a logout post without the CSRF token or from another origin, keeping the session', async () => {
    const b = client();
    await b.login();
    const csrf = await b.token('/.gateway/logout');
    expect((await b.post('/.gateway/logout', {})).status).toBe(403);
    expect((await b.post('/.gateway/logout', { csrf }, { origin: 'https://evil.example' })).status).toBe(403);
    expect((await b.get('/admin', api)).status).toBe(200);
    expect((await b.post('/.gateway/logout', { csrf })).status).toBe(303);
    expect((await b.get('/admin', api)).status).toBe(401);
  });

  it.each([
    '//evil.com',
    '/\\evil.com',
    'https://evil.com',
    '/%2F%2Fevil.com',
    '///evil.com',
    '\\\\evil.com',
    '/\t/evil.com',
    '/%5Cevil.com',
    'HTTPS://evil.com',
    'javascript:alert(1)',
    ' //evil.com',
  ])('does not redirect to %s after login', async (next) => {
    const res = await client().login(next);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/admin');
  });
});
