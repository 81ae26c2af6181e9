/**
 * End-to-end: the SDK error classes that test/sdk.test.ts does not reach, each provoked for real
 * through the real gateway over TLS — a user without the zone's role (PermissionError), a full
 * zone (OverloadedError), a slow answer (TimeoutError), no listener and an untrusted certificate
 * (NetworkError) — plus a retry after a real `504` that the upstream sees carry the same
 * Idempotency-Key twice, and debug events of a real send that hold no personal data.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RunningResultService } from '@resultgate/example-result-service';
import type { PolicyInput } from '@resultgate/gateway';
import {
  type ClientOptions,
  type DebugEvent,
  NetworkError,
  OverloadedError,
  PermissionError,
  ResultClient,
  type ResultInput,
  TimeoutError,
} from '@resultgate/sdk';
import { createNodeFetch, LOCALHOST_RESOLVE } from '@resultgate/sdk/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cheapHash,
  type EchoUpstream,
  httpsRequest,
  startEchoUpstream,
  startTestGateway,
  type TestGateway,
  testCertificate,
} from './helpers/index.js';
import { startTestResultService, type TestResultService } from './helpers/result-service.js';

const PASSWORD = 'Sync-Password-1';
const users = {
  'hr-sync': { passwordHash: cheapHash(PASSWORD), roles: ['integration'] },
  viewer: { passwordHash: cheapHash(PASSWORD), roles: ['viewer'] },
};
const tenant = (host: string, api: Record<string, unknown> = {}): PolicyInput['tenants'][string] => ({
  hosts: [host],
  users,
  zones: [{ name: 'api', path: '/api', auth: 'basic', roles: ['integration'], ...api }],
});

let results: TestResultService;
let service: RunningResultService;
let serviceGw: TestGateway;
let slow: EchoUpstream;
let slowGw: TestGateway;
let busyGw: TestGateway;
let ca: string;
/** POSTs to /api/v1/results the slow upstream has seen; the first is answered too late. */
let posts = 0;
const timers = new Set<NodeJS.Timeout>();

/** The slow upstream: the first POST of a result after the gateway's timeout, then at once. */
function slowHandler(req: IncomingMessage, res: ServerResponse): boolean {
  const answer = (status: number, body: unknown) => {
    if (!res.destroyed)
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };
  if (req.method === 'POST' && req.url === '/api/v1/results') {
    const created = { id: 'res_slow', externalId: 'slow-1', status: 'scheduled', accessCode: 'A', pin: '1' };
    if (++posts === 1) later(1_500, () => answer(201, created));
    else answer(201, created);
    return true;
  }
  if (req.url?.startsWith('/api/hold') || req.url === '/api/v1/results/hold-on') {
    later(1_200, () => answer(200, { held: true }));
    return true;
  }
  return false;
}

beforeAll(async () => {
  results = await startTestResultService('sdk-errors-e2e-', { schedulerIntervalMs: 100 });
  service = results.service;
  const { identitySecret } = results;
  serviceGw = await startTestGateway({
    upstream: service.url,
    tenants: { 'school-a': tenant('school-a.localhost') },
    deps: { identitySecret },
  });
  slow = await startEchoUpstream({ handle: slowHandler });
  slowGw = await startTestGateway({
    upstream: slow.url,
    tenants: { 'school-a': tenant('school-a.localhost') },
    upstreamOptions: { timeout: '400ms' },
  });
  busyGw = await startTestGateway({
    upstream: slow.url,
    tenants: { acme: tenant('acme-hr.localhost', { maxConcurrent: 1, maxQueue: 0 }) },
  });
  ca = (await testCertificate()).cert;
});

afterAll(async () => {
  await serviceGw?.close();
  await slowGw?.close();
  // Drains the request the timed-out client left behind (the slow upstream answers it at 1.2 s).
  await busyGw?.close();
  for (const t of timers) clearTimeout(t);
  await slow?.close();
  await results?.close();
});

function client(gw: TestGateway, extra: Partial<ClientOptions> = {}, host = 'school-a.localhost') {
  return new ResultClient({
    baseUrl: `https://${host}:${gw.httpsPort}`,
    username: 'hr-sync',
    password: PASSWORD,
    fetch: createNodeFetch({ resolve: { ...LOCALHOST_RESOLVE }, ca }),
    retry: { limit: 2, baseDelay: 20, maxDelay: 100 },
    ...extra,
  });
}
const item = (externalId: string): ResultInput => ({
  externalId,
  recipient: { id: `R-${externalId}`, name: 'Yamada Hanako', email: 'hanako@example.jp' },
  title: '2027年度 入学試験',
  outcome: '合格-OUTCOME',
  details: { score: 'SCORE-987' },
});

describe('SDK error classes provoked for real', () => {
  it('a user without the zone role is a PermissionError (403 forbidden), not retried', async () => {
    let attempts = 0;
    const inner = createNodeFetch({ resolve: { ...LOCALHOST_RESOLVE }, ca });
    const err = await client(serviceGw, {
      username: 'viewer',
      fetch: (input, init) => {
        attempts++;
        return inner(input, init);
      },
    })
      .results.get('res_x')
      .catch((e) => e);
    expect(err).toBeInstanceOf(PermissionError);
    expect(err).toMatchObject({ code: 'forbidden', status: 403, retryable: false });
    expect(err.requestId).toEqual(expect.any(String));
    expect(attempts).toBe(1);
  });

  it('a zone at maxConcurrent is an OverloadedError with retryAfter', async () => {
    const hold = httpsRequest({
      port: busyGw.httpsPort,
      host: 'acme-hr.localhost',
      path: '/api/hold',
      headers: { authorization: `Basic ${Buffer.from(`hr-sync:${PASSWORD}`).toString('base64')}` },
    });
    try {
      await new Promise((r) => setTimeout(r, 200)); // the held request has the zone's only slot
      const err = await client(busyGw, { retry: 0 }, 'acme-hr.localhost')
        .results.get('res_x')
        .catch((e) => e);
      expect(err).toBeInstanceOf(OverloadedError);
      expect(err).toMatchObject({ code: 'overloaded', status: 503, retryable: true });
      expect(err.retryAfter).toBeGreaterThan(0);
    } finally {
      expect((await hold).status).toBe(200);
    }
  });

  it('waits out the Retry-After of a real 503 overloaded, then succeeds', async () => {
    const hold = httpsRequest({
      port: busyGw.httpsPort,
      host: 'acme-hr.localhost',
      path: '/api/hold',
      headers: { authorization: `Basic ${Buffer.from(`hr-sync:${PASSWORD}`).toString('base64')}` },
    });
    try {
      await new Promise((r) => setTimeout(r, 200));
      const statuses: number[] = [];
      const t0 = Date.now();
      const got = await client(
        busyGw,
        { debug: (e) => e.event === 'response' && statuses.push(e.status ?? 0) },
        'acme-hr.localhost',
      )
        .results.get('after-wait')
        .catch((e) => e);
      const waited = Date.now() - t0;
      expect(got).toMatchObject({ url: '/api/v1/results/after-wait' }); // the echo upstream's answer
      expect(statuses).toEqual([503, 200]);
      // The gateway says Retry-After: 2; the backoff alone would be under 100 ms.
      expect(waited).toBeGreaterThanOrEqual(1_900);
    } finally {
      expect((await hold).status).toBe(200);
    }
  });

  it('no answer within the timeout is a TimeoutError', async () => {
    const t0 = Date.now();
    const err = await client(busyGw, { timeout: 300, retry: 0 }, 'acme-hr.localhost')
      .results.get('hold-on')
      .catch((e) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err.status).toBeUndefined();
    expect(Date.now() - t0).toBeLessThan(1_100); // well before the upstream's answer at 1.2 s
  });

  it('no listener, or a certificate nobody vouches for, is a NetworkError', async () => {
    const closed = await startEchoUpstream();
    await closed.close();
    const refused = await new ResultClient({
      baseUrl: `https://school-a.localhost:${closed.port}`,
      fetch: createNodeFetch({ resolve: { ...LOCALHOST_RESOLVE }, ca }),
      retry: 0,
    }).results
      .get('x')
      .catch((e) => e);
    expect(refused).toBeInstanceOf(NetworkError);
    expect(refused.status).toBeUndefined();
    const untrusted = await new ResultClient({
      baseUrl: `https://school-a.localhost:${serviceGw.httpsPort}`,
      fetch: createNodeFetch({ resolve: { ...LOCALHOST_RESOLVE } }),
      retry: 0,
    }).results
      .get('x')
      .catch((e) => e);
    expect(untrusted).toBeInstanceOf(NetworkError);
  });
});

describe('retries and privacy through the real gateway', () => {
  it('retries a POST after a real 504 with the same Idempotency-Key, seen twice upstream', async () => {
    const seen = slow.requests.length;
    const created = await client(slowGw).results.send(item('slow-1'));
    expect(created.id).toBe('res_slow');
    const keys = slow.requests
      .slice(seen)
      .filter((r) => r.method === 'POST')
      .map((r) => r.headers['idempotency-key']);
    expect(keys).toHaveLength(2);
    expect(keys[0]).toMatch(/^rg1-/);
    expect(keys[1]).toBe(keys[0]);
  });

  it('debug events of a real send and status read hold no name, e-mail, outcome or details', async () => {
    const events: DebugEvent[] = [];
    const c = client(serviceGw, { debug: (e) => events.push(e) });
    const created = await c.results.send(item('debug-1'));
    await c.results.status(created.id);
    expect(events.filter((e) => e.event === 'response').map((e) => e.status)).toEqual([201, 200]);
    const text = JSON.stringify(events);
    expect(text).toContain('[redacted]'); // the body was there, with its personal fields replaced
    for (const secret of ['Yamada Hanako', 'hanako@example.jp', '合格-OUTCOME', 'SCORE-987', PASSWORD])
      expect(text).not.toContain(secret);
    expect(text).not.toContain(created.accessCode);
    expect(text).toContain('debug-1'); // the business key stays, so a support case can be traced
  });
});
