import { createHmac } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sample, testService } from './test-kit.js';

let svc: ReturnType<typeof testService>;
afterEach(() => svc.cleanup());

const MIN = 60_000;
const HOUR = 60 * MIN;
const at = (ms: number) => new Date(ms).toISOString();

async function create(externalId: string, extra: Record<string, unknown> = {}) {
  const res = await svc.call('a', 'POST', '/api/v1/results', { body: sample(externalId, extra) });
  expect(res.status).toBe(201);
  return res.json();
}
const get = async (id: string) => (await svc.call('a', 'GET', `/api/v1/results/${id}`)).json();

describe('lifecycle with an injected clock', () => {
  it('moves scheduled → published → notified → viewed, recording each time', async () => {
    svc = testService();
    const t0 = svc.now();
    const r = await create('L1'); // publishAt 03:00Z
    await svc.tick();
    expect((await get(r.id)).status).toBe('scheduled');
    expect(svc.sent).toHaveLength(0);

    svc.advance(3 * HOUR);
    const report = await svc.tick();
    expect(report).toMatchObject({ published: 1, notified: 1 });
    const t1 = svc.now();
    expect(svc.sent[0]).toMatchObject({
      tenant: 'a',
      resultId: r.id,
      accessCode: r.accessCode,
      url: 'https://a.localhost/r',
    });
    expect(svc.sent[0]?.text).toContain(r.accessCode);
    expect(svc.sent[0]?.text).not.toContain(r.pin);

    svc.advance(5 * MIN);
    expect((await svc.openResult('a', r.accessCode.toLowerCase(), r.pin)).status).toBe(200);
    const t2 = svc.now();
    svc.advance(MIN);
    expect((await svc.openResult('a', r.accessCode, r.pin)).status).toBe(200);

    expect(await get(r.id)).toMatchObject({
      status: 'viewed',
      createdAt: at(t0),
      publishedAt: at(t1),
      notifiedAt: at(t1),
      viewedAt: at(t2), // the first view, not the second
    });
    const status = await (await svc.call('a', 'GET', `/api/v1/results/${r.id}/status`)).json();
    expect(status.steps).toEqual([
      { status: 'scheduled', at: at(t0) },
      { status: 'published', at: at(t1) },
      { status: 'notified', at: at(t1), detail: 'test' },
      { status: 'viewed', at: at(t2) },
    ]);
  });

  it('retries a failing notification with backoff, then marks it failed with the last error', async () => {
    svc = testService({ notifyRetryMs: [MIN, 5 * MIN] });
    svc.failMail('connection refused');
    const r = await create('L2', { publishAt: undefined });
    await svc.tick();
    expect(await get(r.id)).toMatchObject({ status: 'published', lastError: 'test: connection refused' });
    await svc.tick(); // not due yet: no new attempt
    expect((await (await svc.call('a', 'GET', `/api/v1/results/${r.id}/status`)).json()).notifyAttempts).toBe(
      1,
    );
    svc.advance(MIN);
    await svc.tick();
    svc.advance(5 * MIN);
    const report = await svc.tick();
    expect(report.failed).toBe(1);
    expect(await get(r.id)).toMatchObject({
      status: 'failed',
      failedAt: at(svc.now()),
      lastError: 'test: connection refused',
    });
    expect((await (await svc.call('a', 'GET', `/api/v1/results/${r.id}/status`)).json()).notifyAttempts).toBe(
      3,
    );
  });

  it('expires a result at expiresAt and does not notify it', async () => {
    svc = testService();
    const r = await create('L3', { publishAt: '2026-12-01T00:00:00Z', expiresAt: '2026-12-01T00:00:01Z' });
    svc.advance(2000);
    await svc.tick();
    expect(await get(r.id)).toMatchObject({ status: 'expired', expiredAt: at(svc.now()) });
    expect(svc.sent).toHaveLength(0);
  });

  it('leaves a result without e-mail published when the tenant has no notification webhook', async () => {
    svc = testService();
    const r = await create('L4', { publishAt: undefined, recipient: { id: 'R4' } });
    await svc.tick();
    await svc.tick();
    expect((await get(r.id)).status).toBe('published');
    expect(svc.sent).toHaveLength(0);
  });

  it('writes notifications to the file outbox by default', async () => {
    const outbox = mkdtempSync(join(tmpdir(), 'outbox-'));
    svc = testService({ outboxDir: outbox, mailer: undefined }); // undefined: the default mailer
    const r = await create('L5', { publishAt: undefined });
    await svc.tick();
    expect((await get(r.id)).status).toBe('notified');
    const files = readdirSync(join(outbox, 'a'));
    expect(files).toHaveLength(1);
    const mail = readFileSync(join(outbox, 'a', files[0] as string), 'utf8');
    expect(mail).toContain('To: hanako@example.com');
    expect(mail).toContain(r.accessCode);
    // Written aside and renamed in: nothing half-written is left beside the tenant's folder.
    expect(readdirSync(outbox)).toEqual(['a']);
    rmSync(outbox, { recursive: true, force: true });
  });
});

describe('notification channels', () => {
  it('sends e-mail through nodemailer when smtp is configured', async () => {
    // nodemailer's JSON transport runs the whole sendMail path without a server.
    svc = testService({
      mailer: undefined,
      smtp: { transport: { jsonTransport: true }, from: 'results@school.example' },
    });
    const r = await create('C1', { publishAt: undefined });
    await svc.tick();
    const status = await (await svc.call('a', 'GET', `/api/v1/results/${r.id}/status`)).json();
    expect(status.steps.at(-1)).toMatchObject({ status: 'notified', detail: 'smtp' });
  });

  it('hands notifications to a tenant webhook, signed, and retries when it fails', async () => {
    const bodies: { headers: Headers; body: string }[] = [];
    let status = 500;
    const fakeFetch = (async (_url: string, init: RequestInit) => {
      bodies.push({ headers: new Headers(init.headers), body: String(init.body) });
      return new Response(null, { status });
    }) as typeof fetch;
    svc = testService({
      notifyWebhooks: { a: { url: 'https://portal.example/notify', secret: 'whsec_c2VjcmV0' } },
      fetch: fakeFetch,
    });
    const r = await create('C2', { publishAt: undefined, recipient: { id: 'R-no-mail' } });
    await svc.tick();
    expect(await get(r.id)).toMatchObject({
      status: 'published',
      lastError: 'webhook: notification webhook answered HTTP 500',
    });
    status = 204;
    svc.advance(MIN);
    await svc.tick();
    expect((await get(r.id)).status).toBe('notified');
    const last = bodies.at(-1) as (typeof bodies)[number];
    expect(JSON.parse(last.body)).toMatchObject({
      type: 'recipient.notify',
      data: { resultId: r.id, recipient: { id: 'R-no-mail' } },
    });
    const id = last.headers.get('webhook-id') as string;
    const ts = last.headers.get('webhook-timestamp') as string;
    const mac = createHmac('sha256', Buffer.from('secret'))
      .update(`${id}.${ts}.${last.body}`)
      .digest('base64');
    expect(last.headers.get('webhook-signature')).toBe(`v1,${mac}`);
  });
});

describe('status webhooks', () => {
  const secretBytes = Buffer.from('a-webhook-secret-of-32-bytes!!!!');
  const secret = `whsec_${secretBytes.toString('base64')}`;

  it('sends Standard-Webhooks-signed events, retries a failure and records every attempt', async () => {
    const calls: { url: string; headers: Headers; body: string }[] = [];
    let failNext = true;
    const fakeFetch = (async (url: string, init: RequestInit) => {
      calls.push({ url, headers: new Headers(init.headers), body: String(init.body) });
      if (failNext) {
        failNext = false;
        return new Response('busy', { status: 503 });
      }
      return new Response('ok');
    }) as typeof fetch;
    svc = testService({ webhooks: { a: { url: 'https://sis.example/hook', secret } }, fetch: fakeFetch });
    const r = await create('W1', { publishAt: undefined, recipient: { id: 'R' } });
    await svc.tick(); // published → webhook attempt 1 fails with 503
    expect(calls).toHaveLength(1);
    svc.advance(5000);
    await svc.tick(); // retry after 5 s succeeds
    expect(calls).toHaveLength(2);

    const { headers, body } = calls[1] as (typeof calls)[number];
    const id = headers.get('webhook-id') as string;
    const ts = headers.get('webhook-timestamp') as string;
    expect(id).toBe(calls[0]?.headers.get('webhook-id')); // same id across retries
    expect(Number(ts)).toBe(Math.floor(svc.now() / 1000));
    const expected = createHmac('sha256', secretBytes).update(`${id}.${ts}.${body}`).digest('base64');
    expect(headers.get('webhook-signature')).toBe(`v1,${expected}`);
    expect(JSON.parse(body)).toEqual({
      type: 'result.published',
      timestamp: '2026-12-01T00:00:00.000Z',
      data: { id: r.id, externalId: 'W1', status: 'published', at: '2026-12-01T00:00:00.000Z' },
    });

    const delivery = svc.db.prepare('SELECT state, attempts, last_status FROM webhook_deliveries').get();
    expect(delivery).toEqual({ state: 'delivered', attempts: 2, last_status: 200 });
    const attempts = svc.db.prepare('SELECT status_code, error FROM webhook_attempts ORDER BY seq').all();
    expect(attempts).toEqual([
      { status_code: 503, error: 'HTTP 503' },
      { status_code: 200, error: null },
    ]);
  });

  it('queues nothing for a tenant without a webhook', async () => {
    svc = testService({ webhooks: { other: { url: 'https://x.example', secret } } });
    await create('W2', { publishAt: undefined });
    await svc.tick();
    expect(svc.db.prepare('SELECT COUNT(*) AS n FROM webhook_deliveries').get()).toEqual({ n: 0 });
  });
});
