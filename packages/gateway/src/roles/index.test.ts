import { beforeAll, describe, expect, it } from 'vitest';
import type { Policy } from '../policy/schema.js';
import { type AccessReply, accessApp, basic, from, testPolicy, testUsers } from '../testing/access-app.js';
import { nodeRequest } from '../testing/node-request.js';
import { hasAnyRole } from './index.js';

let policy: Policy;

beforeAll(async () => {
  policy = testPolicy({
    tenants: {
      acme: {
        hosts: ['acme.localhost'],
        users: await testUsers([
          ['admin', 'Admin-Password-1', ['admin', 'auditor']],
          ['sync', 'Sync-Password-1', ['integration']],
          ['nobody', 'Nobody-Password-1', []],
        ]),
        zones: [
          { name: 'admin', path: '/admin', auth: 'basic', roles: ['admin', 'owner'] },
          { name: 'any-user', path: '/me', auth: 'basic' },
          { name: 'misconfigured', path: '/open-admin', auth: 'none', roles: ['admin'] },
          { name: 'public', path: '/', auth: 'none' },
        ],
      },
    },
  });
});

async function status(path: string, user?: [string, string]) {
  const headers = user ? { authorization: basic(...user) } : undefined;
  const res = await nodeRequest(
    accessApp(policy),
    `https://acme.localhost${path}`,
    { headers },
    from('203.0.113.7'),
  );
  return res.status === 403 ? `403 ${((await res.json()) as AccessReply).error?.code}` : res.status;
}

describe('roles', () => {
  it('lets a user with one of the zone roles in', async () => {
    expect(await status('/admin', ['admin', 'Admin-Password-1'])).toBe(200);
  });

  it('forbids an authenticated user without any of the zone roles', async () => {
    expect(await status('/admin', ['sync', 'Sync-Password-1'])).toBe('403 forbidden');
    expect(await status('/admin', ['nobody', 'Nobody-Password-1'])).toBe('403 forbidden');
  });

  it('lets any authenticated user into a zone without roles', async () => {
    expect(await status('/me', ['nobody', 'Nobody-Password-1'])).toBe(200);
  });

  it('passes auth: none zones without roles, and denies one with roles (no user can hold them)', async () => {
    expect(await status('/r/abc')).toBe(200);
    expect(await status('/open-admin')).toBe('403 forbidden');
  });

  it('intersects role lists', () => {
    expect(hasAnyRole(['a', 'b'], ['c', 'b'])).toBe(true);
    expect(hasAnyRole([], ['a'])).toBe(false);
  });
});
