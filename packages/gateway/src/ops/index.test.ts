import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { memoryDeps } from '../create-deps.js';
import type { PipelineContext } from '../deps.js';
import { parsePolicy } from '../policy/load.js';
import { rq } from '../request-state.js';
import { nodeRequest, type Peer } from '../testing/node-request.js';
import type { GatewayEnv } from '../types.js';
import { adminApp } from './admin.js';
import { newRequestId, requestId, setRequestIdCounter } from './index.js';

function app(trustedProxies: string[]) {
  const policy = parsePolicy({
    version: 1,
    server: {
      https: { certFile: 'c', keyFile: 'k' },
      trustedProxies,
      upstream: { url: 'http://127.0.0.1:1' },
    },
    tenants: { t: { hosts: ['t.localhost'], zones: [{ name: 'all', path: '/', auth: 'none' }] } },
  });
  const ctx: PipelineContext = { policy, deps: memoryDeps({ now: () => 1_000 }) };
  const a = new Hono<GatewayEnv>();
  a.use(requestId(ctx));
  a.all('*', (c) => c.json({ id: rq(c).requestId, startedAt: rq(c).startedAt }));
  return { a, ctx };
}
const from = (peer: string): Peer => ({ remoteAddress: peer });

describe('newRequestId', () => {
  it('gives UUID-shaped ids that do not repeat', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 50_000; i++) seen.add(newRequestId());
    expect(seen.size).toBe(50_000);
    for (const id of [...seen].slice(0, 100)) {
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    }
  });
});

describe('newRequestId counter', () => {
  it('carries from the low 24 bits into the high ones, and wraps after 48 bits', () => {
    setRequestIdCounter(0x12, 0xfffffe);
    expect(newRequestId().slice(-12)).toBe('000012ffffff');
    expect(newRequestId().slice(-12)).toBe('000013000000');
    setRequestIdCounter(0xffffff, 0xffffff);
    expect(newRequestId().slice(-12)).toBe('000000000000');
  });
});

describe('requestId', () => {
  it('keeps X-Request-Id from a trusted proxy and answers with it', async () => {
    const { a } = app(['10.0.0.0/8']);
    const res = await nodeRequest(
      a,
      'https://t.localhost/',
      { headers: { 'x-request-id': 'lb-123' } },
      from('10.0.0.1'),
    );
    expect(await res.json()).toEqual({ id: 'lb-123', startedAt: 1_000 });
    expect(res.headers.get('x-request-id')).toBe('lb-123');
  });

  it('replaces X-Request-Id from anyone else, and ids that could split a log line', async () => {
    const { a } = app(['10.0.0.0/8']);
    const untrusted = await nodeRequest(
      a,
      'https://t.localhost/',
      { headers: { 'x-request-id': 'spoof' } },
      from('192.0.2.1'),
    );
    expect(((await untrusted.json()) as { id: string }).id).toMatch(/^[0-9a-f-]{36}$/);
    const odd = await nodeRequest(
      a,
      'https://t.localhost/',
      { headers: { 'x-request-id': 'a b' } },
      from('10.0.0.1'),
    );
    expect(((await odd.json()) as { id: string }).id).not.toBe('a b');
  });

  it('counts requests in /metrics and answers /healthz', async () => {
    const { a, ctx } = app([]);
    await nodeRequest(a, 'https://t.localhost/');
    const admin = adminApp({ deps: ctx.deps, ready: () => true });
    expect(await (await admin.request('/healthz')).json()).toEqual({ status: 'ok' });
    const text = await (await admin.request('/metrics')).text();
    expect(text).toContain(
      'resultgate_requests_total{tenant="_gateway",zone="_none",decision="allow",code="2xx"} 1',
    );
    expect(text).toContain('resultgate_request_duration_seconds_count{tenant="_gateway"} 1');
    expect((await admin.request('/readyz')).status).toBe(200);
    expect((await adminApp({ deps: ctx.deps, ready: () => false }).request('/readyz')).status).toBe(503);
  });
});
