/**
 * Access control end to end: real TLS sockets from real loopback source addresses (127.0.0.x)
 * through the real gateway to an echo upstream — allow-lists, trusted proxies, authBypass, Basic
 * auth, lockout, roles, tenant isolation and the signed identity the upstream receives.
 */
import { randomBytes } from 'node:crypto';
import type { AccessRecord, AuditEvent, PolicyInput } from '@resultgate/gateway';
import { verifyIdentity } from '@resultgate/gateway/identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  basic,
  cheapHash,
  type EchoRecord,
  type EchoUpstream,
  httpsRequest,
  type RawRequest,
  startEchoUpstream,
  startTestGateway,
  type TestGateway,
} from './helpers/index.js';

const PROXY = '127.0.0.10';
const tenants: PolicyInput['tenants'] = {
  'school-a': {
    name: 'School A',
    hosts: ['school-a.localhost'],
    ipAllow: ['127.0.0.0/28', '198.51.100.0/24'],
    lockout: { maxFailures: 3, addressMaxFailures: 3, window: '1m', duration: '30s' },
    users: {
      'hr-sync': { passwordHash: cheapHash('Sync-Password-1'), roles: ['integration'] },
      先生: { passwordHash: cheapHash('パスワード-Ａ1'), roles: ['integration'] },
      admin: { passwordHash: cheapHash('Admin-Password-1'), roles: ['admin'] },
      locky: { passwordHash: cheapHash('Locky-Password-1'), roles: ['integration'] },
    },
    zones: [
      { name: 'api', path: '/api', auth: 'basic', roles: ['integration'] },
      { name: 'admin', path: '/admin', auth: 'basic', roles: ['admin'], authBypass: ['127.0.0.3'] },
      { name: 'office', path: '/office', auth: 'none', ipAllow: ['127.0.0.2', '198.51.100.7'] },
      { name: 'recipient', path: '/r', auth: 'none' },
    ],
  },
  'school-b': {
    hosts: ['school-b.localhost'],
    users: { 'b-sync': { passwordHash: cheapHash('B-Sync-Password-1'), roles: ['integration'] } },
    zones: [{ name: 'api', path: '/api', auth: 'basic', roles: ['integration'] }],
  },
};

let echo: EchoUpstream;
let gw: TestGateway;
const access: AccessRecord[] = [];
const audit: AuditEvent[] = [];

beforeAll(async () => {
  echo = await startEchoUpstream();
  gw = await startTestGateway({
    upstream: echo.url,
    tenants,
    server: { trustedProxies: [PROXY] },
    deps: {
      accessLog: { write: (r) => access.push(r), healthy: true },
      audit: { write: (e) => audit.push(e) },
    },
  });
});

afterAll(async () => {
  await gw?.close();
  await echo?.close();
});

/** The identity the echo upstream received, checked against the method and target it received. */
function identityAt(upstream: EchoRecord, secret: Uint8Array | string = gw.deps.identitySecret) {
  return verifyIdentity(upstream.headers, secret, {
    request: { method: upstream.method, target: upstream.url },
  });
}

/** One HTTPS request to school-a from `from`; returns the response and what the upstream saw. */
async function call(from: string, path: string, req: Partial<RawRequest> = {}) {
  const seen = echo.requests.length;
  const res = await httpsRequest({ port: gw.httpsPort, path, localAddress: from, ...req });
  const upstream: EchoRecord | undefined = echo.requests[seen];
  // The access line may be written just after the response: wait for it (bounded).
  const reqId = res.headers['x-request-id'];
  let logged: AccessRecord | undefined;
  for (let i = 0; i < 100 && !logged; i++) {
    logged = access.find((r) => r.reqId === reqId);
    if (!logged) await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return { res, upstream, logged, code: res.status >= 400 ? res.json().error?.code : undefined };
}

describe('IP allow-lists from real source addresses', () => {
  it('allows 127.0.0.2 and denies 127.0.0.20 with 403 ip_not_allowed', async () => {
    const ok = await call('127.0.0.2', '/r/allowed');
    expect(ok.res.status).toBe(200);
    expect(ok.logged?.ip).toBe('127.0.0.2');
    const denied = await call('127.0.0.20', '/r/denied');
    expect([denied.res.status, denied.code]).toEqual([403, 'ip_not_allowed']);
    expect(denied.upstream).toBeUndefined();
    expect(denied.logged).toMatchObject({ ip: '127.0.0.20', decision: 'ip_not_allowed' });
  });

  it('applies the zone list on top of the tenant list', async () => {
    expect((await call('127.0.0.2', '/office/a')).res.status).toBe(200);
    expect((await call('127.0.0.4', '/office/b')).code).toBe('ip_not_allowed');
  });
});

describe('X-Forwarded-For', () => {
  it('is ignored from an untrusted peer', async () => {
    const spoof = await call('127.0.0.20', '/r/spoof', { headers: { 'x-forwarded-for': '127.0.0.2' } });
    expect(spoof.code).toBe('ip_not_allowed');
    const ignored = await call('127.0.0.4', '/office/spoof', { headers: { 'x-forwarded-for': '127.0.0.2' } });
    expect(ignored.code).toBe('ip_not_allowed');
    expect(ignored.logged?.ip).toBe('127.0.0.4');
  });

  it('is believed from a trusted proxy, choosing the rightmost untrusted hop', async () => {
    const hops = '192.0.2.1, 198.51.100.7, 127.0.0.10';
    const r = await call(PROXY, '/office/via-proxy', { headers: { 'x-forwarded-for': hops } });
    expect(r.res.status).toBe(200);
    expect(r.logged?.ip).toBe('198.51.100.7');
    expect(r.upstream?.headers['x-forwarded-for']).toMatch(/^198\.51\.100\.7\b/);
    // The client put 198.51.100.7 on the left itself: the proxy's own hop (192.0.2.1) decides.
    const forged = await call(PROXY, '/r/forged', {
      headers: { 'x-forwarded-for': '198.51.100.7, 192.0.2.1' },
    });
    expect([forged.code, forged.logged?.ip]).toEqual(['ip_not_allowed', '192.0.2.1']);
    // Repeated header lines are one list (RFC 9110 §5.3), read from the right as well.
    const repeated = await call(PROXY, '/r/repeated', {
      headers: { 'x-forwarded-for': ['192.0.2.1', '198.51.100.7'] },
    });
    expect([repeated.res.status, repeated.logged?.ip]).toEqual([200, '198.51.100.7']);
  });

  it('treats ::ffff: forms as IPv4', async () => {
    const r = await call(PROXY, '/office/mapped', { headers: { 'x-forwarded-for': '::ffff:198.51.100.7' } });
    expect([r.res.status, r.logged?.ip]).toEqual([200, '198.51.100.7']);
  });

  it('answers 400 to a malformed hop from a trusted proxy', async () => {
    const r = await call(PROXY, '/r/bad-xff', { headers: { 'x-forwarded-for': '198.51.100.7:5555' } });
    expect([r.res.status, r.code]).toEqual([400, 'bad_request']);
    expect(r.upstream).toBeUndefined();
  });
});

describe('Basic auth', () => {
  it('challenges without credentials, with the realm and charset', async () => {
    const r = await call('127.0.0.5', '/api/v1/results');
    expect([r.res.status, r.code]).toEqual([401, 'unauthorized']);
    expect(r.res.headers['www-authenticate']).toBe('Basic realm="School A", charset="UTF-8"');
  });

  it('forwards the signed identity, never Authorization or forged identity headers', async () => {
    const r = await call('127.0.0.2', '/api/v1/results?status=published', {
      headers: { authorization: basic('hr-sync', 'Sync-Password-1'), 'x-gateway-user': 'admin' },
    });
    expect(r.res.status).toBe(200);
    const headers = r.upstream!.headers;
    expect(headers.authorization).toBeUndefined();
    const identity = identityAt(r.upstream!);
    expect(identity).toMatchObject({ tenant: 'school-a', user: 'hr-sync', roles: ['integration'] });
    expect(identity?.requestId).toBe(r.res.headers['x-request-id']);
    expect(identityAt(r.upstream!, randomBytes(32))).toBeNull();
    expect(r.logged?.user).toBe('hr-sync');
  });

  it('accepts UTF-8 user names and passwords', async () => {
    const r = await call('127.0.0.2', '/api/utf8', {
      headers: { authorization: basic('先生', 'パスワード-Ａ1') },
    });
    expect(r.logged?.user).toBe('先生');
    expect(r.res.status).toBe(200);
    // Header values are Latin-1: the name crosses percent-encoded, and the signature covers it.
    expect(r.upstream?.headers['x-gateway-user']).toBe(encodeURIComponent('先生'));
    expect(identityAt(r.upstream!)?.user).toBe('先生');
  });

  it('locks out one address that tries many user names, even for a right password', async () => {
    // The failure that reaches addressMaxFailures is answered as the lockout.
    const codes: unknown[] = [];
    for (const user of ['x1', 'x2', 'x3'])
      codes.push(
        (await call('127.0.0.12', '/api/spray', { headers: { authorization: basic(user, 'nope') } })).code,
      );
    expect(codes).toEqual(['unauthorized', 'unauthorized', 'locked_out']);
    const r = await call('127.0.0.12', '/api/spray', {
      headers: { authorization: basic('hr-sync', 'Sync-Password-1') },
    });
    expect([r.res.status, r.code]).toEqual([429, 'locked_out']);
    expect(Number(r.res.headers['retry-after'])).toBeGreaterThan(0);
    expect(r.upstream).toBeUndefined();
    // The same user from another address is not locked: the lock is on (tenant, address).
    expect(
      (
        await call('127.0.0.13', '/api/spray', {
          headers: { authorization: basic('hr-sync', 'Sync-Password-1') },
        })
      ).res.status,
    ).toBe(200);
  });

  it('refuses wrong and malformed credentials with 401, auditing without the password', async () => {
    for (const authorization of [
      basic('hr-sync', 'Wrong-Password-1'),
      'Basic %%%not-base64',
      basic('nobody', 'x'),
    ]) {
      const r = await call('127.0.0.5', '/api/refused', { headers: { authorization } });
      expect([r.res.status, r.code]).toEqual([401, 'unauthorized']);
      expect(r.upstream).toBeUndefined();
    }
    const failures = audit.filter((e) => e.type === 'auth_failure' && e.ip === '127.0.0.5');
    expect(failures.map((e) => e.reason)).toEqual(['bad_password', 'malformed', 'unknown_user']);
    expect(JSON.stringify(audit)).not.toContain('Wrong-Password-1');
  });

  it('locks a user out after maxFailures, with 429 and Retry-After even for the right password', async () => {
    const statuses: number[] = [];
    for (const ip of ['127.0.0.6', '127.0.0.7', '127.0.0.8'])
      statuses.push(
        (await call(ip, '/api/lock', { headers: { authorization: basic('locky', 'nope') } })).res.status,
      );
    // Two refusals, then the third failure locks and says so.
    expect(statuses).toEqual([401, 401, 429]);
    const r = await call('127.0.0.9', '/api/lock', {
      headers: { authorization: basic('locky', 'Locky-Password-1') },
    });
    expect([r.res.status, r.code]).toEqual([429, 'locked_out']);
    const retryAfter = Number(r.res.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(30);
    expect(audit.some((e) => e.type === 'lockout' && e.user === 'locky')).toBe(true);
  });

  it('never opens school-a with school-b credentials', async () => {
    const authorization = basic('b-sync', 'B-Sync-Password-1');
    expect((await call('127.0.0.11', '/api/x', { headers: { authorization } })).code).toBe('unauthorized');
    const own = await call('127.0.0.11', '/api/x', {
      host: 'school-b.localhost',
      headers: { authorization },
    });
    expect(own.res.status).toBe(200);
    expect(identityAt(own.upstream!)?.tenant).toBe('school-b');
  });
});

describe('roles and authBypass', () => {
  it('forbids a user without the zone role', async () => {
    const r = await call('127.0.0.2', '/api/x', {
      headers: { authorization: basic('admin', 'Admin-Password-1') },
    });
    expect([r.res.status, r.code]).toEqual([403, 'forbidden']);
    expect(r.upstream).toBeUndefined();
  });

  it('lets the authBypass address in without credentials, everyone else must authenticate', async () => {
    const bypass = await call('127.0.0.3', '/admin/dashboard');
    expect(bypass.res.status).toBe(200);
    expect(identityAt(bypass.upstream!)).toMatchObject({
      tenant: 'school-a',
      user: '',
      roles: ['admin'],
    });
    expect((await call('127.0.0.2', '/admin/dashboard')).res.status).toBe(401);
    const admin = await call('127.0.0.2', '/admin/dashboard', {
      headers: { authorization: basic('admin', 'Admin-Password-1') },
    });
    expect(admin.upstream?.headers['x-gateway-user']).toBe('admin');
  });
});
