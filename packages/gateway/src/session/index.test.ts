import { describe, expect, it } from 'vitest';
import { memoryDeps } from '../create-deps.js';
import { nodeRequest } from '../testing/node-request.js';
import { browser, testApp, testClock, testPolicy } from '../testing/session-app.js';
import { keyId } from './token.js';

const policy = await testPolicy();
const HOUR = 3_600_000;
const json = { accept: 'application/json' };

function setup(p = policy, keys?: Uint8Array[]) {
  const clock = testClock();
  const deps = memoryDeps({ now: clock.now, ...(keys ? { sessionKeys: keys } : {}) });
  const app = testApp(p, deps);
  return { clock, deps, app, b: browser(app) };
}

function claims(jwt: string) {
  const [header, payload] = jwt
    .split('.')
    .slice(0, 2)
    .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()));
  return { header, payload };
}

describe('idleSession', () => {
  it('sends a browser without a session to the login page, keeping path and query as next', async () => {
    const { b } = setup();
    const res = await b.get('/admin/results?status=published');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/.gateway/login?next=%2Fadmin%2Fresults%3Fstatus%3Dpublished');
  });

  it('answers an API client without a session 401 session_expired', async () => {
    const { b } = setup();
    const res = await b.get('/admin/results', json);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: { code: 'session_expired' } });
  });

  it('sets the user with the roles of the current policy, and marks the response no-store', async () => {
    const { b } = setup();
    await b.login();
    const res = await b.get('/admin', json);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ user: { name: 'admin', roles: ['admin'], via: 'session' } });
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('leaves zones without form auth alone, and users let in by authBypass', async () => {
    const { b } = setup();
    expect((await b.get('/r/123', json)).status).toBe(200);
    const bypass = await b.get('/office', { ...json, 'x-test-ip': '10.1.2.3' });
    expect(await bypass.json()).toMatchObject({ user: { via: 'bypass' } });
  });

  it('slides: activity renews the cookie, so only idleness ends the session', async () => {
    const { app, b, clock, deps } = setup();
    await b.login();
    const first = b.jar.get('__Host-rg-session')!;
    for (let i = 0; i < 5; i++) {
      clock.advance(0.6 * HOUR);
      const res = await b.get('/admin', json);
      expect(res.status).toBe(200);
      expect(res.headers.getSetCookie().join()).toMatch(
        /^__Host-rg-session=.+; Path=\/; HttpOnly; Secure; SameSite=Lax$/,
      );
    }
    // The first cookie, never renewed, has been idle for 3 hours.
    const old = await nodeRequest(app, 'https://school-a.localhost/admin', {
      headers: { ...json, cookie: `__Host-rg-session=${first}` },
    });
    expect(old.status).toBe(401);
    expect(deps.auditEvents.at(-1)).toMatchObject({
      type: 'session_expired',
      user: 'admin',
      reason: 'idle',
      zone: 'admin',
    });
    clock.advance(HOUR);
    const idle = await b.get('/admin/list?x=1');
    expect(idle.status).toBe(303);
    expect(idle.headers.get('location')).toBe('/.gateway/login?next=%2Fadmin%2Flist%3Fx%3D1&reason=expired');
    // Idle past every zone's timeout: the cookie is cleared, so the expiry is audited once.
    expect(idle.headers.getSetCookie().join()).toMatch(/__Host-rg-session=; Max-Age=0/);
  });

  it('keeps the idle clock accurate to 2 %: renews only after 2 % of the timeout', async () => {
    const { b, clock } = setup();
    await b.login();
    clock.advance(0.019 * HOUR);
    expect((await b.get('/admin', json)).headers.getSetCookie()).toEqual([]);
    clock.advance(0.002 * HOUR);
    const renewed = await b.get('/admin', json);
    expect(renewed.headers.getSetCookie()).toHaveLength(1);
    // Idle just under the timeout since the last renewal: still in; just over: out.
    clock.advance(HOUR - 1);
    expect((await b.get('/admin', json)).status).toBe(200);
    clock.advance(HOUR);
    expect((await b.get('/admin', json)).status).toBe(401);
  });

  it('works for a 2-second idle timeout (renewal every 40 ms)', async () => {
    const p = await testPolicy((raw) => {
      raw.tenants['school-a'].zones[0].idleTimeout = '2s';
    });
    const { b, clock } = setup(p);
    await b.login();
    for (let i = 0; i < 10; i++) {
      clock.advance(1_900);
      expect((await b.get('/admin', json)).status).toBe(200);
    }
    clock.advance(2_000);
    expect((await b.get('/admin', json)).status).toBe(401);
  });

  it('applies each zone its own idle timeout to one session', async () => {
    const { b, clock } = setup();
    await b.login();
    clock.advance(11 * 60_000);
    const reports = await b.get('/reports', json);
    expect(reports.status).toBe(401);
    expect(reports.headers.getSetCookie()).toEqual([]); // still live for /admin
    expect((await b.get('/admin', json)).status).toBe(200);
  });

  it('does not extend the session for background requests (the tenant names the header)', async () => {
    const p = await testPolicy((raw) => {
      raw.tenants['school-a'].backgroundHeader = 'X-Poll';
    });
    const { b, clock } = setup(p);
    await b.login();
    clock.advance(0.5 * HOUR);
    const poll = await b.get('/admin', { ...json, 'x-poll': '1' });
    expect(poll.status).toBe(200);
    expect(poll.headers.getSetCookie()).toEqual([]);
    // The default header means nothing to this tenant: it renews like any request.
    expect(
      (await b.get('/admin', { ...json, 'x-background-request': '1' })).headers.getSetCookie(),
    ).toHaveLength(1);
  });

  it('ends a session at sessions.maxAge however active it is', async () => {
    const { b, clock, deps } = setup();
    await b.login();
    for (let t = 0; t < 12 * HOUR - 0.5 * HOUR; t += 0.5 * HOUR) {
      clock.advance(0.5 * HOUR);
      expect((await b.get('/admin', json)).status).toBe(200);
    }
    clock.advance(0.5 * HOUR);
    expect((await b.get('/admin', json)).status).toBe(401);
    expect(deps.auditEvents.at(-1)).toMatchObject({ type: 'session_expired', reason: 'max_age' });
  });

  it("opens nothing of tenant B with tenant A's cookie, even sent by hand", async () => {
    const { app, b, deps } = setup();
    await b.login();
    const cookie = `__Host-rg-session=${b.jar.get('__Host-rg-session')}`;
    const other = browser(app, 'school-b.localhost');
    const res = await other.get('/admin', { ...json, cookie });
    expect(res.status).toBe(401);
    expect(deps.auditEvents.at(-1)).toMatchObject({
      type: 'auth_failure',
      tenant: 'school-b',
      reason: 'invalid_session',
    });
  });

  it('refuses a tampered token (roles edited)', async () => {
    const { b } = setup();
    await b.login('viewer');
    const [h, p, s] = b.jar.get('__Host-rg-session')!.split('.');
    const payload = JSON.parse(Buffer.from(p!, 'base64url').toString());
    payload.roles = ['admin'];
    const forged = `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}`;
    expect((await b.get('/admin', { ...json, cookie: `__Host-rg-session=${forged}` })).status).toBe(401);
  });

  it('ends the sessions of a user removed, disabled or given a new password in the policy', async () => {
    const clock = testClock();
    const deps = memoryDeps({ now: clock.now });
    const b = browser(testApp(policy, deps));
    await b.login();
    const cookie = { ...json, cookie: `__Host-rg-session=${b.jar.get('__Host-rg-session')}` };
    const removed = await testPolicy((raw) => {
      delete raw.tenants['school-a'].users.admin;
    });
    const disabled = await testPolicy((raw) => {
      raw.tenants['school-a'].users.admin.disabled = true;
    });
    const rehashed = await testPolicy(); // same password, new salt: a new hash
    const reroled = await testPolicy((raw) => {
      raw.tenants['school-a'].users.admin.roles = ['auditor'];
    });
    for (const p of [removed, disabled, rehashed]) {
      expect(
        (await nodeRequest(testApp(p, deps), 'https://school-a.localhost/admin', { headers: cookie })).status,
      ).toBe(401);
    }
    expect(deps.auditEvents.slice(-3).map((e) => e.reason)).toEqual([
      'user_removed',
      'user_removed',
      'password_changed',
    ]);
    // A role change applies to the running session at once (same password hash).
    const same = await testPolicy((raw) => {
      raw.tenants['school-a'].users.admin.passwordHash =
        policy.tenants['school-a']!.users.admin!.passwordHash;
      raw.tenants['school-a'].users.admin.roles = ['auditor'];
    });
    expect(reroled).toBeDefined();
    const res = await nodeRequest(testApp(same, deps), 'https://school-a.localhost/admin', {
      headers: cookie,
    });
    expect(await res.json()).toMatchObject({ user: { roles: ['auditor'] } });
  });

  it('rotates keys: newest signs, older ones still verify, a dropped key opens nothing', async () => {
    const oldKey = crypto.getRandomValues(new Uint8Array(32));
    const newKey = crypto.getRandomValues(new Uint8Array(32));
    const clock = testClock();
    const b = browser(testApp(policy, memoryDeps({ now: clock.now, sessionKeys: [oldKey] })));
    await b.login();
    const cookie = b.jar.get('__Host-rg-session')!;
    expect(claims(cookie).header).toMatchObject({ alg: 'HS256', kid: keyId(oldKey) });
    const headers = { ...json, cookie: `__Host-rg-session=${cookie}` };

    const rotated = testApp(policy, memoryDeps({ now: clock.now, sessionKeys: [newKey, oldKey] }));
    clock.advance(0.1 * HOUR);
    const res = await nodeRequest(rotated, 'https://school-a.localhost/admin', { headers });
    expect(res.status).toBe(200);
    const renewed = res.headers.getSetCookie()[0]!.split(';')[0]!.split('=')[1]!;
    expect(claims(renewed).header.kid).toBe(keyId(newKey));
    expect(claims(renewed).payload).toMatchObject({ aud: 'school-a', ten: 'school-a', sub: 'admin' });

    const dropped = testApp(policy, memoryDeps({ now: clock.now, sessionKeys: [newKey] }));
    expect((await nodeRequest(dropped, 'https://school-a.localhost/admin', { headers })).status).toBe(401);
  });
});
