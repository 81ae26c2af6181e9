import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { Hono } from 'hono';
import { Registry } from 'prom-client';
import { describe, expect, it, vi } from 'vitest';
import { memoryDeps } from '../create-deps.js';
import { GatewayError } from '../errors.js';
import { parsePolicy } from '../policy/load.js';
import type { Zone } from '../policy/schema.js';
import { rq } from '../request-state.js';
import { nodeRequest } from '../testing/node-request.js';
import type { AccessLogSink, GatewayEnv } from '../types.js';
import { AccessLogWriter } from './access-sink.js';
import { LogHealth } from './health.js';
import { accessLog, isoTime } from './middleware.js';

const NOW = Date.parse('2026-11-28T04:00:00Z');

function gateway(options: { failClosed?: boolean; healthy?: boolean; sink?: AccessLogSink } = {}) {
  const policy = parsePolicy({
    version: 1,
    server: { https: { certFile: 'c', keyFile: 'k' }, upstream: { url: 'http://127.0.0.1:1' } },
    logs: { failClosed: options.failClosed ?? false },
    tenants: {
      'school-a': { hosts: ['a.localhost'], zones: [{ name: 'api', path: '/api', auth: 'basic' }] },
    },
  });
  let clock = NOW;
  const deps = memoryDeps({ now: () => clock, ...(options.sink ? { accessLog: options.sink } : {}) });
  const sink = deps.accessLog as AccessLogSink & { healthy: boolean };
  if (options.healthy === false) Object.assign(sink, { healthy: false });
  const app = new Hono<GatewayEnv>();
  app.onError((err, c) => c.json({ error: (err as GatewayError).code }, (err as GatewayError).status as 403));
  app.use(async (c, next) => {
    rq(c).requestId = 'req-1';
    rq(c).startedAt = clock;
    await next();
  });
  app.use(accessLog({ policy, deps }));
  app.use(async (c, next) => {
    rq(c).clientIp = '203.0.113.7';
    rq(c).tenantId = 'school-a';
    rq(c).zone = { name: 'api' } as Zone;
    rq(c).path = c.req.path;
    clock += 7;
    await next();
  });
  app.get('/api/ok', (c) => {
    rq(c).user = { name: 'hr-sync', roles: ['integration'], via: 'basic' };
    rq(c).upstreamMs = 4;
    return c.body('hello', 200, { 'content-length': '5' });
  });
  app.get('/api/deny', () => {
    throw new GatewayError('forbidden');
  });
  return { app, deps };
}

/** The bytes of the head Node wrote for `res`: status line, header lines, blank line. */
function headBytes(res: Response): number {
  let n = `HTTP/1.1 ${res.status} ${res.statusText}\r\n\r\n`.length;
  res.headers.forEach((value, name) => {
    n += `${name}: ${value}\r\n`.length;
  });
  return n;
}

describe('accessLog', () => {
  it('logs an allowed request with every documented field', async () => {
    const { app, deps } = gateway();
    const res = await nodeRequest(app, '/api/ok?exam=123', { headers: { 'user-agent': 'sdk/1' } });
    expect(res.status).toBe(200);
    expect(deps.accessRecords).toEqual([
      {
        ts: '2026-11-28T04:00:00.000Z',
        reqId: 'req-1',
        tenant: 'school-a',
        zone: 'api',
        ip: '203.0.113.7',
        method: 'GET',
        path: '/api/ok',
        status: 200,
        // An answer the gateway made itself is counted as it went down the socket, head included.
        bytes: headBytes(res) + 5,
        ms: 7,
        upstreamMs: 4,
        user: 'hr-sync',
        decision: 'allow',
        ua: 'sdk/1',
      },
    ]);
  });

  it('logs a denied request with the code that denied it', async () => {
    const { app, deps } = gateway();
    expect((await nodeRequest(app, '/api/deny')).status).toBe(403);
    expect(deps.accessRecords[0]).toMatchObject({ status: 403, decision: 'forbidden', user: null, ua: null });
  });

  it('writes the line when the Node response closes, with the status and bytes it sent', async () => {
    const { app, deps } = gateway();
    let finish: (() => void) | undefined;
    // As the proxy answers: straight into the Node response, which ends later.
    app.get('/api/streamed', (c) => {
      const out = c.env.outgoing;
      out.setHeader('content-length', '1234');
      out.writeHead(201);
      out.write('x'.repeat(1000));
      finish = () => out.end('y'.repeat(234));
      return RESPONSE_ALREADY_SENT;
    });
    const pending = nodeRequest(app, '/api/streamed', { headers: { 'user-agent': 'node-ua' } });
    await vi.waitFor(() => expect(finish).toBeDefined());
    expect(deps.accessRecords).toHaveLength(0);
    finish!();
    const res = await pending;
    expect([res.status, (await res.text()).length]).toEqual([201, 1234]);
    expect(deps.accessRecords[0]).toMatchObject({
      status: 201,
      bytes: 1234,
      ua: 'node-ua',
      decision: 'allow',
    });
  });

  it('answers 503 logs_unavailable when failClosed and the sink is failing', async () => {
    const { app, deps } = gateway({ failClosed: true, healthy: false });
    const res = await nodeRequest(app, '/api/ok');
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ error: 'logs_unavailable' });
    expect(deps.accessRecords[0]).toMatchObject({ status: 503, decision: 'logs_unavailable' });
  });

  it('with failClosed, answers 503 once a real write fails, and serves again once writes succeed', async () => {
    const root = await mkdtemp(join(tmpdir(), 'rg-failclosed-'));
    try {
      await writeFile(join(root, 'school-a'), 'a file where the tenant directory should be');
      const now = NOW;
      const health = new LogHealth({ now: () => now, registry: new Registry(), warn: () => {} });
      const sink = new AccessLogWriter({ dir: root, health });
      const { app } = gateway({ failClosed: true, sink });
      expect((await nodeRequest(app, '/api/ok')).status).toBe(200);
      await sink.flush();
      expect((await nodeRequest(app, '/api/ok')).status).toBe(503);
      // The failed write's line is kept and tried again: once the disk takes it, the gateway serves.
      await rm(join(root, 'school-a'));
      await sink.flush();
      expect(sink.healthy).toBe(true);
      expect((await nodeRequest(app, '/api/ok')).status).toBe(200);
      await sink.flush();
      const day = new Date(now).toISOString().slice(0, 10);
      const lines = (await readFile(join(root, 'school-a', `access-${day}.jsonl`), 'utf8'))
        .trim()
        .split('\n');
      // The request served at the onset of the fault is logged, not lost.
      expect(lines.map((l) => JSON.parse(l).status)).toEqual([200, 200]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('keeps serving when the sink is failing without failClosed', async () => {
    const { app } = gateway({ healthy: false });
    expect((await nodeRequest(app, '/api/ok')).status).toBe(200);
  });
});

describe('isoTime', () => {
  it('formats like Date#toISOString across seconds, milliseconds and fractions', () => {
    const base = Date.UTC(2026, 10, 28, 23, 59, 58);
    for (const ms of [0, 1, 9, 10, 99, 100, 999, 1000, 1001, 2500.7, 86_400_000]) {
      expect(isoTime(base + ms)).toBe(new Date(Math.floor(base + ms)).toISOString());
    }
    expect(isoTime(0)).toBe('1970-01-01T00:00:00.000Z');
  });
});
