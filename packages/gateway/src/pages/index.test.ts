import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { memoryDeps } from '../create-deps.js';
import type { PipelineContext } from '../deps.js';
import { GatewayError } from '../errors.js';
import { parsePolicy } from '../policy/load.js';
import { rq } from '../request-state.js';
import type { GatewayEnv } from '../types.js';
import { errorHandler } from './index.js';
import { escapeHtml, pickLang, renderPage } from './layout.js';

const policy = parsePolicy({
  version: 1,
  server: { https: { certFile: 'c', keyFile: 'k' }, upstream: { url: 'http://127.0.0.1:1' } },
  tenants: { t: { hosts: ['t.localhost'], zones: [{ name: 'all', path: '/', auth: 'none' }] } },
});

function app(err: Error) {
  const ctx: PipelineContext = { policy, deps: memoryDeps() };
  const a = new Hono<GatewayEnv>();
  a.onError(errorHandler(ctx));
  a.use(async (c, next) => {
    rq(c).requestId = 'req-1';
    await next();
  });
  a.all('*', () => {
    throw err;
  });
  return a;
}

describe('errorHandler', () => {
  it('answers API clients with the JSON error shape and X-Request-Id', async () => {
    const res = await app(new GatewayError('maintenance', { headers: { 'retry-after': '60' } })).request(
      '/x',
    );
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('60');
    expect(res.headers.get('x-request-id')).toBe('req-1');
    expect(await res.json()).toEqual({
      error: { code: 'maintenance', message: 'Under maintenance.', requestId: 'req-1' },
    });
  });

  it('answers browsers with a page in their language: a plain sentence, a next step, the code last', async () => {
    const res = await app(new GatewayError('no_route')).request('/x', {
      headers: { accept: 'text/html', 'accept-language': 'en' },
    });
    const html = await res.text();
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(html).toContain('<html lang="en">');
    const heading = html.indexOf('<h1>Not found.</h1>');
    const next = html.indexOf('<p class="next">Check that the address is correct');
    const reference = html.indexOf('quote this reference: <code>req-1</code> <code>no_route</code>');
    expect(heading).toBeGreaterThan(0);
    expect(next).toBeGreaterThan(heading);
    expect(reference).toBeGreaterThan(next);
    expect(html).not.toContain('(no_route)');
    const ja = await app(new GatewayError('forbidden')).request('/x', {
      headers: { accept: 'text/html', 'accept-language': 'ja' },
    });
    expect(await ja.text()).toContain('<h1>アクセス権限がありません。</h1>');
  });

  it('never shows the internals of an unexpected error', async () => {
    const stderr = process.stderr.write;
    process.stderr.write = () => true;
    try {
      const res = await app(new Error('db password is hunter2')).request('/x');
      expect(res.status).toBe(500);
      const text = await res.text();
      expect(text).not.toContain('hunter2');
      expect(JSON.parse(text).error.code).toBe('internal_error');
    } finally {
      process.stderr.write = stderr;
    }
  });
});

describe('layout', () => {
  it('prefers the higher-weighted of ja and en, Japanese by default', () => {
    expect(pickLang('en-US,en;q=0.9,ja;q=0.8')).toBe('en');
    expect(pickLang('ja,en;q=0.5')).toBe('ja');
    expect(pickLang('fr-FR,en;q=0.3')).toBe('en');
    expect(pickLang('de')).toBe('ja');
    expect(pickLang(undefined)).toBe('ja');
  });

  it('escapes the title, heading and tenant name', () => {
    const html = renderPage({
      lang: 'ja',
      title: '<t>',
      heading: '"h"',
      bodyHtml: '<p>ok</p>',
      tenantName: "O'Neil & Co",
    });
    expect(html).toContain('<title>&lt;t&gt;</title>');
    expect(html).toContain('&quot;h&quot;');
    expect(html).toContain('O&#39;Neil &amp; Co');
    expect(escapeHtml('<script>')).toBe('&lt;script&gt;');
  });
});
