/**
 * Bypass attempts through the gateway's own pages (`/.gateway/*`), end to end over real TLS from
 * real loopback source addresses: they belong to no zone, so they must not become a way around
 * a zone's IP allow-list (the login form and the logs page are admin screens), a password
 * oracle, or a way to outrun the lockout with parallel guesses.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AuditEvent, PolicyInput } from '@resultgate/gateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  basic,
  cheapHash,
  type EchoUpstream,
  httpsRequest,
  type RawRequest,
  startEchoUpstream,
  startTestGateway,
  type TestGateway,
} from './helpers/index.js';

const OFFICE = '127.0.0.2';
const RACE = '127.0.0.4';
const HR = '127.0.0.3';
const OUTSIDE = '127.0.0.5';
const PASSWORD = 'Admin-Password-1';
/** The admin zone's idle timeout; the default `sessions.idleTimeout` stays 1 h. */
const IDLE_MS = 1_500;

const tenants: PolicyInput['tenants'] = {
  'school-a': {
    hosts: ['school-a.localhost'],
    lockout: { maxFailures: 3, window: '1m', duration: '1m' },
    users: {
      admin: { passwordHash: cheapHash(PASSWORD), roles: ['admin'] },
      auditor: { passwordHash: cheapHash('Auditor-Password-1'), roles: ['admin'] },
      'hr-sync': { passwordHash: cheapHash('Sync-Password-1'), roles: ['integration'] },
    },
    zones: [
      {
        name: 'admin',
        path: '/admin',
        auth: 'form',
        roles: ['admin'],
        ipAllow: [OFFICE, RACE],
        idleTimeout: IDLE_MS / 1000,
      },
      { name: 'api', path: '/api', auth: 'basic', roles: ['integration'], ipAllow: [HR] },
      { name: 'recipient', path: '/r', auth: 'none' },
    ],
  },
  'school-b': {
    hosts: ['school-b.localhost'],
    ipAllow: [OFFICE],
    zones: [{ name: 'admin', path: '/admin', auth: 'form', roles: ['admin'] }],
  },
};

let echo: EchoUpstream;
let gw: TestGateway;
const audit: AuditEvent[] = [];

beforeAll(async () => {
  echo = await startEchoUpstream();
  gw = await startTestGateway({
    upstream: echo.url,
    tenants,
    deps: { sessionKeys: [randomBytes(32)], audit: { write: (e) => audit.push(e) } },
  });
});

afterAll(async () => {
  await gw?.close();
  await echo?.close();
});

async function call(from: string, path: string, req: Partial<RawRequest> = {}) {
  const res = await httpsRequest({ port: gw.httpsPort, path, localAddress: from, ...req });
  const json = res.headers['content-type']?.includes('json') && res.status >= 400;
  return { res, code: json ? res.json().error?.code : undefined };
}

/** Fetches the login form from `from` and posts the credentials with its CSRF token. */
async function login(from: string, password = PASSWORD) {
  const form = await call(from, '/.gateway/login', { headers: { accept: 'text/html' } });
  const csrf = /name="csrf" value="([^"]+)"/.exec(form.res.body)?.[1] ?? '';
  const cookie = (form.res.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]).join('; ');
  return call(from, '/.gateway/login', {
    method: 'POST',
    headers: {
      origin: 'https://school-a.localhost',
      cookie,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ csrf, username: 'admin', password }).toString(),
  });
}

describe('the login page is an admin screen', () => {
  it('is refused to a network every form zone refuses, before any password is tried', async () => {
    const page = await call(OUTSIDE, '/.gateway/login');
    expect([page.res.status, page.code]).toEqual([403, 'ip_not_allowed']);
    const before = audit.length;
    const post = await login(OUTSIDE);
    expect([post.res.status, post.code]).toEqual([403, 'ip_not_allowed']);
    expect(post.res.headers['set-cookie']).toBeUndefined();
    expect(audit.slice(before).filter((e) => e.type === 'login' || e.type === 'auth_failure')).toEqual([]);
  });

  it('still logs in from the office network', async () => {
    const res = await login(OFFICE);
    expect(res.res.status).toBe(303);
    expect(res.res.headers.location).toBe('/admin');
    expect(String(res.res.headers['set-cookie'])).toContain('__Host-rg-session=');
  });
});

describe('the logs page is an admin screen', () => {
  it("is refused outside the admin zone's networks even with the right password", async () => {
    const res = await call(OUTSIDE, '/.gateway/logs', {
      headers: { authorization: basic('admin', PASSWORD) },
    });
    expect([res.res.status, res.code]).toEqual([403, 'ip_not_allowed']);
    const ok = await call(OFFICE, '/.gateway/logs', { headers: { authorization: basic('admin', PASSWORD) } });
    expect(ok.res.status).toBe(200);
  });

  it("does not confirm another user's password (hr-sync is only allowed from the HR system)", async () => {
    const right = await call(OFFICE, '/.gateway/logs', {
      headers: { authorization: basic('hr-sync', 'Sync-Password-1') },
    });
    const wrong = await call(OFFICE, '/.gateway/logs', {
      headers: { authorization: basic('hr-sync', 'nope') },
    });
    expect([right.res.status, right.code]).toEqual([401, 'unauthorized']);
    expect([wrong.res.status, wrong.code]).toEqual([401, 'unauthorized']);
  });

  it('verifies at most maxFailures of many parallel guesses, then answers 429', async () => {
    const before = audit.length;
    const guesses = Array.from({ length: 12 }, (_, i) =>
      call(RACE, '/.gateway/logs', { headers: { authorization: basic('auditor', `guess-${i}`) } }),
    );
    const answers = await Promise.all(guesses);
    const verified = audit
      .slice(before)
      .filter((e) => e.type === 'auth_failure' && (e as { reason?: string }).reason === 'bad_password');
    expect(verified.length).toBe(3);
    // The guess that reaches maxFailures is answered 429 itself (#15), so 2 × 401 and 10 × 429.
    expect(answers.filter((a) => a.res.status === 401).length).toBe(2);
    expect(answers.filter((a) => a.res.status === 429).length).toBe(10);
    // Locked: the right password is refused too.
    const right = await call(RACE, '/.gateway/logs', {
      headers: { authorization: basic('auditor', 'Auditor-Password-1') },
    });
    expect([right.res.status, right.code]).toEqual([429, 'locked_out']);
  });
});

describe('a session outside its zones', () => {
  const sessionOf = (res: { res: { headers: Record<string, unknown> } }) =>
    String(res.res.headers['set-cookie']).match(/__Host-rg-session=[^;]+/)?.[0] ?? '';

  it("opens the logs page only within the admin zone's idle timeout", async () => {
    const cookie = sessionOf(await login(OFFICE));
    expect(cookie).not.toBe('');
    const fresh = await call(OFFICE, '/.gateway/logs', { headers: { cookie } });
    expect(fresh.res.status).toBe(200);
    await sleep(IDLE_MS + 200);
    const idle = await call(OFFICE, '/.gateway/logs', { headers: { cookie } });
    expect([idle.res.status, idle.code]).toEqual([401, 'unauthorized']);
    const zone = await call(OFFICE, '/admin', { headers: { cookie, accept: 'application/json' } });
    expect([zone.res.status, zone.code]).toEqual([401, 'session_expired']);
  });

  it('opens nothing in a basic zone', async () => {
    const cookie = sessionOf(await login(OFFICE));
    const res = await call(HR, '/api/x', { headers: { cookie } });
    expect([res.res.status, res.code]).toEqual([401, 'unauthorized']);
  });
});

describe('other reserved-path edges', () => {
  it('escapes a hostile next on the login page and never redirects off the host', async () => {
    const next = encodeURIComponent('/"><script>alert(1)</script>');
    const res = await call(OFFICE, `/.gateway/login?next=${next}`, { headers: { accept: 'text/html' } });
    expect(res.res.status).toBe(200);
    expect(res.res.body).not.toContain('<script>alert(1)');
  });

  it("keeps every reserved page behind the tenant's own allow-list", async () => {
    for (const path of ['/.gateway/notices', '/.gateway/login', '/.gateway/logout', '/.gateway/logs']) {
      const res = await call(OUTSIDE, path, { host: 'school-b.localhost' });
      expect([path, res.res.status, res.code]).toEqual([path, 403, 'ip_not_allowed']);
    }
  });

  it("never opens school-b's logs with school-a's admin password", async () => {
    const res = await call(OFFICE, '/.gateway/logs', {
      host: 'school-b.localhost',
      headers: { authorization: basic('admin', PASSWORD) },
    });
    expect([res.res.status, res.code]).toEqual([401, 'unauthorized']);
  });

  it('answers 404 to an unknown reserved path', async () => {
    const res = await call(OFFICE, '/.gateway/nope');
    expect([res.res.status, res.code]).toEqual([404, 'no_route']);
  });
});
