import type { Context } from 'hono';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { requestHeader } from './request-header.js';
import type { GatewayEnv } from './types.js';

/** A context served by Node: only what requestHeader reads (the raw header list). */
function nodeContext(rawHeaders: string[]): Context<GatewayEnv> {
  return { env: { incoming: { rawHeaders } } } as unknown as Context<GatewayEnv>;
}

describe('requestHeader', () => {
  it('reads a header whatever its case, and is undefined when absent', () => {
    const c = nodeContext(['Host', 'a.example', 'X-Forwarded-For', '203.0.113.7']);
    expect(requestHeader(c, 'x-forwarded-for')).toBe('203.0.113.7');
    expect(requestHeader(c, 'x-request-id')).toBeUndefined();
  });

  it('joins every occurrence in order with ", " and trims each, as Headers#get does', () => {
    const raw = ['x-forwarded-for', ' 10.0.0.1 ', 'Accept', '*/*', 'X-FORWARDED-FOR', '10.0.0.2\t'];
    expect(requestHeader(nodeContext(raw), 'x-forwarded-for')).toBe('10.0.0.1, 10.0.0.2');
    expect(new Headers([raw.slice(0, 2), raw.slice(4, 6)] as [string, string][]).get('x-forwarded-for')).toBe(
      '10.0.0.1, 10.0.0.2',
    );
  });

  it('keeps a repeated Authorization as one value (malformed), never only the first', () => {
    const raw = ['Authorization', 'Basic YTpi', 'authorization', 'Basic YzpkZA=='];
    expect(requestHeader(nodeContext(raw), 'authorization')).toBe('Basic YTpi, Basic YzpkZA==');
  });

  it('reads the web Request under app.request() (no Node request)', async () => {
    const app = new Hono<GatewayEnv>();
    app.get('/', (c) => c.text(requestHeader(c, 'x-request-id') ?? 'none'));
    const res = await app.request('/', { headers: { 'X-Request-Id': 'abc' } });
    expect(await res.text()).toBe('abc');
  });
});
