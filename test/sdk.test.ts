/**
 * End-to-end: @resultgate/sdk through the real gateway (TLS, Basic auth, allow-lists, lockout,
 * maintenance) and the real result service — every error class provoked for real, retries that
 * reuse one Idempotency-Key, sendMany resumed after a crash without duplicates, `for await` over
 * several pages, and a status webhook verified (a forged one rejected).
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RunningResultService } from '@resultgate/example-result-service';
import type { PolicyInput } from '@resultgate/gateway';
import {
  AuthenticationError,
  type ClientOptions,
  ConflictError,
  IpNotAllowedError,
  MaintenanceError,
  NotFoundError,
  RateLimitError,
  ResultClient,
  type ResultInput,
  type SendManyReport,
  UpstreamError,
  ValidationError,
} from '@resultgate/sdk';
import { createNodeFetch, LOCALHOST_RESOLVE } from '@resultgate/sdk/node';
import { signWebhook, verifyWebhook, type WebhookVerificationError } from '@resultgate/sdk/webhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cheapHash, startTestGateway, type TestGateway, testCertificate } from './helpers/index.js';
import { startTestResultService, type TestResultService } from './helpers/result-service.js';

/** A cheap scrypt hash (N=1024): this test is about the SDK, not the hashing cost. */

const PASSWORD = 'Sync-Password-1';
const user = () => ({ 'hr-sync': { passwordHash: cheapHash(PASSWORD), roles: ['integration'] } });
const zones = [
  { name: 'api', path: '/api', auth: 'basic' as const, roles: ['integration'] },
  { name: 'recipient', path: '/', auth: 'none' as const },
];
const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();
// The test certificate names school-a.localhost and acme-hr.localhost (Node matches no
// `*.localhost` wildcard), so each special tenant gets its own gateway on acme-hr.localhost.
const tenants: PolicyInput['tenants'] = {
  'school-a': { hosts: ['school-a.localhost'], users: user(), zones },
};
const special: Record<string, PolicyInput['tenants'][string]> = {
  walled: { hosts: ['acme-hr.localhost'], ipAllow: ['203.0.113.0/24'], users: user(), zones },
  locky: {
    hosts: ['acme-hr.localhost'],
    lockout: { maxFailures: 2, window: '15m', duration: '15m' },
    users: user(),
    zones,
  },
  maint: {
    hosts: ['acme-hr.localhost'],
    users: user(),
    zones,
    maintenance: [
      {
        start: iso(Date.now() - HOUR),
        end: iso(Date.now() + HOUR),
        announced: iso(Date.now() - 8 * 24 * HOUR),
      },
    ],
  },
};
const WEBHOOK_SECRET = `whsec_${randomBytes(24).toString('base64')}`;

let results: TestResultService;
let service: RunningResultService;
let gw: TestGateway;
let deadGw: TestGateway;
const specialGw: Record<string, TestGateway> = {};
let ca: string;
const webhooks: { id: string; type: string; externalId: string }[] = [];
const refused: string[] = [];
let receiver: ReturnType<typeof createServer>;

beforeAll(async () => {
  receiver = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    try {
      const got = await verifyWebhook<{ type: string; data: { externalId: string } }>(
        Buffer.concat(chunks),
        req.headers,
        WEBHOOK_SECRET,
      );
      webhooks.push({ id: got.id, type: got.payload.type, externalId: got.payload.data.externalId });
      res.writeHead(204).end();
    } catch (err) {
      refused.push((err as WebhookVerificationError).reason);
      res.writeHead(400).end();
    }
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
  results = await startTestResultService('sdk-e2e-', {
    schedulerIntervalMs: 100,
    webhooks: { 'school-a': { url: hookUrl, secret: WEBHOOK_SECRET } },
    webhookRetryMs: [200, 500],
  });
  service = results.service;
  const { identitySecret } = results;
  gw = await startTestGateway({ upstream: service.url, tenants, deps: { identitySecret } });
  for (const [id, tenant] of Object.entries(special)) {
    specialGw[id] = await startTestGateway({
      upstream: service.url,
      tenants: { [id]: tenant },
      deps: { identitySecret },
    });
  }
  // A gateway whose upstream is stopped: a port that was free a moment ago.
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const deadPort = (closed.address() as AddressInfo).port;
  await new Promise((r) => closed.close(r));
  deadGw = await startTestGateway({
    upstream: `http://127.0.0.1:${deadPort}`,
    tenants: { 'school-a': tenants['school-a']! },
    deps: { identitySecret },
  });
  ca = (await testCertificate()).cert;
});

afterAll(async () => {
  await gw?.close();
  await deadGw?.close();
  for (const g of Object.values(specialGw)) await g.close();
  await results?.close();
  await new Promise((r) => receiver?.close(r));
});

const resolve = { ...LOCALHOST_RESOLVE };
function client(host: string, extra: Partial<ClientOptions> = {}, gateway: TestGateway = gw) {
  return new ResultClient({
    baseUrl: `https://${host}:${gateway.httpsPort}`,
    username: 'hr-sync',
    password: PASSWORD,
    fetch: createNodeFetch({ resolve, ca }),
    retry: { limit: 2, baseDelay: 20, maxDelay: 100 },
    ...extra,
  });
}
const item = (externalId: string, extra: Partial<ResultInput> = {}): ResultInput => ({
  externalId,
  recipient: { id: `R-${externalId}` },
  title: '2027年度 入学試験',
  outcome: '合格',
  ...extra,
});

describe('the SDK through the real gateway and service', () => {
  it('diagnose() says all is well over TLS', async () => {
    const d = await client('school-a.localhost').diagnose();
    expect(d).toMatchObject({
      ok: true,
      tls: { ok: true },
      credentials: { ok: true },
      addressAllowed: { ok: true },
    });
  });

  it('sends, reads the status and walks every page with for await', async () => {
    const c = client('school-a.localhost');
    const created = await c.results.send(item('e2e-page-0'));
    expect(created).toMatchObject({ externalId: 'e2e-page-0', accessCode: expect.any(String) });
    expect((await c.results.status(created.id)).steps[0]?.status).toBe('scheduled');
    for (let i = 1; i < 5; i++) await c.results.send(item(`e2e-page-${i}`));
    const ids: string[] = [];
    for await (const r of c.results.list({ limit: 2 }))
      if (r.externalId.startsWith('e2e-page-')) ids.push(r.externalId);
    expect(ids.sort()).toEqual(['e2e-page-0', 'e2e-page-1', 'e2e-page-2', 'e2e-page-3', 'e2e-page-4']);
    expect((await c.results.list({ limit: 2 })).hasNextPage()).toBe(true);
  });

  it('a retried POST reuses its Idempotency-Key and the service answers it once', async () => {
    const keys: string[] = [];
    const inner = createNodeFetch({ resolve, ca });
    let attempts = 0;
    // The connection "drops" after the service stored the result: the SDK must retry safely.
    const flaky = async (input: Request | URL | string, init?: RequestInit) => {
      const req = new Request(input, init);
      keys.push(req.headers.get('idempotency-key') ?? '');
      const res = await inner(req);
      if (++attempts === 1) throw new TypeError('fetch failed');
      return res;
    };
    const created = await client('school-a.localhost', { fetch: flaky }).results.send(item('e2e-retry'));
    expect(keys).toHaveLength(2);
    expect(keys[0]).toMatch(/^rg1-/);
    expect(keys[1]).toBe(keys[0]);
    let copies = 0;
    for await (const r of client('school-a.localhost').results.list({ limit: 200 }))
      if (r.externalId === 'e2e-retry') copies++;
    expect(copies).toBe(1);
    expect(created.externalId).toBe('e2e-retry');
  });

  it('sendMany resumes after an injected crash without a duplicate', async () => {
    const cohort = Array.from({ length: 7 }, (_, i) => item(`e2e-many-${i}`));
    const inner = createNodeFetch({ resolve, ca });
    let batches = 0;
    const crashing = async (input: Request | URL | string, init?: RequestInit) => {
      const res = await inner(input, init);
      if (++batches === 2) throw new Error('process killed after the server stored batch 2');
      return res;
    };
    let saved: SendManyReport | undefined;
    const crashed = await client('school-a.localhost', { fetch: crashing, retry: 0 })
      .results.sendMany(cohort, {
        chunkSize: 3,
        concurrency: 1,
        onProgress: (r) => {
          saved = r;
        },
      })
      .catch((e: Error) => e);
    expect(crashed).toBeInstanceOf(Error);
    const report = await client('school-a.localhost').results.sendMany(cohort, {
      chunkSize: 3,
      resumeFrom: saved,
    });
    expect(report.complete).toBe(true);
    // Batch 2 is resent as it was: the service replays its stored answer, or reports duplicates.
    expect(report.counts).toMatchObject({ resumed: 3, failed: 0, rejected: 0 });
    expect(report.counts.accepted + report.counts.duplicate).toBe(7);
    const seen: string[] = [];
    for await (const r of client('school-a.localhost').results.list({ limit: 3 })) {
      if (r.externalId.startsWith('e2e-many-')) seen.push(r.externalId);
    }
    expect(seen.sort()).toEqual(cohort.map((c) => c.externalId).sort());
  });

  it('an invalid item is a ValidationError, an unknown id a NotFoundError, a reused externalId a ConflictError', async () => {
    const c = client('school-a.localhost');
    const err = await c.results
      .send(item('e2e-bad', { title: '', recipient: { id: 'x', email: 'nope' } }))
      .catch((e) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.issues.map((i: { path: string }) => i.path).sort()).toEqual(['recipient.email', 'title']);
    expect(err.requestId).toEqual(expect.any(String));
    await expect(c.results.get('res_does_not_exist')).rejects.toBeInstanceOf(NotFoundError);
    // The same externalId with other content: a ConflictError, not a second result.
    await c.results.send(item('e2e-conflict'));
    const conflict = await c.results.send(item('e2e-conflict', { outcome: '不合格' })).catch((e) => e);
    expect(conflict).toBeInstanceOf(ConflictError);
    expect(conflict.code).toBe('duplicate_external_id');
  });

  it('a wrong password is an AuthenticationError, and the breaker stops before the lockout', async () => {
    const c = client('school-a.localhost', { password: 'wrong-password', authFailureLimit: 2 });
    await expect(c.results.get('x')).rejects.toMatchObject({ name: 'AuthenticationError', status: 401 });
    await expect(c.results.get('x')).rejects.toBeInstanceOf(AuthenticationError);
    await expect(c.results.get('x')).rejects.toMatchObject({ code: 'auth_breaker_open', status: undefined });
  });

  it('a lockout is a RateLimitError with lockedOut, never retried', async () => {
    const c = client(
      'acme-hr.localhost',
      { password: 'wrong-password', authFailureLimit: 0 },
      specialGw.locky,
    );
    let err: unknown;
    for (let i = 0; i < 5 && !(err instanceof RateLimitError); i++)
      err = await c.results.get('x').catch((e) => e);
    expect(err).toBeInstanceOf(RateLimitError);
    expect(err).toMatchObject({ lockedOut: true, retryable: false, code: 'locked_out' });
    expect((err as RateLimitError).retryAfter).toBeGreaterThan(0);
  });

  it('an address outside the allow-list is an IpNotAllowedError', async () => {
    const err = await client('acme-hr.localhost', {}, specialGw.walled)
      .results.get('x')
      .catch((e) => e);
    expect(err).toBeInstanceOf(IpNotAllowedError);
    expect(err.status).toBe(403);
    expect((await client('acme-hr.localhost', {}, specialGw.walled).diagnose()).addressAllowed.ok).toBe(
      false,
    );
  });

  it('a maintenance window is a MaintenanceError with retryAt, thrown at once', async () => {
    const err = await client('acme-hr.localhost', {}, specialGw.maint)
      .results.get('x')
      .catch((e) => e);
    expect(err).toBeInstanceOf(MaintenanceError);
    expect(err.retryAt.getTime()).toBeGreaterThan(Date.now() + HOUR / 2);
  });

  it('a stopped upstream is an UpstreamError after the retries', async () => {
    const err = await client('school-a.localhost', {}, deadGw)
      .results.get('x')
      .catch((e) => e);
    expect(err).toBeInstanceOf(UpstreamError);
    expect(err).toMatchObject({ status: 502, retryable: true });
  });

  it('a status webhook is verified and a forged one rejected', async () => {
    await client('school-a.localhost').results.send(item('e2e-hook'));
    const until = Date.now() + 15_000;
    while (!webhooks.some((w) => w.externalId === 'e2e-hook') && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(webhooks.find((w) => w.externalId === 'e2e-hook')?.type).toBe('result.published');
    const body = JSON.stringify({ type: 'result.viewed', data: { externalId: 'e2e-hook' } });
    const ts = Math.floor(Date.now() / 1000);
    const forged = await signWebhook(`whsec_${randomBytes(24).toString('base64')}`, 'msg_forged', ts, body);
    const { port } = receiver.address() as AddressInfo;
    const res = await fetch(`http://127.0.0.1:${port}/hooks`, {
      method: 'POST',
      headers: { 'webhook-id': 'msg_forged', 'webhook-timestamp': String(ts), 'webhook-signature': forged },
      body,
    });
    expect(res.status).toBe(400);
    expect(refused).toContain('bad_signature');
    expect(webhooks.some((w) => w.id === 'msg_forged')).toBe(false);
  });
});
