/**
 * createGateway returns the complete app (#16 item 3): the built-in pages answer without
 * startGateway; and a second load on the same deps keeps their state (item 4).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { roomKey } from './admission/index.js';
import { createGateway } from './app.js';
import { closeDeps, memoryDeps } from './create-deps.js';
import type { Policy } from './policy/schema.js';
import { testPolicy, testUsers } from './testing/access-app.js';
import { nodeRequest } from './testing/node-request.js';

let policy: Policy;

beforeAll(async () => {
  policy = testPolicy({
    tenants: {
      'school-a': {
        hosts: ['school-a.localhost'],
        users: await testUsers([['admin', 'Admin-Password-1', ['admin']]]),
        zones: [
          { name: 'admin', path: '/admin', auth: 'form', roles: ['admin'] },
          { name: 'recipient', path: '/', auth: 'none', maxConcurrent: 4 },
        ],
      },
    },
  });
});

describe('createGateway', () => {
  it('answers the login, logout, notices and logs pages itself', async () => {
    const app = createGateway({ policy, deps: memoryDeps() });
    const request = (path: string, init?: RequestInit) =>
      nodeRequest(app, `https://school-a.localhost${path}`, init, '192.0.2.10');

    const login = await request('/.gateway/login', { headers: { accept: 'text/html' } });
    expect(login.status).toBe(200);
    expect(await login.text()).toContain('action="/.gateway/login');
    expect(await (await request('/.gateway/notices')).json()).toEqual({ notices: [] });
    const logs = await request('/.gateway/logs');
    expect(logs.status).toBe(401);
    expect(logs.headers.get('www-authenticate')).toMatch(/^Basic /);
    const logout = await request('/.gateway/logout', { method: 'POST' });
    expect(((await logout.json()) as { error: { code: string } }).error.code).toBe('csrf_failed');
    expect((await request('/.gateway/nothing')).status).toBe(404);
  });

  it('lets a caller add a reserved page beside the built-in ones', async () => {
    const app = createGateway({
      policy,
      deps: memoryDeps(),
      reserved: { '/.gateway/hello': (c) => c.text('hello') },
    });
    const get = (path: string) => nodeRequest(app, `https://school-a.localhost${path}`, {}, '192.0.2.10');
    expect(await (await get('/.gateway/hello')).text()).toBe('hello');
    expect((await get('/.gateway/notices')).status).toBe(200);
  });

  it('builds the next load on the same state: one pool, one set of metrics, the limiters carried over', async () => {
    const deps = memoryDeps();
    const metrics = deps.metrics;
    createGateway({ policy, deps });
    const pool = [...deps.upstreamPools.values()][0];
    const limiter = deps.admissionRooms.get(roomKey('school-a', 'recipient'))?.limiter;
    expect(limiter).toBeDefined();

    createGateway({ policy, deps });
    expect(deps.metrics).toBe(metrics);
    expect([...deps.upstreamPools.values()]).toEqual([pool]);
    expect(deps.admissionRooms.get(roomKey('school-a', 'recipient'))?.limiter).toBe(limiter);

    await closeDeps(deps);
    expect(deps.upstreamPools.size).toBe(0);
  });
});
