import { readdirSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { ResultClient } from './client.js';
import { NotFoundError } from './errors.js';
import { idempotencyKeyFor } from './idempotency.js';
import { basicAuthorization, DEFAULT_OPTIONS, type DebugEvent, normalizeOptions } from './options.js';
import { envelope, type Stub, startStub } from './test-stub.js';
import type { Result, ResultInput } from './types.js';

const item: ResultInput = {
  externalId: 'exam-2027-0002',
  recipient: { id: 'A-0002', name: '佐藤 太郎', email: 'taro@example.jp' },
  title: '入学試験',
  outcome: '不合格',
  details: { score: 41 },
};
let stub: Stub | undefined;
afterEach(async () => {
  await stub?.close();
  stub = undefined;
});

describe('options', () => {
  it('fills every default once', () => {
    const o = normalizeOptions({ baseUrl: 'https://school-a.example/base' });
    expect(o).toMatchObject({
      baseUrl: 'https://school-a.example/base/',
      timeout: DEFAULT_OPTIONS.timeout,
      totalTimeout: DEFAULT_OPTIONS.totalTimeout,
      retry: DEFAULT_OPTIONS.retry,
      authFailureLimit: 3,
      authorization: undefined,
    });
    expect(normalizeOptions({ baseUrl: 'https://x.example', retry: 0 }).retry.limit).toBe(0);
  });

  it('rejects a missing baseUrl, half credentials and negative numbers', () => {
    expect(() => normalizeOptions({} as never)).toThrow('baseUrl is required');
    expect(() => normalizeOptions({ baseUrl: 'https://x.example', username: 'u' })).toThrow('together');
    expect(() => normalizeOptions({ baseUrl: 'https://x.example', timeout: -1 })).toThrow('timeout');
  });

  it('encodes UTF-8 credentials for Basic auth', () => {
    const header = basicAuthorization('採点係', 'pässwörd✓');
    const decoded = new TextDecoder().decode(Uint8Array.from(atob(header.slice(6)), (c) => c.charCodeAt(0)));
    expect(decoded).toBe('採点係:pässwörd✓');
  });
});

describe('results', () => {
  it('sends one result with Basic auth, JSON and a per-call key built on the item fingerprint', async () => {
    stub = await startStub(() => ({
      status: 201,
      body: { id: 'r_9', status: 'scheduled', accessCode: 'AC', pin: '1' },
    }));
    const c = new ResultClient({ baseUrl: stub.url, username: 'hr-sync', password: 'パスワード' });
    const created = await c.results.send(item);
    await c.results.send(item, { dryRun: true });
    await c.results.send({ ...item, outcome: '合格' });
    expect(created).toMatchObject({ id: 'r_9', accessCode: 'AC' });
    const [a, b, changed] = stub.requests;
    expect(a).toMatchObject({ method: 'POST', url: '/api/v1/results', body: item });
    expect(a?.headers.authorization).toBe(basicAuthorization('hr-sync', 'パスワード'));
    expect(a?.headers['user-agent']).toBe('resultgate-sdk/0.1.0');
    const fingerprint = await idempotencyKeyFor(item);
    expect(a?.headers['idempotency-key']).toMatch(new RegExp(`^${fingerprint}\\.[0-9a-f]{16}$`));
    expect(b?.url).toBe('/api/v1/results?dryRun=true');
    // Same item, another call: the same fingerprint, another random part (retries share one key).
    expect(b?.headers['idempotency-key']).toMatch(new RegExp(`^${fingerprint}\\.`));
    expect(b?.headers['idempotency-key']).not.toBe(a?.headers['idempotency-key']);
    expect(changed?.headers['idempotency-key']).not.toMatch(new RegExp(`^${fingerprint}`));
  });

  it('the derived key ignores key order and holds no personal data', async () => {
    const reordered = Object.fromEntries(Object.entries(item).reverse()) as ResultInput;
    expect(await idempotencyKeyFor(reordered)).toBe(await idempotencyKeyFor(item));
    expect(await idempotencyKeyFor(item)).not.toContain('exam');
  });

  it('get, status, withdraw and sendBatch hit their routes', async () => {
    stub = await startStub((req) => ({
      body: req.url.includes('/batch')
        ? { items: [{ index: 0, outcome: 'accepted', result: { id: 'r_1' } }] }
        : { id: 'r/1' },
    }));
    const c = new ResultClient({ baseUrl: `${stub.url}/`, username: 'u', password: 'p' });
    await c.results.get('r/1');
    await c.results.status('r/1');
    await c.results.withdraw('r/1');
    const batch = await c.results.sendBatch([item], { dryRun: true });
    expect(batch.items[0]?.outcome).toBe('accepted');
    expect(stub.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      'GET /api/v1/results/r%2F1',
      'GET /api/v1/results/r%2F1/status',
      'DELETE /api/v1/results/r%2F1',
      'POST /api/v1/results/batch?dryRun=true',
    ]);
    expect(stub.requests[3]?.body).toEqual({ items: [item] });
    expect(stub.requests[3]?.headers['idempotency-key']).toMatch(/^rg1b-/);
  });

  it('lists one page on await, and every item across cursors on for await', async () => {
    const all = Array.from({ length: 5 }, (_, i) => ({ id: `r_${i}`, status: 'viewed' }));
    stub = await startStub((req) => {
      const q = new URL(req.url, 'http://x').searchParams;
      const start = Number(q.get('cursor') ?? 0);
      const next = start + 2 < all.length ? String(start + 2) : null;
      return { body: { data: all.slice(start, start + 2), nextCursor: next } };
    });
    const c = new ResultClient({ baseUrl: stub.url });
    const page = await c.results.list({ status: 'viewed', limit: 2 });
    expect(page.data.map((r) => r.id)).toEqual(['r_0', 'r_1']);
    expect(page.hasNextPage()).toBe(true);
    const ids: string[] = [];
    for await (const r of c.results.list({ status: 'viewed', limit: 2 })) ids.push((r as Result).id);
    expect(ids).toEqual(['r_0', 'r_1', 'r_2', 'r_3', 'r_4']);
    expect(stub.requests[1]?.url).toBe('/api/v1/results?status=viewed&limit=2');
    expect(stub.requests.at(-1)?.url).toBe('/api/v1/results?status=viewed&limit=2&cursor=4');
  });

  it('an unused list sends nothing', async () => {
    stub = await startStub(() => ({ body: { data: [] } }));
    new ResultClient({ baseUrl: stub.url }).results.list();
    await new Promise((r) => setTimeout(r, 20));
    expect(stub.requests).toHaveLength(0);
  });

  it('reads the maintenance notices without credentials', async () => {
    const notice = {
      start: '2026-12-01T01:00:00Z',
      end: '2026-12-01T03:00:00Z',
      message: '定期メンテナンス',
    };
    stub = await startStub(() => ({ body: { notices: [notice] } }));
    const c = new ResultClient({ baseUrl: `${stub.url}/tenant/`, username: 'u', password: 'p' });
    expect(await c.notices()).toEqual([notice]);
    expect(stub.requests[0]?.url).toBe('/.gateway/notices');
    expect(stub.requests[0]?.headers.authorization).toBeUndefined();
  });
});

describe('privacy', () => {
  it('the debug logger never sees a name, e-mail, outcome or details, nor the query string', async () => {
    stub = await startStub((_r, n) =>
      n === 1 ? { status: 404, body: envelope('not_found') } : { status: 201, body: { id: 'r_1' } },
    );
    const events: DebugEvent[] = [];
    const c = new ResultClient({
      baseUrl: stub.url,
      username: 'u',
      password: 'secret-pw',
      debug: (e) => events.push(e),
    });
    await expect(c.results.get('r_1')).rejects.toBeInstanceOf(NotFoundError);
    await c.results.send(item);
    await c.results.list({ status: 'viewed', since: '2026-11-01T00:00:00Z' });
    const logged = JSON.stringify(events);
    for (const secret of ['佐藤', 'taro@example.jp', '不合格', '41', 'secret-pw', '2026-11-01']) {
      expect(logged).not.toContain(secret);
    }
    expect(logged).toContain('A-0002');
    expect(events.map((e) => e.event)).toEqual([
      'request',
      'response',
      'error',
      'request',
      'response',
      'request',
      'response',
    ]);
  });
});

describe('runtimes', () => {
  it('the main and webhooks entries use no Node built-ins (fetch, WebCrypto, TextEncoder, btoa only)', () => {
    const nodeOnly = new Set(['node.ts', 'test-stub.ts', 'readme-snippets.ts']);
    const files = readdirSync(new URL('.', import.meta.url), { recursive: true, encoding: 'utf8' }).filter(
      (f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !nodeOnly.has(f),
    );
    expect(files).toContain('webhooks.ts');
    for (const file of files) {
      // Comments may show Node usage (`process.env` in an @example); the code may not.
      const text = readFileSync(new URL(file, import.meta.url), 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/^\s*\/\/.*$/gm, '');
      expect(text, file).not.toMatch(/from '(node:|undici)|\bBuffer\b|process\./);
    }
  });
});
