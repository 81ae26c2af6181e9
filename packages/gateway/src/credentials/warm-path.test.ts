import { describe, expect, it } from 'vitest';
import { CREDENTIAL_CACHE } from '../basic-auth/index.js';
import { memoryDeps } from '../create-deps.js';
import { accessApp, basic, from, testPolicy } from '../testing/access-app.js';
import { nodeRequest } from '../testing/node-request.js';
import { legacyRuns } from './legacy-hash.js';

const API = 'https://acme.localhost/api/v1/results';

describe('an htpasswd user on Basic auth', () => {
  it('is verified against the legacy hash once, then answered from the credential cache until the TTL ends', async () => {
    const policy = testPolicy({
      tenants: {
        acme: {
          hosts: ['acme.localhost'],
          users: { nginx: { passwordHash: '$apr1$12345678$0lqb/6VUFP8JY/s/jTrIk0', roles: ['integration'] } },
          zones: [{ name: 'api', path: '/api', auth: 'basic' }],
        },
      },
    });
    let now = 1_000_000;
    // memoryDeps: no policy file, so no upgrade — the hash stays legacy and every check is visible.
    const app = accessApp(policy, memoryDeps({ now: () => now }));
    const call = (password: string) =>
      nodeRequest(app, API, { headers: { authorization: basic('nginx', password) } }, from('203.0.113.7'));
    expect((await call('wrong')).status).toBe(401);
    const before = legacyRuns.count;
    expect((await call('secret')).status).toBe(200);
    expect(legacyRuns.count).toBe(before + 1);
    for (let i = 0; i < 5; i++) expect((await call('secret')).status).toBe(200);
    expect(legacyRuns.count).toBe(before + 1);
    now += CREDENTIAL_CACHE.ttl + 1;
    expect((await call('secret')).status).toBe(200);
    expect(legacyRuns.count).toBe(before + 2);
  });
});
