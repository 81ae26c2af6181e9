import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryDeps } from '../create-deps.js';
import { hashPassword } from '../credentials/password.js';
import { errorHandler } from '../pages/index.js';
import { parsePolicy } from '../policy/load.js';
import { rq } from '../request-state.js';
import { nodeRequest } from '../testing/node-request.js';
import type { GatewayEnv } from '../types.js';
import { logsRoute } from './route.js';

const FAST = { N: 1024, r: 8, p: 1 };
const NOW = Date.parse('2026-11-28T12:00:00Z');
let root: string;
let app: Hono<GatewayEnv>;
let deps: ReturnType<typeof memoryDeps>;

const basic = (user: string, pw: string) => ({ authorization: `Basic ${btoa(`${user}:${pw}`)}` });
const line = (tenant: string, reqId: string, ts: string) => JSON.stringify({ ts, reqId, tenant, path: '/x' });

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'rg-route-'));
  const tenant = async (host: string) => ({
    hosts: [host],
    lockout: { maxFailures: 3, addressMaxFailures: 3 },
    users: {
      admin: { passwordHash: await hashPassword('admin-pass-123', FAST), roles: ['admin'] },
      clerk: { passwordHash: await hashPassword('clerk-pass-123', FAST), roles: ['integration'] },
    },
    zones: [{ name: 'all', path: '/', auth: 'none' }],
  });
  const policy = parsePolicy({
    version: 1,
    server: { https: { certFile: 'c', keyFile: 'k' }, upstream: { url: 'http://127.0.0.1:1' } },
    logs: { dir: root },
    tenants: { 'school-a': await tenant('a.localhost'), 'school-b': await tenant('b.localhost') },
  });
  for (const t of ['school-a', 'school-b']) {
    await mkdir(join(root, t));
    await writeFile(
      join(root, t, 'access-2026-11-27.jsonl'),
      `${line(t, `${t}-1`, '2026-11-27T10:00:00.000Z')}\n${line(t, `${t}-2`, '2026-11-27T23:00:00.000Z')}\n`,
    );
    await writeFile(
      join(root, t, 'access-2026-11-28.jsonl'),
      `${line(t, `${t}-3`, '2026-11-28T01:00:00.000Z')}\n`,
    );
  }
  deps = memoryDeps({ now: () => NOW });
  const ctx = { policy, deps };
  app = new Hono<GatewayEnv>();
  app.onError(errorHandler(ctx));
  app.use(async (c, next) => {
    rq(c).requestId = 'r';
    rq(c).clientIp = c.req.header('x-test-ip') ?? '198.51.100.1';
    rq(c).tenantId = c.req.header('host') === 'b.localhost' ? 'school-b' : 'school-a';
    await next();
  });
  app.all('/.gateway/logs', logsRoute(ctx));
});
afterAll(() => rm(root, { recursive: true, force: true }));

const get = (query: string, headers: Record<string, string> = {}) =>
  nodeRequest(app, `https://a.localhost/.gateway/logs${query}`, {
    headers: { host: 'a.localhost', ...headers },
  });

describe('GET /.gateway/logs', () => {
  it("gives a tenant admin that tenant's lines in the range, and nothing of another tenant", async () => {
    const res = await get('?from=2026-11-27&to=2026-11-28', basic('admin', 'admin-pass-123'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/x-ndjson');
    const ids = (await res.text())
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l).reqId);
    expect(ids).toEqual(['school-a-1', 'school-a-2', 'school-a-3']);
  });

  it('narrows to a time range and exports CSV', async () => {
    const res = await get(
      '?from=2026-11-27T12:00:00Z&to=2026-11-28&format=csv',
      basic('admin', 'admin-pass-123'),
    );
    const rows = (await res.text()).trimEnd().split('\r\n');
    expect(rows[0]).toMatch(/^ts,reqId,tenant,zone,ip/);
    expect(rows.slice(1).map((r) => r.split(',')[1])).toEqual(['school-a-2', 'school-a-3']);
  });

  it('challenges without credentials and refuses a non-admin like a wrong password', async () => {
    const none = await get('');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Basic realm="school-a logs"/);
    // 401, not 403: a 403 would confirm the clerk's password to whoever tried it.
    expect((await get('', basic('clerk', 'clerk-pass-123'))).status).toBe(401);
  });

  it("refuses school-b's admin password on school-a's host", async () => {
    // Same user name, but school-a's hash: school-b's credentials never open school-a.
    const res = await get('', { ...basic('admin', 'wrong-for-a'), 'x-test-ip': '198.51.100.9' });
    expect(res.status).toBe(401);
    expect(deps.auditEvents.at(-1)).toMatchObject({
      type: 'auth_failure',
      tenant: 'school-a',
      user: 'admin',
    });
    expect(JSON.stringify(deps.auditEvents)).not.toContain('wrong-for-a');
  });

  it('locks out after repeated failures, even with the right password', async () => {
    const ip = { 'x-test-ip': '198.51.100.66' };
    for (let i = 0; i < 3; i++) await get('', { ...basic('nobody', 'x'), ...ip });
    const res = await get('', { ...basic('admin', 'admin-pass-123'), ...ip });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBeTruthy();
  });

  it('rejects a bad kind or range', async () => {
    expect((await get('?kind=secrets', basic('admin', 'admin-pass-123'))).status).toBe(400);
    expect((await get('?from=yesterday', basic('admin', 'admin-pass-123'))).status).toBe(400);
  });
});
