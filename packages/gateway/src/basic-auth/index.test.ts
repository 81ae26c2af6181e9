import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { memoryDeps } from '../create-deps.js';
import { scryptRuns } from '../credentials/password.js';
import type { Policy } from '../policy/schema.js';
import { type AccessReply, accessApp, basic, from, testPolicy, testUsers } from '../testing/access-app.js';
import { nodeRequest } from '../testing/node-request.js';
import { CREDENTIAL_CACHE } from './index.js';

let policy: Policy;
const API = 'https://acme.localhost/api/v1/results';
const PW = 'Correct-Horse-9';

beforeAll(async () => {
  policy = testPolicy({
    tenants: {
      acme: {
        name: 'Acme HR',
        hosts: ['acme.localhost'],
        lockout: { maxFailures: 3, addressMaxFailures: 6, window: '1m', duration: '2m' },
        users: await testUsers([
          ['hr-sync', PW, ['integration']],
          ['先生', 'パスワード-Ａ1', ['integration']],
          ['gone', PW, ['integration'], true],
        ]),
        zones: [
          { name: 'api', path: '/api', auth: 'basic', roles: ['integration'] },
          { name: 'public', path: '/', auth: 'none' },
        ],
      },
      beta: {
        hosts: ['beta.localhost'],
        users: await testUsers([['beta-user', 'Beta-Password-1', ['integration']]]),
        zones: [{ name: 'api', path: '/api', auth: 'basic' }],
      },
    },
  });
});

function setup() {
  let now = 1_000_000;
  const deps = memoryDeps({ now: () => now });
  const app = accessApp(policy, deps);
  const call = async (authorization?: string, ip = '203.0.113.7', url = API) => {
    const res = await nodeRequest(app, url, { headers: authorization ? { authorization } : {} }, from(ip));
    return { res, body: (await res.json()) as AccessReply };
  };
  return { deps, app, call, advance: (ms: number) => (now += ms) };
}

describe('basic auth', () => {
  it('challenges a request without credentials, naming the tenant as realm', async () => {
    const { call, deps } = setup();
    const { res, body } = await call();
    expect(res.status).toBe(401);
    expect(body.error?.code).toBe('unauthorized');
    expect(res.headers.get('www-authenticate')).toBe('Basic realm="Acme HR", charset="UTF-8"');
    expect(deps.auditEvents).toEqual([]); // a browser's first request is not an attack
  });

  it('accepts the right password and sets the user with its roles', async () => {
    const { call } = setup();
    const { res, body } = await call(basic('hr-sync', PW));
    expect(res.status).toBe(200);
    expect(body.user).toEqual({ name: 'hr-sync', roles: ['integration'], via: 'basic' });
  });

  it('accepts UTF-8 user names and passwords', async () => {
    const { call } = setup();
    expect((await call(basic('先生', 'パスワード-Ａ1'))).body.user?.name).toBe('先生');
  });

  it('refuses a wrong password, an unknown user and a disabled user, auditing each without the password', async () => {
    const { call, deps } = setup();
    for (const [user, pw, ip] of [
      ['hr-sync', 'wrong-1', '203.0.113.1'],
      ['nobody', 'secret-typed-in-user-field', '203.0.113.2'],
      ['gone', PW, '203.0.113.3'],
    ] as const) {
      const { res } = await call(basic(user, pw), ip);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('Basic realm=');
    }
    expect(deps.auditEvents.map((e) => [e.type, e.user, e.reason, e.ip, e.tenant, e.zone])).toEqual([
      ['auth_failure', 'hr-sync', 'bad_password', '203.0.113.1', 'acme', 'api'],
      ['auth_failure', undefined, 'unknown_user', '203.0.113.2', 'acme', 'api'],
      ['auth_failure', 'gone', 'user_disabled', '203.0.113.3', 'acme', 'api'],
    ]);
    const logged = JSON.stringify(deps.auditEvents);
    for (const secret of ['wrong-1', 'secret-typed', PW, 'nobody']) expect(logged).not.toContain(secret);
  });

  it('answers 401, never a crash, to any Authorization header', async () => {
    const { call } = setup();
    // Every byte a header value can carry to the pipeline: Node's parser refuses DEL (0x7f) itself.
    const latin1 = fc.string({
      unit: fc
        .integer({ min: 0x20, max: 0xff })
        .filter((n) => n !== 0x7f)
        .map((n) => String.fromCharCode(n)),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          latin1,
          latin1.map((s) => `Basic ${s}`),
          fc.string().map((s) => `Basic ${Buffer.from(s).toString('base64')}`),
        ),
        async (header) => {
          const { res } = await call(header.trim() === '' ? 'Basic' : header, '198.51.100.1');
          expect([401, 429]).toContain(res.status);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('never opens tenant A with tenant B credentials', async () => {
    const { call } = setup();
    expect((await call(basic('beta-user', 'Beta-Password-1'))).res.status).toBe(401);
    const own = await call(
      basic('beta-user', 'Beta-Password-1'),
      '203.0.113.7',
      'https://beta.localhost/api',
    );
    expect(own.res.status).toBe(200);
  });

  it('does not ask for credentials in an auth: none zone', async () => {
    const { call } = setup();
    expect((await call(undefined, '203.0.113.7', 'https://acme.localhost/r')).res.status).toBe(200);
  });
});

describe('credential cache', () => {
  it('runs no scrypt for a warm request, until the TTL ends', async () => {
    const { call, advance } = setup();
    expect((await call(basic('hr-sync', PW))).res.status).toBe(200);
    const before = scryptRuns.count;
    for (let i = 0; i < 5; i++) expect((await call(basic('hr-sync', PW))).res.status).toBe(200);
    expect(scryptRuns.count).toBe(before);
    advance(CREDENTIAL_CACHE.ttl + 1);
    expect((await call(basic('hr-sync', PW))).res.status).toBe(200);
    expect(scryptRuns.count).toBe(before + 1);
  });

  it('is dropped on a reload (a new app), while lockouts survive it', async () => {
    const { call, deps } = setup();
    await call(basic('hr-sync', PW));
    for (let i = 0; i < 3; i++) await call(basic('hr-sync', 'wrong'), '198.51.100.1');
    const reloaded = accessApp(policy, deps);
    const res = await nodeRequest(
      reloaded,
      API,
      { headers: { authorization: basic('hr-sync', PW) } },
      from('203.0.113.7'),
    );
    expect(res.status).toBe(429);
  });

  it('verifies concurrent identical credentials once', async () => {
    const { call } = setup();
    const before = scryptRuns.count;
    const results = await Promise.all(Array.from({ length: 8 }, () => call(basic('hr-sync', PW))));
    expect(results.map((r) => r.res.status)).toEqual(Array(8).fill(200));
    expect(scryptRuns.count - before).toBe(1);
  });
});

describe('lockout', () => {
  it('locks the user after maxFailures, refusing even the right password with Retry-After and the end', async () => {
    const { call, deps, advance } = setup();
    for (let i = 0; i < 2; i++)
      expect((await call(basic('hr-sync', `wrong-${i}`), `198.51.100.${i}`)).res.status).toBe(401);
    // The failure that reaches the threshold is answered as the lockout, at once.
    expect((await call(basic('hr-sync', 'wrong-2'), '198.51.100.2')).res.status).toBe(429);
    const { res, body } = await call(basic('hr-sync', PW));
    expect(res.status).toBe(429);
    expect(body.error?.code).toBe('locked_out');
    expect(res.headers.get('retry-after')).toBe('120');
    expect(body.error?.message).toBe(
      `Too many failed attempts. Locked until ${new Date(1_000_000 + 120_000).toISOString()}.`,
    );
    expect(deps.auditEvents.filter((e) => e.type === 'lockout')).toMatchObject([
      { user: 'hr-sync', scope: 'user', until: new Date(1_000_000 + 120_000).toISOString() },
    ]);
    advance(60_000);
    expect((await call(basic('hr-sync', PW))).res.headers.get('retry-after')).toBe('60');
    advance(60_001);
    expect((await call(basic('hr-sync', PW))).res.status).toBe(200);
  });

  it('refuses a cached right password once the user is locked out, with no scrypt', async () => {
    const { call } = setup();
    expect((await call(basic('hr-sync', PW))).res.status).toBe(200);
    for (let i = 0; i < 3; i++) await call(basic('hr-sync', `wrong-${i}`), `198.51.100.${i}`);
    const before = scryptRuns.count;
    const { res, body } = await call(basic('hr-sync', PW));
    expect(res.status).toBe(429);
    expect(body.error?.code).toBe('locked_out');
    expect(scryptRuns.count).toBe(before);
  });

  it('locks an address that sprays user names at addressMaxFailures, not at maxFailures', async () => {
    const { call } = setup();
    const spray = '198.51.100.9';
    for (const name of ['a', 'b', 'c', 'd', 'e'])
      expect((await call(basic(name, 'x'), spray)).res.status).toBe(401);
    // Five failures from one address (above maxFailures 3): a colleague behind it still gets in.
    expect((await call(basic('hr-sync', PW), spray)).res.status).toBe(200);
    expect((await call(basic('f', 'x'), spray)).res.status).toBe(429);
    // The address is locked, even for a header the credential cache knows: a spray that guessed
    // a cached user's password would send exactly those bytes.
    expect((await call(basic('先生', 'パスワード-Ａ1'), spray)).res.status).toBe(429);
    expect((await call(basic('hr-sync', PW), spray)).res.status).toBe(429);
    expect((await call(basic('先生', 'パスワード-Ａ1'), '198.51.100.10')).res.status).toBe(200);
  });

  it('audits a malformed header but counts it towards no lockout (it cannot be a right guess)', async () => {
    const { call, deps } = setup();
    for (let i = 0; i < 10; i++) expect((await call('Basic !!!', '198.51.100.11')).res.status).toBe(401);
    expect((await call(basic('hr-sync', PW), '198.51.100.11')).res.status).toBe(200);
    expect(deps.auditEvents.filter((e) => e.reason === 'malformed')).toHaveLength(10);
    expect(deps.auditEvents.filter((e) => e.type === 'lockout')).toEqual([]);
  });

  it('lets no more than maxFailures concurrent guesses reach scrypt', async () => {
    const { call } = setup();
    const before = scryptRuns.count;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => call(basic('hr-sync', `guess-${i}`), `198.51.100.${i}`)),
    );
    expect(scryptRuns.count - before).toBe(3);
    const statuses = results.map((r) => r.res.status);
    // Two wrong guesses, then the third locks (answered 429, as every later one).
    expect(statuses.filter((s) => s === 401)).toHaveLength(2);
    expect(statuses.filter((s) => s === 429)).toHaveLength(18);
  });
});
