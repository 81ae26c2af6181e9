import { identityHeaders } from '@resultgate/gateway/identity';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sample, testService } from './test-kit.js';

let svc: ReturnType<typeof testService>;
beforeEach(() => {
  svc = testService();
});
afterEach(() => svc.cleanup());

const count = () => (svc.db.prepare('SELECT COUNT(*) AS n FROM results').get() as { n: number }).n;

describe('gateway signature', () => {
  it('refuses an unsigned request with 401 in the error envelope', async () => {
    const res = await svc.app.request('/api/v1/results', { headers: { 'x-request-id': 'abc-1' } });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({
      error: { code: 'unauthorized', message: 'Requests must come through the gateway.', requestId: 'abc-1' },
    });
  });

  it('refuses headers signed with another key, or with a forged tenant', async () => {
    const other = identityHeaders(
      'another-secret-0123456789',
      { tenant: 'a', user: 'u', roles: [], requestId: 'r1' },
      { method: 'GET', target: '/api/v1/results' },
      svc.now(),
    );
    expect((await svc.app.request('/api/v1/results', { headers: other })).status).toBe(401);
    const forged = { ...svc.signed('a', 'GET', '/api/v1/results'), 'x-gateway-tenant': 'b' };
    expect((await svc.app.request('/api/v1/results', { headers: forged })).status).toBe(401);
  });

  it('refuses an anonymous identity on the API (a misrouted auth:none zone)', async () => {
    const res = await svc.call('a', 'GET', '/api/v1/results', { user: '' });
    expect(res.status).toBe(403);
  });
});

describe('POST /results', () => {
  it('creates a scheduled result and returns the access code and PIN once, storing only a PIN hash', async () => {
    const res = await svc.call('a', 'POST', '/api/v1/results', { body: sample('e1') });
    expect(res.status).toBe(201);
    const body = await res.json();
    expect(body).toMatchObject({
      externalId: 'e1',
      status: 'scheduled',
      publishAt: '2026-12-01T03:00:00.000Z',
    });
    expect(body.accessCode).toMatch(/^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/);
    expect(body.pin).toMatch(/^\d{6}$/);
    const row = svc.db.prepare('SELECT * FROM results').get() as Record<string, unknown>;
    expect(Object.values(row).some((v) => String(v).includes(body.pin))).toBe(false);
    const again = await (await svc.call('a', 'GET', `/api/v1/results/${body.id}`)).json();
    expect(again.pin).toBeUndefined();
    expect(again.accessCode).toBeUndefined();
  });

  it('answers 422 with one issue per field path', async () => {
    const bad = sample('e1', {
      recipient: { id: 'r', email: 'nope' },
      title: '',
      expiresAt: '2026-11-01T00:00:00Z',
      extra: 1,
    });
    const res = await svc.call('a', 'POST', '/api/v1/results', { body: bad });
    expect(res.status).toBe(422);
    const { error } = await res.json();
    expect(error.code).toBe('validation_failed');
    expect(error.requestId).toMatch(/^req-/);
    const paths = error.issues.map((i: { path: string }) => i.path).sort();
    expect(paths).toEqual(['expiresAt', 'extra', 'recipient.email', 'title']);
    expect(error.issues).toContainEqual({ path: 'extra', message: 'is not a known field' });
    expect(count()).toBe(0);
  });

  it('checks expiresAt against publishAt', async () => {
    const res = await svc.call('a', 'POST', '/api/v1/results', {
      body: sample('e1', { expiresAt: '2026-12-01T02:00:00Z' }),
    });
    expect((await res.json()).error.issues).toEqual([
      { path: 'expiresAt', message: 'must be after publishAt' },
    ]);
  });

  it('answers 400 to a body that is not JSON', async () => {
    const res = await svc.app.request('/api/v1/results', {
      method: 'POST',
      headers: { ...svc.signed('a', 'POST', '/api/v1/results'), 'content-type': 'application/json' },
      body: '{nope',
    });
    expect(res.status).toBe(400);
    expect((await res.json()).error.code).toBe('bad_request');
  });

  it('answers identical content again with the stored result, other content with 409', async () => {
    const first = await (await svc.call('a', 'POST', '/api/v1/results', { body: sample('e1') })).json();
    const again = await svc.call('a', 'POST', '/api/v1/results', { body: sample('e1') });
    expect(again.status).toBe(200);
    const stored = await again.json();
    expect(stored.id).toBe(first.id);
    expect(stored.pin).toBeUndefined(); // shown once, on create
    const res = await svc.call('a', 'POST', '/api/v1/results', { body: sample('e1', { outcome: '不合格' }) });
    expect(res.status).toBe(409);
    expect((await res.json()).error.code).toBe('duplicate_external_id');
    expect(count()).toBe(1);
  });

  it('finds a result by externalId through the indexed store lookup', async () => {
    const created = await (
      await svc.call('a', 'POST', '/api/v1/results', { body: sample('hr/42 x') })
    ).json();
    const res = await svc.call('a', 'GET', `/api/v1/results/by-external-id/${encodeURIComponent('hr/42 x')}`);
    expect(res.status).toBe(200);
    expect((await res.json()).id).toBe(created.id);
    expect((await svc.call('b', 'GET', '/api/v1/results/by-external-id/hr%2F42%20x')).status).toBe(404);
    expect((await svc.call('a', 'GET', '/api/v1/results/by-external-id/nope')).status).toBe(404);
    const plan = svc.db
      .prepare('EXPLAIN QUERY PLAN SELECT * FROM results WHERE tenant = ? AND external_id_hash = ?')
      .all('a', 'x') as { detail: string }[];
    expect(plan.map((p) => p.detail).join(' ')).toMatch(/USING INDEX/);
  });
});

describe('Idempotency-Key', () => {
  const key = { 'idempotency-key': 'k-123' };

  it('replays the first answer for the same key and body', async () => {
    const first = await svc.call('a', 'POST', '/api/v1/results', { body: sample('e1'), headers: key });
    const second = await svc.call('a', 'POST', '/api/v1/results', { body: sample('e1'), headers: key });
    expect(second.status).toBe(first.status);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(await second.json()).toEqual(await first.json());
    expect(count()).toBe(1);
  });

  it('answers 422 for the same key with a different body', async () => {
    await svc.call('a', 'POST', '/api/v1/results', { body: sample('e1'), headers: key });
    const res = await svc.call('a', 'POST', '/api/v1/results', { body: sample('e2'), headers: key });
    expect(res.status).toBe(422);
    expect((await res.json()).error.code).toBe('idempotency_key_reused');
    expect(count()).toBe(1);
  });

  it('answers 409 while the first request with the key is still running', async () => {
    // A claimed key without a stored answer is what a concurrent first request looks like.
    const body = sample('e1');
    const { createHash } = await import('node:crypto');
    const fp = createHash('sha256')
      .update(`POST /api/v1/results\n${JSON.stringify(body)}`)
      .digest('hex');
    expect(svc.context.idempotency.claim('a', 'k-123', fp)).toEqual({ kind: 'new' });
    const res = await svc.call('a', 'POST', '/api/v1/results', { body, headers: key });
    expect(res.status).toBe(409);
    expect((await res.json()).error.code).toBe('idempotency_in_progress');
    svc.advance(61_000); // an abandoned claim (a crash) is taken over after a minute
    expect((await svc.call('a', 'POST', '/api/v1/results', { body, headers: key })).status).toBe(201);
  });

  it('keeps keys per tenant and stores the answer encrypted', async () => {
    const a = await (
      await svc.call('a', 'POST', '/api/v1/results', { body: sample('e1'), headers: key })
    ).json();
    const b = await svc.call('b', 'POST', '/api/v1/results', { body: sample('e1'), headers: key });
    expect(b.status).toBe(201);
    expect((await b.json()).id).not.toBe(a.id);
    const stored = svc.db.prepare('SELECT body FROM idempotency_keys').all() as { body: string }[];
    expect(stored.some((r) => r.body.includes(a.pin) || r.body.includes(a.accessCode))).toBe(false);
  });
});

describe('POST /results/batch', () => {
  it('reports accepted, rejected and duplicate items and publishes a duplicate only once', async () => {
    await svc.call('a', 'POST', '/api/v1/results', { body: sample('old') });
    const items = [
      sample('n1'),
      sample('bad', { outcome: 42 }),
      sample('old'),
      sample('n2'),
      sample('n1'),
      sample('old', { title: 'changed' }),
      sample('n2', { title: 'changed' }),
    ];
    const res = await svc.call('a', 'POST', '/api/v1/results/batch', { body: { items } });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.summary).toEqual({ accepted: 2, duplicate: 2, rejected: 3 });
    expect(body.items.map((i: { outcome: string }) => i.outcome)).toEqual([
      'accepted',
      'rejected',
      'duplicate',
      'accepted',
      'duplicate',
      'rejected',
      'rejected',
    ]);
    expect(body.items[1].issues).toEqual([{ path: 'items[1].outcome', message: expect.any(String) }]);
    expect(body.items[1].reason).toBe('validation_failed');
    expect(body.items[5]).toMatchObject({
      reason: 'duplicate_external_id',
      issues: [{ path: 'items[5].externalId' }],
    });
    expect(body.items[6].reason).toBe('duplicate_external_id');
    expect(body.items[0].result.pin).toMatch(/^\d{6}$/);
    expect(body.items[4].result.id).toBe(body.items[0].result.id);
    expect(body.items[4].result.pin).toBeUndefined();
    const rows = svc.context.store.list('a', { limit: 10 });
    expect(rows.map((r) => r.external_id)).toEqual(['old', 'n1', 'n2']);
  });

  it('refuses more than 1000 items with 422 on path items', async () => {
    const items = Array.from({ length: 1001 }, (_, i) => sample(`x${i}`));
    const res = await svc.call('a', 'POST', '/api/v1/results/batch', { body: { items } });
    expect(res.status).toBe(422);
    expect((await res.json()).error.issues).toEqual([
      { path: 'items', message: 'must hold at most 1000 items' },
    ]);
  });
});

describe('dry run', () => {
  it('validates send and batch but stores nothing', async () => {
    const one = await svc.call('a', 'POST', '/api/v1/results?dryRun=true', { body: sample('d1') });
    expect(one.status).toBe(200);
    expect(await one.json()).toMatchObject({
      dryRun: true,
      result: { externalId: 'd1', status: 'scheduled' },
    });
    const bad = await svc.call('a', 'POST', '/api/v1/results?dryRun=true', {
      body: sample('d1', { title: '' }),
    });
    expect(bad.status).toBe(422);
    const batch = await svc.call('a', 'POST', '/api/v1/results/batch?dryRun=true', {
      body: { items: [sample('d1'), sample('d1'), { externalId: 'x' }] },
    });
    expect((await batch.json()).summary).toEqual({ accepted: 1, duplicate: 1, rejected: 1 });
    expect(count()).toBe(0);
    expect((svc.db.prepare('SELECT COUNT(*) AS n FROM result_events').get() as { n: number }).n).toBe(0);
  });
});

describe('reading, listing and withdrawing', () => {
  it('pages through a tenant’s results with an opaque cursor and filters by status', async () => {
    for (let i = 0; i < 5; i++) await svc.call('a', 'POST', '/api/v1/results', { body: sample(`p${i}`) });
    const seen: string[] = [];
    let cursor: string | null = '';
    for (let page = 0; page < 5 && cursor !== null; page++) {
      const q: string = cursor ? `&cursor=${cursor}` : '';
      const body = await (await svc.call('a', 'GET', `/api/v1/results?limit=2${q}`)).json();
      seen.push(...body.data.map((r: { externalId: string }) => r.externalId));
      cursor = body.nextCursor;
    }
    expect(seen).toEqual(['p0', 'p1', 'p2', 'p3', 'p4']);
    const first = await (await svc.call('a', 'GET', '/api/v1/results?limit=1')).json();
    await svc.call('a', 'DELETE', `/api/v1/results/${first.data[0].id}`);
    const withdrawn = await (await svc.call('a', 'GET', '/api/v1/results?status=withdrawn')).json();
    expect(withdrawn.data.map((r: { externalId: string }) => r.externalId)).toEqual(['p0']);
    const bad = await svc.call('a', 'GET', '/api/v1/results?cursor=garbage&limit=500');
    expect((await bad.json()).error.issues.map((i: { path: string }) => i.path)).toEqual(['limit']);
    const badCursor = await svc.call('a', 'GET', '/api/v1/results?cursor=garbage');
    expect((await badCursor.json()).error.issues).toEqual([
      { path: 'cursor', message: 'not a cursor from this API' },
    ]);
  });

  it('withdraws once, idempotently, and records the step in the status history', async () => {
    const { id } = await (await svc.call('a', 'POST', '/api/v1/results', { body: sample('w1') })).json();
    svc.advance(1000);
    const res = await svc.call('a', 'DELETE', `/api/v1/results/${id}`);
    expect(await res.json()).toMatchObject({ status: 'withdrawn', withdrawnAt: '2026-12-01T00:00:01.000Z' });
    expect((await svc.call('a', 'DELETE', `/api/v1/results/${id}`)).status).toBe(200);
    const status = await (await svc.call('a', 'GET', `/api/v1/results/${id}/status`)).json();
    expect(status.steps).toEqual([
      { status: 'scheduled', at: '2026-12-01T00:00:00.000Z' },
      { status: 'withdrawn', at: '2026-12-01T00:00:01.000Z' },
    ]);
  });
});

describe('tenant isolation', () => {
  it('gives tenant b no way to read, list, withdraw or open tenant a’s result', async () => {
    const a = await (
      await svc.call('a', 'POST', '/api/v1/results', {
        body: sample('iso', { publishAt: '2026-11-30T00:00:00Z' }),
      })
    ).json();
    for (const path of [`/api/v1/results/${a.id}`, `/api/v1/results/${a.id}/status`]) {
      const res = await svc.call('b', 'GET', path);
      expect(res.status).toBe(404);
      expect((await res.json()).error.code).toBe('not_found');
    }
    expect((await (await svc.call('b', 'GET', '/api/v1/results')).json()).data).toEqual([]);
    expect((await svc.call('b', 'DELETE', `/api/v1/results/${a.id}`)).status).toBe(404);
    expect((await svc.openResult('b', a.accessCode, a.pin)).status).toBe(401);
    // and the same code and PIN do open it for tenant a, so the 401 above is the tenant boundary
    expect((await svc.openResult('a', a.accessCode, a.pin)).status).toBe(200);
    expect((await (await svc.call('a', 'GET', `/api/v1/results/${a.id}`)).json()).status).toBe('viewed');
  });
});
