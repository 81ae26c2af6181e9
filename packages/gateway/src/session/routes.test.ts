import { describe, expect, it } from 'vitest';
import { memoryDeps } from '../create-deps.js';
import { nodeRequest } from '../testing/node-request.js';
import { browser, PASSWORD, testApp, testClock, testPolicy } from '../testing/session-app.js';

const policy = await testPolicy();

function setup() {
  const clock = testClock();
  const deps = memoryDeps({ now: clock.now });
  const app = testApp(policy, deps);
  return { clock, deps, app, b: browser(app) };
}

describe('login page', () => {
  it('shows the tenant name, labelled fields and a CSRF token, in Japanese by default', async () => {
    const { b } = setup();
    const res = await b.get('/.gateway/login?next=/admin/list');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const html = await res.text();
    expect(html).toContain('<html lang="ja">');
    expect(html).toContain('市立A高校');
    expect(html).toContain('<label for="username">ユーザー名</label>');
    expect(html).toContain('<label for="password">パスワード</label>');
    expect(html).toContain('name="next" value="/admin/list"');
    // Without it the page's no-referrer policy makes Chrome post `Origin: null` (refused).
    expect(html).toContain('<meta name="referrer" content="same-origin">');
    expect(res.headers.getSetCookie()[0]).toMatch(
      /^__Host-rg-csrf=[\w-]+; Path=\/; HttpOnly; Secure; SameSite=Strict$/,
    );
  });

  it('speaks English to an English browser, and keeps the CSRF cookie it already has', async () => {
    const { b } = setup();
    await b.get('/.gateway/login');
    const res = await b.get('/.gateway/login', { 'accept-language': 'en-US,en;q=0.9' });
    const html = await res.text();
    expect(html).toContain('<html lang="en">');
    expect(html).toContain('<label for="username">User name</label>');
    expect(res.headers.getSetCookie()).toEqual([]);
  });

  it('does not exist on a tenant without form zones', async () => {
    const p = await testPolicy((raw) => {
      raw.tenants['school-b'].zones = [{ name: 'all', path: '/', auth: 'none' }];
    });
    const res = await browser(testApp(p, memoryDeps()), 'school-b.localhost').get('/.gateway/login');
    expect(res.status).toBe(404);
  });
});

describe('login POST', () => {
  it('logs in: 303 to next with a __Host- session cookie, and audits the login', async () => {
    const { b, deps } = setup();
    const res = await b.login('admin', PASSWORD, '/admin/results?page=2');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/admin/results?page=2');
    const line = res.headers.getSetCookie().find((l) => l.startsWith('__Host-rg-session='));
    expect(line).toMatch(/; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
    expect(deps.auditEvents.map((e) => e.type)).toEqual(['login']);
    expect(deps.auditEvents[0]).toMatchObject({ tenant: 'school-a', user: 'admin', ip: '192.0.2.10' });
    expect((await b.get('/admin/results')).status).toBe(200);
  });

  it('gives a new session id on every login', async () => {
    const { b } = setup();
    await b.login();
    const first = b.jar.get('__Host-rg-session')!;
    await b.login();
    const second = b.jar.get('__Host-rg-session')!;
    const sid = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()).jti;
    expect(sid(second)).not.toBe(sid(first));
  });

  it('refuses a wrong password with the form again, an error and an audit line', async () => {
    const { b, deps } = setup();
    const res = await b.login('admin', 'wrong password');
    expect(res.status).toBe(401);
    const html = await res.text();
    expect(html).toContain('role="alert"');
    expect(html).toContain('ユーザー名またはパスワードが正しくありません。');
    expect(html).toContain('value="admin"');
    expect(html).not.toContain('wrong password');
    expect(b.jar.has('__Host-rg-session')).toBe(false);
    expect(deps.auditEvents).toMatchObject([{ type: 'auth_failure', user: 'admin', reason: 'bad_password' }]);
  });

  it('refuses a post without the CSRF token, with a forged token, or from another origin', async () => {
    const { b, deps } = setup();
    const csrf = await b.formToken();
    const form = { username: 'admin', password: PASSWORD };
    expect((await b.post('/.gateway/login', form)).status).toBe(403);
    expect((await b.post('/.gateway/login', { ...form, csrf: `${csrf.slice(0, -2)}AA` })).status).toBe(403);
    const evil = await b.post('/.gateway/login', { ...form, csrf }, { origin: 'https://school-b.localhost' });
    expect(evil.status).toBe(403);
    expect(
      (await b.post('/.gateway/login', { ...form, csrf }, { origin: 'http://school-a.localhost' })).status,
    ).toBe(403);
    expect((await b.post('/.gateway/login', { ...form, csrf }, { origin: '' })).status).toBe(403);
    expect((await b.post('/.gateway/login', { ...form, csrf }, { origin: 'null' })).status).toBe(403);
    expect(b.jar.has('__Host-rg-session')).toBe(false);
    expect(deps.auditEvents.filter((e) => e.type === 'login')).toEqual([]);
  });

  it("refuses a token made for another browser's CSRF cookie", async () => {
    const { app, b } = setup();
    const other = browser(app);
    const theirs = await other.formToken();
    await b.formToken();
    const res = await b.post('/.gateway/login', { csrf: theirs, username: 'admin', password: PASSWORD });
    expect(res.status).toBe(403);
  });

  it.each([
    '//evil.com',
    '/\\evil.com',
    'https://evil.com',
    '/%2F%2Fevil.com',
    '/%5Cevil.com',
    'javascript:alert(1)',
    '/\t/evil.com',
    '/admin/../..//evil.com',
  ])('does not redirect to %s after login', async (next) => {
    const { b } = setup();
    const res = await b.login('admin', PASSWORD, next);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/admin');
  });

  it('locks the form after maxFailures, even for the right password, and audits the lockout', async () => {
    const { b, clock, deps } = setup();
    expect((await b.login('admin', 'bad-1')).status).toBe(401);
    expect((await b.login('admin', 'bad-2')).status).toBe(401);
    const third = await b.login('admin', 'bad-3');
    expect(third.status).toBe(429);
    expect(third.headers.get('retry-after')).toBe('900');
    const right = await b.login('admin', PASSWORD);
    expect(right.status).toBe(429);
    expect(await right.text()).toContain('失敗が続いたため');
    expect(deps.auditEvents.filter((e) => e.type === 'lockout')).toHaveLength(1);
    clock.advance(15 * 60_000 + 1);
    // The address is unlocked too once the duration ends.
    expect((await b.login('admin', PASSWORD)).status).toBe(303);
  });

  it('refuses the right password sent in a burst of parallel guesses that locked the account', async () => {
    const { app, b } = setup();
    const csrf = await b.formToken();
    const cookie = [...b.jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const post = (password: string) =>
      nodeRequest(app, 'https://school-a.localhost/.gateway/login', {
        method: 'POST',
        headers: {
          origin: 'https://school-a.localhost',
          cookie,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ csrf, username: 'admin', password }),
      });
    const answers = await Promise.all([...['x1', 'x2', 'x3', 'x4', 'x5'].map(post), post(PASSWORD)]);
    expect(answers.map((r) => r.status).filter((s) => s === 303)).toEqual([]);
    expect(answers.at(-1)!.status).toBe(429);
  });

  it('counts unknown users towards the address lockout, at its own higher threshold', async () => {
    const p = await testPolicy((raw) => {
      raw.tenants['school-a'].lockout.addressMaxFailures = 5;
    });
    const b = browser(testApp(p, memoryDeps()));
    for (let i = 1; i <= 4; i++) expect((await b.login(`nobody-${i}`, 'x')).status).toBe(401);
    // Four failures from this address (above maxFailures 3): the admin still logs in.
    expect((await b.login('admin', PASSWORD)).status).toBe(303);
    const fifth = await b.login('nobody-5', 'x');
    expect(fifth.status).toBe(429);
    expect(await fifth.text()).toMatch(/\d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    expect((await b.login('admin', PASSWORD)).status).toBe(429);
  });

  it('locks the victim, not the admin typing from the same address', async () => {
    const { b } = setup();
    for (let i = 0; i < 3; i++) await b.login('victim', `bad-${i}`);
    expect((await b.login('victim', 'bad-4')).status).toBe(429);
    expect((await b.login('admin', PASSWORD)).status).toBe(303);
  });

  it('refuses a disabled user like a wrong password', async () => {
    const p = await testPolicy((raw) => {
      raw.tenants['school-a'].users.admin.disabled = true;
    });
    const deps = memoryDeps();
    const res = await browser(testApp(p, deps)).login();
    expect(res.status).toBe(401);
    expect(deps.auditEvents[0]).toMatchObject({ type: 'auth_failure', reason: 'user_disabled' });
  });
});

describe('logout', () => {
  it('ends the session on the server: the old cookie replayed opens nothing', async () => {
    const { b, deps } = setup();
    await b.login();
    const stolen = b.jar.get('__Host-rg-session')!;
    const res = await b.logout();
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toMatch(/^\/\.gateway\/login\?reason=logged-out/);
    expect(res.headers.getSetCookie().join()).toMatch(/__Host-rg-session=; Max-Age=0/);
    expect(deps.auditEvents.map((e) => e.type)).toEqual(['login', 'logout']);
    const replay = await b.get('/admin', {
      cookie: `__Host-rg-session=${stolen}`,
      accept: 'application/json',
    });
    expect(replay.status).toBe(401);
    expect(await replay.json()).toEqual({ error: { code: 'session_expired' } });
  });

  it('refuses a logout without the form token or from another origin', async () => {
    const { b } = setup();
    await b.login();
    const csrf = await b.formToken('/.gateway/logout');
    expect((await b.post('/.gateway/logout', {})).status).toBe(403);
    expect((await b.post('/.gateway/logout', { csrf }, { origin: 'https://evil.example' })).status).toBe(403);
    expect((await b.get('/admin')).status).toBe(200);
  });
});
