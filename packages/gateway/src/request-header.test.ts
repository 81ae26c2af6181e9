import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { requestHeader } from './request-header.js';
import { nodeRequest } from './testing/node-request.js';
import type { GatewayEnv } from './types.js';

/** What requestHeader reads, for each of `names`, of a request Node parsed with these header lines. */
async function read(rawHeaders: string[], ...names: string[]): Promise<Record<string, string | null>> {
  const app = new Hono<GatewayEnv>();
  app.get('/', (c) => c.json(Object.fromEntries(names.map((n) => [n, requestHeader(c, n) ?? null]))));
  return (await nodeRequest(app, '/', { rawHeaders })).json();
}

describe('requestHeader', () => {
  it('reads a header whatever its case, and is undefined when absent', async () => {
    const got = await read(['X-Forwarded-For', '203.0.113.7'], 'x-forwarded-for', 'x-request-id');
    expect(got).toEqual({ 'x-forwarded-for': '203.0.113.7', 'x-request-id': null });
  });

  it('joins every occurrence in order with ", " and trims each, as Headers#get does', async () => {
    const raw = ['x-forwarded-for', ' 10.0.0.1 ', 'Accept', '*/*', 'X-FORWARDED-FOR', '10.0.0.2\t'];
    expect(await read(raw, 'x-forwarded-for')).toEqual({ 'x-forwarded-for': '10.0.0.1, 10.0.0.2' });
    expect(new Headers([raw.slice(0, 2), raw.slice(4, 6)] as [string, string][]).get('x-forwarded-for')).toBe(
      '10.0.0.1, 10.0.0.2',
    );
  });

  it('keeps a repeated Authorization as one value (malformed), never only the first', async () => {
    const raw = ['Authorization', 'Basic YTpi', 'authorization', 'Basic YzpkZA=='];
    expect(await read(raw, 'authorization')).toEqual({ authorization: 'Basic YTpi, Basic YzpkZA==' });
  });

  it('matches names of the same length only when they differ in ASCII case alone', async () => {
    // The same length as x-forwarded-for, one character apart: not the header.
    const raw = ['X-Forwarded_For', '10.0.0.9', 'x-forwarded-fox', '10.0.0.8', 'X-fOrWaRdEd-FoR', '10.0.0.1'];
    expect(await read(raw, 'x-forwarded-for')).toEqual({ 'x-forwarded-for': '10.0.0.1' });
  });

  it("reads the checks' four headers and any other name alike, each as often as asked", async () => {
    const raw = [
      'X-Request-Id',
      'abc',
      'Accept',
      'text/html',
      'x-forwarded-proto',
      'https',
      'ACCEPT',
      '*/*',
      'x-request-id',
      'def',
    ];
    const names = ['x-forwarded-proto', 'accept', 'x-request-id', 'authorization', 'x-forwarded-proto'];
    expect(await read(raw, ...names)).toEqual({
      'x-forwarded-proto': 'https',
      accept: 'text/html, */*',
      'x-request-id': 'abc, def',
      authorization: null,
    });
  });
});
