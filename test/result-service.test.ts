/**
 * End-to-end: the reference result service behind the real gateway over TLS — send, schedule,
 * publish, notify and view through `/r`; batch, idempotent retry and dry run through the API zone
 * with Basic auth; tenant isolation; a request that skips the gateway refused; and identity headers
 * seen once (an upstream debug echo, an upstream log) refused when replayed for another request.
 */
import type { RunningResultService } from '@resultgate/example-result-service';
import type { PolicyInput } from '@resultgate/gateway';
import { identityHeaders } from '@resultgate/gateway/identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  basic,
  cheapHash,
  httpsRequest,
  type RawRequest,
  startEchoUpstream,
  startTestGateway,
  type TestGateway,
} from './helpers/index.js';
import { startTestResultService, type TestResultService } from './helpers/result-service.js';

const tenants: PolicyInput['tenants'] = {
  'school-a': {
    name: 'School A',
    hosts: ['school-a.localhost'],
    users: {
      'hr-sync': { passwordHash: cheapHash('Sync-Password-1'), roles: ['integration'] },
      admin: { passwordHash: cheapHash('Admin-Password-1'), roles: ['admin'] },
    },
    zones: [
      { name: 'api', path: '/api', auth: 'basic', roles: ['integration'] },
      { name: 'admin', path: '/admin', auth: 'basic', roles: ['admin'] },
      { name: 'recipient', path: '/r', auth: 'none' },
    ],
  },
  acme: {
    name: 'ACME HR',
    hosts: ['acme-hr.localhost'],
    users: { 'acme-sync': { passwordHash: cheapHash('Acme-Password-1'), roles: ['integration'] } },
    zones: [
      { name: 'api', path: '/api', auth: 'basic', roles: ['integration'] },
      { name: 'recipient', path: '/r', auth: 'none' },
    ],
  },
};

const SCHOOL = { host: 'school-a.localhost', authorization: basic('hr-sync', 'Sync-Password-1') };
const ACME = { host: 'acme-hr.localhost', authorization: basic('acme-sync', 'Acme-Password-1') };

let results: TestResultService;
let service: RunningResultService;
let gw: TestGateway;

beforeAll(async () => {
  results = await startTestResultService('result-service-e2e-', { schedulerIntervalMs: 100 });
  service = results.service;
  const { identitySecret } = results;
  gw = await startTestGateway({ upstream: service.url, tenants, deps: { identitySecret } });
});

afterAll(async () => {
  await gw?.close();
  await results?.close();
});

/** A JSON API call through the gateway as a tenant's integration user. */
function api(
  as: typeof SCHOOL,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const req: RawRequest = {
    port: gw.httpsPort,
    host: as.host,
    method,
    path: `/api/v1${path}`,
    headers: {
      authorization: as.authorization,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  };
  return httpsRequest(req);
}

/**
 * Opens a result at `/r` through the gateway (the recipient zone: no credentials), following the
 * post/redirect/get to `/r/result` with the view cookie as a browser does.
 */
async function openResult(host: string, code: string, pin: string) {
  const posted = await httpsRequest({
    port: gw.httpsPort,
    host,
    method: 'POST',
    path: '/r',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept-language': 'en' },
    body: new URLSearchParams({ code, pin }).toString(),
  });
  const location = posted.headers.location;
  if (posted.status !== 303 || !location) return posted;
  const cookie = (posted.headers['set-cookie'] ?? []).map((c) => c.split(';')[0] ?? '').join('; ');
  return httpsRequest({
    port: gw.httpsPort,
    host,
    path: location,
    headers: { cookie, 'accept-language': 'en' },
  });
}

/** Polls a result’s status until `want` (bounded: 15 s, generous for a loaded machine). */
async function waitForStatus(id: string, want: string) {
  const deadline = Date.now() + 15_000;
  for (let i = 0; i < 300 && Date.now() < deadline; i++) {
    const res = await api(SCHOOL, 'GET', `/results/${id}`);
    if (res.json().status === want) return res.json();
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`result ${id} did not reach ${want} in time`);
}

const result = (externalId: string, extra: Record<string, unknown> = {}) => ({
  externalId,
  recipient: { id: `R-${externalId}`, name: 'Hanako Yamada', email: 'hanako@example.com' },
  title: '2027 entrance exam',
  outcome: 'Passed',
  details: { examNumber: externalId },
  ...extra,
});

describe('result service behind the gateway', () => {
  it('sends, schedules, publishes, notifies and shows a result at /r, with each step’s time', async () => {
    // Far enough ahead that the early visit below lands before it even on a loaded machine.
    const publishAt = new Date(Date.now() + 3000).toISOString();
    const sent = await api(SCHOOL, 'POST', '/results', result('e2e-1', { publishAt }));
    expect(sent.status).toBe(201);
    const created = sent.json();
    expect(created).toMatchObject({ status: 'scheduled', externalId: 'e2e-1' });

    const early = await openResult('school-a.localhost', created.accessCode, created.pin);
    expect(early.status).toBe(200);
    expect(early.body).toContain('will be available from');

    const notified = await waitForStatus(created.id, 'notified');
    expect(Date.parse(notified.publishedAt)).toBeGreaterThanOrEqual(Date.parse(publishAt));
    const page = await openResult('school-a.localhost', created.accessCode, created.pin);
    expect(page.status).toBe(200);
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.body).toContain('2027 entrance exam');
    expect(page.body).toContain('Passed');

    const status = (await api(SCHOOL, 'GET', `/results/${created.id}/status`)).json();
    expect(status.status).toBe('viewed');
    expect(status.steps.map((s: { status: string }) => s.status)).toEqual([
      'scheduled',
      'published',
      'notified',
      'viewed',
    ]);
    const times = status.steps.map((s: { at: string }) => Date.parse(s.at));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });

  it('handles a batch with one invalid and one duplicate item', async () => {
    const res = await api(SCHOOL, 'POST', '/results/batch', {
      items: [result('b-1'), result('b-bad', { recipient: { id: 'x', email: 'not-mail' } }), result('b-1')],
    });
    expect(res.status).toBe(200);
    const body = res.json();
    expect(body.summary).toEqual({ accepted: 1, duplicate: 1, rejected: 1 });
    expect(body.items[1].issues).toEqual([
      { path: 'items[1].recipient.email', message: 'must be an e-mail address' },
    ]);
  });

  it('answers an idempotent retry with the first answer, and a dry run stores nothing', async () => {
    const key = { 'idempotency-key': `retry-${Date.now()}` };
    const first = await api(SCHOOL, 'POST', '/results', result('idem-1'), key);
    const retry = await api(SCHOOL, 'POST', '/results', result('idem-1'), key);
    expect(first.status).toBe(201);
    expect(retry.status).toBe(201);
    expect(retry.json()).toEqual(first.json());
    const other = await api(SCHOOL, 'POST', '/results', result('idem-2'), key);
    expect(other.status).toBe(422);
    expect(other.json().error.code).toBe('idempotency_key_reused');

    const dry = await api(SCHOOL, 'POST', '/results?dryRun=true', result('dry-1'));
    expect(dry.status).toBe(200);
    expect(dry.json().dryRun).toBe(true);
    expect(
      (await api(SCHOOL, 'GET', '/results?limit=200'))
        .json()
        .data.map((r: { externalId: string }) => r.externalId),
    ).not.toContain('dry-1');
  });

  it('validates a dry-run batch item by item and stores none of it', async () => {
    const res = await api(SCHOOL, 'POST', '/results/batch?dryRun=true', {
      items: [result('dry-b-1'), result('dry-b-bad', { title: '' })],
    });
    expect(res.status).toBe(200);
    const body = res.json();
    expect(body.dryRun).toBe(true);
    expect(body.items.map((i: { outcome: string }) => i.outcome)).toEqual(['accepted', 'rejected']);
    const stored = (await api(SCHOOL, 'GET', '/results?limit=200')).json().data;
    expect(stored.map((r: { externalId: string }) => r.externalId)).not.toContain('dry-b-1');
    // Nothing was reserved either: the same item sent for real is accepted, not a duplicate.
    const real = await api(SCHOOL, 'POST', '/results/batch', { items: [result('dry-b-1')] });
    expect(real.json().summary).toEqual({ accepted: 1, duplicate: 0, rejected: 0 });
  });

  it('keeps tenant acme away from school-a’s result by id, list and access code', async () => {
    const created = (
      await api(SCHOOL, 'POST', '/results', result('iso-1', { publishAt: new Date().toISOString() }))
    ).json();
    expect((await api(ACME, 'GET', `/results/${created.id}`)).status).toBe(404);
    expect((await api(ACME, 'DELETE', `/results/${created.id}`)).status).toBe(404);
    expect((await api(ACME, 'GET', '/results')).json().data).toEqual([]);
    expect((await openResult('acme-hr.localhost', created.accessCode, created.pin)).status).toBe(401);
    // school-a's credentials do not open acme's API either
    const crossed = await api({ host: ACME.host, authorization: SCHOOL.authorization }, 'GET', '/results');
    expect(crossed.status).toBe(401);
    expect((await openResult('school-a.localhost', created.accessCode, created.pin)).status).toBe(200);
  });

  it('shows the admin page with counts to the tenant’s admin', async () => {
    const res = await httpsRequest({
      port: gw.httpsPort,
      host: 'school-a.localhost',
      path: '/admin?lang=en',
      headers: { authorization: basic('admin', 'Admin-Password-1') },
    });
    expect(res.status).toBe(200);
    expect(res.body).toContain('Results — school-a');
    expect(res.body).toMatch(/Viewed \([1-9]\d*\)/);
    const asIntegration = await httpsRequest({
      port: gw.httpsPort,
      host: 'school-a.localhost',
      path: '/admin',
      headers: { authorization: SCHOOL.authorization },
    });
    expect(asIntegration.status).toBe(403);
  });

  it('refuses a request that skips the gateway, even with forged identity headers', async () => {
    const direct = await fetch(`${service.url}/api/v1/results`);
    expect(direct.status).toBe(401);
    const forged = await fetch(`${service.url}/api/v1/results`, {
      headers: {
        'x-gateway-tenant': 'school-a',
        'x-gateway-user': 'hr-sync',
        'x-gateway-roles': 'integration',
        'x-request-id': 'forged-1',
        'x-gateway-signature': `t=${Math.floor(Date.now() / 1000)},v2=${'A'.repeat(43)}`,
      },
    });
    expect(forged.status).toBe(401);
    expect((await forged.json()).error).toMatchObject({ code: 'unauthorized', requestId: 'forged-1' });
    const page = await fetch(`${service.url}/r`);
    expect(page.status).toBe(401);
  });
});

const IDENTITY = [
  'x-gateway-tenant',
  'x-gateway-user',
  'x-gateway-roles',
  'x-request-id',
  'x-gateway-signature',
];

describe('identity headers replayed straight at the result service', () => {
  it('refuses the headers of one proxied GET for another method, path or query; accepts the identical request', async () => {
    // A second gateway with the same key in front of an echo upstream: the stand-in for an upstream
    // debug endpoint or log that shows the signed headers it received.
    const echo = await startEchoUpstream();
    const tap = await startTestGateway({
      upstream: echo.url,
      tenants,
      deps: { identitySecret: gw.deps.identitySecret },
    });
    try {
      const target = '/api/v1/results?status=published';
      const seen = await httpsRequest({
        port: tap.httpsPort,
        host: SCHOOL.host,
        path: target,
        headers: { authorization: SCHOOL.authorization },
      });
      expect(seen.status).toBe(200);
      const captured = echo.requests.at(-1)!;
      expect([captured.method, captured.url]).toEqual(['GET', target]);
      const stolen = Object.fromEntries(IDENTITY.map((h) => [h, String(captured.headers[h])]));
      const replay = (method: string, path: string, body?: unknown) =>
        fetch(`${service.url}${path}`, {
          method,
          headers: { ...stolen, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });

      // The identical request within the 300 s tolerance stays possible (README: seen-id cache).
      expect((await replay('GET', target)).status).toBe(200);
      // hr-sync has no admin role: the gateway answers 403, and the replay must not get round it.
      const admin = await replay('GET', '/admin');
      expect(admin.status).toBe(401);
      expect((await admin.json()).error.code).toBe('unauthorized');
      const post = await replay('POST', '/api/v1/results', result('replayed-1'));
      expect(post.status).toBe(401);
      expect((await replay('GET', '/api/v1/results?status=scheduled')).status).toBe(401);
      expect((await replay('GET', '/api/v1/results')).status).toBe(401);
      expect((await replay('HEAD', target)).status).toBe(401);

      // The refusals come from the binding: the same identity signed for those requests is served.
      const signedFor = (method: string, path: string) =>
        identityHeaders(
          gw.deps.identitySecret,
          { tenant: 'school-a', user: 'hr-sync', roles: ['integration'], requestId: `own-${method}` },
          { method, target: path },
        );
      expect((await fetch(`${service.url}/admin`, { headers: signedFor('GET', '/admin') })).status).toBe(200);
      const stored = (await api(SCHOOL, 'GET', '/results?limit=200')).json().data;
      expect(stored.map((r: { externalId: string }) => r.externalId)).not.toContain('replayed-1');
    } finally {
      await tap.close();
      await echo.close();
    }
  });

  it('verifies the raw target the gateway sends, percent-encoding and query included', async () => {
    const res = await api(SCHOOL, 'GET', '/results/%E5%85%88%20x?view=1&q=a%2Fb');
    expect(res.status).toBe(404);
    expect(res.json().error.code).toBe('not_found');
  });
});
