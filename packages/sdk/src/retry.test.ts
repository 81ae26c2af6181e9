import { afterEach, describe, expect, it } from 'vitest';
import { ResultClient } from './client.js';
import {
  AuthenticationError,
  MaintenanceError,
  NetworkError,
  OverloadedError,
  RateLimitError,
  TimeoutError,
  UpstreamError,
  ValidationError,
} from './errors.js';
import { HttpCore } from './http.js';
import { normalizeOptions } from './options.js';
import { envelope, type Stub, startStub } from './test-stub.js';
import type { ResultInput } from './types.js';

const item: ResultInput = {
  externalId: 'exam-2027-0001',
  recipient: { id: 'A-0001', name: '山田 花子' },
  title: '入学試験',
  outcome: '合格',
};
const fastRetry = { limit: 2, baseDelay: 1, maxDelay: 5, maxRetryAfter: 2_000 };
let stub: Stub | undefined;
afterEach(async () => {
  await stub?.close();
  stub = undefined;
});

function client(url: string, extra: Partial<ConstructorParameters<typeof ResultClient>[0]> = {}) {
  return new ResultClient({ baseUrl: url, username: 'hr-sync', password: 'pw', retry: fastRetry, ...extra });
}

describe('retries', () => {
  it('retries a POST on 503 overloaded with the same Idempotency-Key every time', async () => {
    stub = await startStub((_req, n) =>
      n < 3
        ? { status: 503, headers: { 'retry-after': '0' }, body: envelope('overloaded') }
        : { status: 201, body: { id: 'r_1', externalId: item.externalId, status: 'published' } },
    );
    const created = await client(stub.url).results.send(item);
    expect(created.id).toBe('r_1');
    expect(stub.requests).toHaveLength(3);
    const keys = new Set(stub.requests.map((r) => r.headers['idempotency-key']));
    expect(keys.size).toBe(1);
    expect([...keys][0]).toMatch(/^rg1-[0-9a-f]{48}\.[0-9a-f]{16}$/);
  });

  it('gives up after retry.limit and throws the last error, typed', async () => {
    stub = await startStub(() => ({ status: 504, body: envelope('upstream_timeout') }));
    const err = await client(stub.url)
      .results.get('r_1')
      .catch((e) => e);
    expect(err).toBeInstanceOf(UpstreamError);
    expect(err.retryable).toBe(true);
    expect(stub.requests).toHaveLength(3);
  });

  it('retries 502 and 429 rate limits but not 500', async () => {
    stub = await startStub((_r, n) =>
      n === 1
        ? { status: 502, body: envelope('upstream_unavailable') }
        : n === 2
          ? { status: 429, headers: { 'retry-after': '0' }, body: envelope('rate_limited') }
          : { status: 500, body: envelope('internal_error') },
    );
    const err = await client(stub.url, { retry: { ...fastRetry, limit: 5 } })
      .results.get('r_1')
      .catch((e) => e);
    expect(err).toBeInstanceOf(UpstreamError);
    expect(err.code).toBe('internal_error');
    expect(stub.requests).toHaveLength(3);
  });

  it.each([
    [401, 'unauthorized', AuthenticationError],
    [422, 'validation_failed', ValidationError],
    [429, 'locked_out', RateLimitError],
  ])('never retries %i %s', async (status, code, Class) => {
    stub = await startStub(() => ({ status, headers: { 'retry-after': '0' }, body: envelope(code) }));
    const err = await client(stub.url)
      .results.send(item)
      .catch((e) => e);
    expect(err).toBeInstanceOf(Class);
    expect(stub.requests).toHaveLength(1);
  });

  it('does not wait for a maintenance window longer than maxRetryAfter, and says when it ends', async () => {
    stub = await startStub(() => ({
      status: 503,
      headers: { 'retry-after': '3600' },
      body: envelope('maintenance'),
    }));
    const before = Date.now();
    const err = await client(stub.url)
      .results.get('r_1')
      .catch((e) => e);
    expect(err).toBeInstanceOf(MaintenanceError);
    expect(err.retryAfter).toBe(3600);
    expect(err.retryAt.getTime()).toBeGreaterThanOrEqual(before + 3_600_000);
    expect(stub.requests).toHaveLength(1);
  });

  it('waits out a short maintenance Retry-After and retries', async () => {
    stub = await startStub((_r, n) =>
      n === 1
        ? { status: 503, headers: { 'retry-after': '0' }, body: envelope('maintenance') }
        : { body: { id: 'r_1' } },
    );
    await expect(client(stub.url).results.get('r_1')).resolves.toMatchObject({ id: 'r_1' });
    expect(stub.requests).toHaveLength(2);
  });

  it('a 429 with Retry-After beyond the cap is thrown at once with retryAfter', async () => {
    stub = await startStub(() => ({
      status: 429,
      headers: { 'retry-after': '120' },
      body: envelope('rate_limited'),
    }));
    const err = await client(stub.url)
      .results.get('r_1')
      .catch((e) => e);
    expect(err).toBeInstanceOf(RateLimitError);
    expect(err).toMatchObject({ retryAfter: 120, lockedOut: false, retryable: true });
    expect(stub.requests).toHaveLength(1);
  });

  it('never retries a POST that has no Idempotency-Key', async () => {
    stub = await startStub(() => ({
      status: 503,
      headers: { 'retry-after': '0' },
      body: envelope('overloaded'),
    }));
    const http = new HttpCore(normalizeOptions({ baseUrl: stub.url, retry: fastRetry }));
    const err = await http.request('POST', 'api/v1/results', { json: {} }).catch((e) => e);
    expect(err).toBeInstanceOf(OverloadedError);
    expect(stub.requests).toHaveLength(1);
  });

  it('retries network errors, then throws NetworkError with the cause', async () => {
    let calls = 0;
    const failing = async () => {
      calls++;
      throw new TypeError('fetch failed', {
        cause: Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }),
      });
    };
    const c = new ResultClient({ baseUrl: 'https://school-a.example', fetch: failing, retry: fastRetry });
    const err = await c.results.get('r_1').catch((e) => e);
    expect(err).toBeInstanceOf(NetworkError);
    expect(err.message).toContain('ECONNREFUSED');
    expect(err.message).toContain('GET https://school-a.example/api/v1/results/r_1');
    expect(calls).toBe(3);
  });

  it('throws TimeoutError when no answer comes within timeout', async () => {
    stub = await startStub(() => ({ delay: 500, body: {} }));
    const err = await client(stub.url, { timeout: 50, retry: 0 })
      .results.get('r_1')
      .catch((e) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err.status).toBeUndefined();
  });
});

describe('answers', () => {
  it('a 200 that is not JSON (an HTML page) is a ResultGateError that names the likely cause', async () => {
    stub = await startStub(() => ({ headers: { 'content-type': 'text/html' }, raw: '<html>' }));
    const err = await client(stub.url)
      .results.get('r_1')
      .catch((e) => e);
    expect(err.code).toBe('invalid_response');
    expect(err.message).toContain('is baseUrl the gateway?');
  });
});

describe('auth-failure breaker', () => {
  it('stops sending after authFailureLimit consecutive 401s, until reset', async () => {
    stub = await startStub(() => ({ status: 401, body: envelope('unauthorized') }));
    const c = client(stub.url, { authFailureLimit: 3 });
    for (let i = 0; i < 3; i++)
      await expect(c.results.get('r_1')).rejects.toBeInstanceOf(AuthenticationError);
    const err = await c.results.get('r_1').catch((e) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect(err.code).toBe('auth_breaker_open');
    expect(stub.requests).toHaveLength(3);
    stub.handle(() => ({ body: { id: 'r_1' } }));
    c.resetAuthFailures();
    await expect(c.results.get('r_1')).resolves.toMatchObject({ id: 'r_1' });
    expect(c.authFailures).toBe(0);
  });

  it('a success in between resets the streak', async () => {
    stub = await startStub((_r, n) =>
      n === 2 ? { body: {} } : { status: 401, body: envelope('unauthorized') },
    );
    const c = client(stub.url, { authFailureLimit: 2 });
    await c.results.get('a').catch(() => {});
    await c.results.get('b');
    await c.results.get('c').catch(() => {});
    expect(c.authFailures).toBe(1);
    await c.results.get('d').catch(() => {});
    expect(stub.requests).toHaveLength(4);
  });
});
