import { beforeAll, describe, expect, it } from 'vitest';
import { scryptRuns } from '../credentials/password.js';
import type { Policy } from '../policy/schema.js';
import { type AccessReply, accessApp, basic, from, testPolicy, testUsers } from '../testing/access-app.js';
import { nodeRequest } from '../testing/node-request.js';

let policy: Policy;

beforeAll(async () => {
  policy = testPolicy({
    tenants: {
      acme: {
        hosts: ['acme.localhost'],
        ipAllow: ['203.0.113.0/24', '2001:db8::/32'],
        users: await testUsers([['alice', 'Alice-Password-1', ['admin']]]),
        zones: [
          {
            name: 'admin',
            path: '/admin',
            auth: 'basic',
            roles: ['admin'],
            ipAllow: ['203.0.113.0/25'],
            authBypass: ['203.0.113.64/26', '198.51.100.0/24'],
          },
          { name: 'public', path: '/', auth: 'none' },
        ],
      },
      open: { hosts: ['open.localhost'], zones: [{ name: 'all', path: '/', auth: 'none' }] },
    },
  });
});

async function get(url: string, ip: string, headers?: Record<string, string>) {
  const res = await nodeRequest(accessApp(policy), url, { headers }, from(ip));
  return { status: res.status, body: (await res.json()) as AccessReply };
}

describe('ip allow-lists', () => {
  it('denies 192.0.2.9 for tenant acme and allows 203.0.113.200', async () => {
    expect(await get('https://acme.localhost/', '192.0.2.9')).toEqual({
      status: 403,
      body: { error: { code: 'ip_not_allowed' } },
    });
    expect((await get('https://acme.localhost/', '203.0.113.200')).status).toBe(200);
    expect((await get('https://acme.localhost/', '::ffff:203.0.113.200')).status).toBe(200);
    expect((await get('https://acme.localhost/', '2001:db8::42')).status).toBe(200);
  });

  it('applies the tenant list and the zone list both', async () => {
    // In the tenant list but outside the zone's /25.
    expect((await get('https://acme.localhost/admin', '203.0.113.200')).body.error?.code).toBe(
      'ip_not_allowed',
    );
    // In the zone list: asked for credentials.
    expect((await get('https://acme.localhost/admin', '203.0.113.5')).status).toBe(401);
  });

  it('applies only the tenant list to /.gateway/ paths', async () => {
    expect((await get('https://acme.localhost/.gateway/login', '203.0.113.200')).status).toBe(200);
    expect((await get('https://acme.localhost/.gateway/login', '192.0.2.9')).status).toBe(403);
  });

  it('restricts nothing where no list is given', async () => {
    expect((await get('https://open.localhost/x', '192.0.2.9')).status).toBe(200);
  });

  it('denies a client whose address is unknown', async () => {
    const res = await nodeRequest(accessApp(policy), 'https://acme.localhost/');
    expect(res.status).toBe(403);
  });
});

describe('authBypass', () => {
  it('lets the office network in without credentials, holding exactly the zone roles', async () => {
    const runs = scryptRuns.count;
    const res = await get('https://acme.localhost/admin/page', '203.0.113.70');
    expect(res).toEqual({
      status: 200,
      body: { clientIp: '203.0.113.70', zone: 'admin', user: { name: '', roles: ['admin'], via: 'bypass' } },
    });
    expect(scryptRuns.count).toBe(runs);
  });

  it('ignores credentials sent from a bypass network', async () => {
    const res = await get('https://acme.localhost/admin', '203.0.113.70', {
      authorization: basic('alice', 'wrong'),
    });
    expect(res.body.user?.via).toBe('bypass');
  });

  it('never widens an allow-list: a bypass network outside it is still denied', async () => {
    expect((await get('https://acme.localhost/admin', '198.51.100.7')).status).toBe(403);
  });

  it('still asks everyone else for credentials, and accepts them', async () => {
    expect((await get('https://acme.localhost/admin', '203.0.113.5')).status).toBe(401);
    const ok = await get('https://acme.localhost/admin', '203.0.113.5', {
      authorization: basic('alice', 'Alice-Password-1'),
    });
    expect(ok.body.user).toEqual({ name: 'alice', roles: ['admin'], via: 'basic' });
  });
});
