/**
 * Logs end to end: mixed traffic for two tenants and an unknown host through the real gateway
 * (TLS, real sockets, echo upstream), then the files on disk — each tenant's access file holds
 * exactly its requests with the documented fields, nothing secret is in any line, the tenant
 * admin's /.gateway/logs gives only that tenant's lines, and `resultgate logs verify` passes,
 * then fails after an edited line and after a cut head.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PolicyInput } from '@resultgate/gateway';
import { type Logs, logsRoute, openLogs } from '@resultgate/gateway/testing';
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
import { runCli } from './helpers/serve.js';

const SECRETS = {
  passwords: ['Sync-Password-1', 'WrongPass-XYZ', 'B-Sync-Password-1', 'B-Wrong-Pass', 'Admin-Password-1'],
  cookie: 'COOKIEVALUE42',
  queries: ['SECRETQUERY123', 'QTOKEN77', 'QUERYB999', 'NOHOSTQ55', '?code=', '?token=', '?pin='],
};

const tenants: PolicyInput['tenants'] = {
  'school-a': {
    hosts: ['school-a.localhost'],
    users: {
      'hr-sync': { passwordHash: cheapHash('Sync-Password-1'), roles: ['integration'] },
      admin: { passwordHash: cheapHash('Admin-Password-1'), roles: ['admin'] },
    },
    zones: [
      { name: 'api', path: '/api', auth: 'basic', roles: ['integration'] },
      { name: 'recipient', path: '/r', auth: 'none' },
    ],
  },
  'school-b': {
    hosts: ['school-b.localhost'],
    users: { 'b-sync': { passwordHash: cheapHash('B-Sync-Password-1'), roles: ['integration'] } },
    zones: [
      { name: 'api', path: '/api', auth: 'basic', roles: ['integration'] },
      { name: 'recipient', path: '/r', auth: 'none' },
    ],
  },
};

const FIELDS = [
  'ts',
  'reqId',
  'tenant',
  'zone',
  'ip',
  'method',
  'path',
  'status',
  'bytes',
  'ms',
  'upstreamMs',
  'user',
  'decision',
  'ua',
];

let echo: EchoUpstream;
let gw: TestGateway;
let logs: Logs;
let logDir: string;
const sent: Record<string, string[]> = { 'school-a': [], 'school-b': [], _gateway: [] };
const bodies = new Map<string, string>();

async function send(tenant: keyof typeof sent, req: Omit<RawRequest, 'port'>) {
  const res = await httpsRequest({ port: gw.httpsPort, ...req });
  sent[tenant]!.push(String(res.headers['x-request-id']));
  bodies.set(String(res.headers['x-request-id']), res.body);
  return res;
}

async function readAccess(tenant: string): Promise<Record<string, unknown>[]> {
  const dir = join(logDir, tenant);
  const files = (await readdir(dir).catch(() => [])).filter((f) => f.startsWith('access-'));
  const lines: Record<string, unknown>[] = [];
  for (const f of files.sort())
    for (const l of (await readFile(join(dir, f), 'utf8')).split('\n')) if (l) lines.push(JSON.parse(l));
  return lines;
}

async function allLogText(dir = logDir): Promise<string> {
  let text = '';
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true }))
    if (entry.isFile()) text += await readFile(join(entry.parentPath, entry.name), 'utf8');
  return text;
}

const resultgate = (args: string[]) => runCli(args);

beforeAll(async () => {
  logDir = await mkdtemp(join(tmpdir(), 'resultgate-logs-e2e-'));
  logs = await openLogs({ dir: logDir, retentionDays: 30 }, { flushMs: 10 });
  echo = await startEchoUpstream();
  gw = await startTestGateway({
    upstream: echo.url,
    tenants,
    extra: { logs: { dir: logDir } },
    deps: { accessLog: logs.accessLog, audit: logs.audit },
    reserved: (ctx) => ({ '/.gateway/logs': logsRoute(ctx) }),
  });

  const cookie = { cookie: `rg_session=${SECRETS.cookie}; __Host-rg=${SECRETS.cookie}` };
  await send('school-a', {
    path: '/r/view?code=SECRETQUERY123',
    headers: { ...cookie, 'user-agent': 'e2e\t"}{forged' },
  });
  await send('school-a', {
    path: '/api/v1/results?token=QTOKEN77',
    headers: { authorization: basic('hr-sync', 'Sync-Password-1'), ...cookie },
  });
  await send('school-a', {
    path: '/api/v1/results',
    headers: { authorization: basic('hr-sync', 'WrongPass-XYZ') },
  });
  await send('school-a', {
    path: '/api/v1/results',
    headers: { authorization: basic('hr-sync', 'WrongPass-XYZ') },
  });
  await send('school-a', { path: '/nowhere' });
  await send('school-a', { path: '/r/submit', method: 'POST', body: 'x=1' });
  await send('school-b', { host: 'school-b.localhost', path: '/r?pin=QUERYB999' });
  await send('school-b', {
    host: 'school-b.localhost',
    path: '/api/x',
    headers: { authorization: basic('b-sync', 'B-Wrong-Pass') },
  });
  // Refused before the path step: logged with the path as sent (not decoded), still without the query.
  await send('_gateway', { host: 'unknown.localhost', path: '/%E5%B1%B1/a%20b?pin=NOHOSTQ55' });
});

afterAll(async () => {
  await gw?.close();
  await echo?.close();
  await logs?.close();
  await rm(logDir, { recursive: true, force: true });
});

/** The access lines are written when each response closes: flush until they are all there (≤ 5 s). */
async function settled(): Promise<void> {
  for (let i = 0; i < 100; i++) {
    await logs.flush();
    const counts = await Promise.all(Object.keys(sent).map(async (t) => (await readAccess(t)).length));
    if (counts.every((n, j) => n >= sent[Object.keys(sent)[j]!]!.length)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('logs end to end', () => {
  it("writes each tenant's requests, and only those, with exactly the documented fields", async () => {
    await settled();
    for (const [tenant, ids] of Object.entries(sent)) {
      const lines = await readAccess(tenant);
      expect(lines.map((l) => l.reqId).sort()).toEqual([...ids].sort());
      for (const l of lines) {
        expect(Object.keys(l)).toEqual(FIELDS);
        expect(l.tenant).toBe(tenant);
      }
    }
    const a = await readAccess('school-a');
    const byId = new Map(a.map((l) => [l.reqId, l]));
    const [view, api, bad, , none, post] = sent['school-a']!.map((id) => byId.get(id)!);
    expect(view).toMatchObject({
      zone: 'recipient',
      path: '/r/view',
      status: 200,
      decision: 'allow',
      user: null,
      ip: '127.0.0.1',
      ua: 'e2e\t"}{forged',
    });
    expect(api).toMatchObject({
      zone: 'api',
      method: 'GET',
      status: 200,
      user: 'hr-sync',
      decision: 'allow',
    });
    // The proxy counts socket bytes (headers included) when the upstream sends no Content-Length.
    expect(api!.bytes).toBeGreaterThanOrEqual(Buffer.byteLength(bodies.get(String(api!.reqId))!));
    expect(typeof api!.upstreamMs).toBe('number');
    expect(bad).toMatchObject({ status: 401, decision: 'unauthorized', user: null, upstreamMs: null });
    // A denial the gateway answered itself counts its own body, too.
    expect(bad!.bytes).toBeGreaterThan(0);
    expect(none).toMatchObject({ status: 404, decision: 'no_route', zone: null });
    expect(post).toMatchObject({ method: 'POST', status: 200 });
    expect((await readAccess('_gateway'))[0]).toMatchObject({
      status: 404,
      decision: 'unknown_host',
      zone: null,
      path: '/%E5%B1%B1/a%20b',
    });
  });

  it('never writes a password, a Basic header, a cookie value or a query string', async () => {
    await settled();
    const text = await allLogText();
    for (const s of [...SECRETS.passwords, SECRETS.cookie, ...SECRETS.queries, 'Basic '])
      expect(text).not.toContain(s);
    expect(
      text
        .split('\n')
        .filter(Boolean)
        .every((l) => JSON.parse(l)),
    ).toBe(true);
  });

  it("gives the tenant admin only that tenant's lines at /.gateway/logs", async () => {
    await settled();
    const res = await httpsRequest({
      port: gw.httpsPort,
      path: '/.gateway/logs?kind=access',
      headers: { authorization: basic('admin', 'Admin-Password-1') },
    });
    expect(res.status).toBe(200);
    const lines = res.body
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.length).toBeGreaterThanOrEqual(sent['school-a']!.length);
    expect(new Set(lines.map((l) => l.tenant))).toEqual(new Set(['school-a']));
    const denied = await httpsRequest({
      port: gw.httpsPort,
      host: 'school-b.localhost',
      path: '/.gateway/logs',
      headers: { authorization: basic('admin', 'Admin-Password-1') },
    });
    expect(denied.status).toBe(401);
  });

  it('audits the failures on a chain that `resultgate logs verify` accepts, then rejects when tampered', async () => {
    await settled();
    const dir = join(logDir, 'school-a');
    const [file] = (await readdir(dir)).filter((f) => f.startsWith('audit-'));
    const auditText = await readFile(join(dir, file!), 'utf8');
    const events = auditText
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(events.filter((e) => e.type === 'auth_failure' && e.user === 'hr-sync')).toHaveLength(2);
    expect(await resultgate(['logs', 'verify', logDir])).toMatchObject({ code: 0 });

    await writeFile(join(dir, file!), auditText.replace('"bad_password"', '"typo"'));
    const edited = await resultgate(['logs', 'verify', logDir]);
    expect(edited.code).toBe(1);
    expect(edited.stdout).toContain(`FAIL school-a/${file}:1: hash does not match the line: line edited`);

    const lines = auditText.trimEnd().split('\n');
    await writeFile(join(dir, file!), `${lines.slice(0, -1).join('\n')}\n`);
    const cut = await resultgate(['logs', 'verify', dir]);
    expect(cut.code).toBe(1);
    expect(cut.stdout).toContain('FAIL school-a/audit-head.json: the head records seq');
    await writeFile(join(dir, file!), auditText);
  });
});
