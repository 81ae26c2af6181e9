import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { memoryDeps } from '../create-deps.js';
import type { PipelineContext } from '../deps.js';
import { errorHandler } from '../pages/index.js';
import { parsePolicy } from '../policy/load.js';
import { rq } from '../request-state.js';
import { nodeRequest } from '../testing/node-request.js';
import type { GatewayEnv } from '../types.js';
import { maintenance, NOTICES_PATH, noticesRoute } from './index.js';

const policy = parsePolicy({
  version: 1,
  server: { https: { certFile: 'c', keyFile: 'k' }, upstream: { url: 'http://127.0.0.1:1' } },
  tenants: {
    t: {
      hosts: ['t.localhost'],
      zones: [{ name: 'all', path: '/', auth: 'none' }],
      maintenance: [
        {
          start: '2026-12-01T01:00:00Z',
          end: '2026-12-01T03:00:00Z',
          announced: '2026-11-20T00:00:00Z',
          message: '定期メンテナンス',
          bypass: ['203.0.113.0/24'],
        },
      ],
    },
  },
});

function app(nowIso: string, ip = '192.0.2.1') {
  const ctx: PipelineContext = { policy, deps: memoryDeps({ now: () => Date.parse(nowIso) }) };
  const a = new Hono<GatewayEnv>();
  a.onError(errorHandler(ctx));
  a.use(async (c, next) => {
    rq(c).tenantId = 't';
    rq(c).clientIp = ip;
    rq(c).path = new URL(c.req.url).pathname;
    await next();
  });
  a.use(maintenance(ctx));
  a.get(NOTICES_PATH, noticesRoute(ctx));
  a.all('*', (c) => c.text('ok'));
  return a;
}

describe('maintenance', () => {
  it('answers 503 with Retry-After to the end of the window and its message', async () => {
    const res = await nodeRequest(app('2026-12-01T02:00:00Z'), 'https://t.localhost/x');
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('3600');
    expect(await res.json()).toMatchObject({ error: { code: 'maintenance', message: '定期メンテナンス' } });
  });

  it('lets addresses in bypass through, and everyone outside the window', async () => {
    expect(
      (await nodeRequest(app('2026-12-01T02:00:00Z', '203.0.113.7'), 'https://t.localhost/x')).status,
    ).toBe(200);
    expect((await nodeRequest(app('2026-12-01T03:00:00Z'), 'https://t.localhost/x')).status).toBe(200);
  });

  it('lists announced windows at /.gateway/notices, even during the window', async () => {
    const before = await nodeRequest(app('2026-11-19T00:00:00Z'), `https://t.localhost${NOTICES_PATH}`);
    expect(await before.json()).toEqual({ notices: [] });
    const during = await nodeRequest(app('2026-12-01T02:00:00Z'), `https://t.localhost${NOTICES_PATH}`);
    expect(during.status).toBe(200);
    expect(await during.json()).toEqual({
      notices: [
        {
          start: '2026-12-01T01:00:00.000Z',
          end: '2026-12-01T03:00:00.000Z',
          announced: '2026-11-20T00:00:00.000Z',
          message: '定期メンテナンス',
          active: true,
        },
      ],
    });
  });

  it('shows a browser when the window ends, in JST, with the message once', async () => {
    const res = await nodeRequest(app('2026-12-01T02:00:00Z'), 'https://t.localhost/r', {
      headers: { accept: 'text/html', 'accept-language': 'ja' },
    });
    expect(res.status).toBe(503);
    const html = await res.text();
    expect(html).toContain('2026年12月1日(火) 12:00（日本時間）に終了する予定です。');
    expect(html.split('定期メンテナンス').length - 1).toBe(1);
    expect(html.split('メンテナンス中です').length - 1).toBe(2); // <title> and <h1>, nothing more
    const en = await nodeRequest(app('2026-12-01T02:00:00Z'), 'https://t.localhost/r', {
      headers: { accept: 'text/html', 'accept-language': 'en' },
    });
    expect(await en.text()).toContain('It is due to end on Tue, 1 Dec 2026, 12:00 JST.');
  });

  it('lists current and announced windows on a page for a browser, in JST', async () => {
    const before = await nodeRequest(app('2026-11-25T00:00:00Z'), `https://t.localhost${NOTICES_PATH}`, {
      headers: { accept: 'text/html,application/xhtml+xml', 'accept-language': 'ja' },
    });
    expect(before.headers.get('content-type')).toContain('text/html');
    const html = await before.text();
    expect(html).toContain('<h1>メンテナンスのお知らせ</h1>');
    expect(html).toContain(
      '<strong>予定</strong>: 2026年12月1日(火) 10:00（日本時間） から 2026年12月1日(火) 12:00（日本時間） まで',
    );
    expect(html).toContain('定期メンテナンス');
    const during = await nodeRequest(app('2026-12-01T02:00:00Z'), `https://t.localhost${NOTICES_PATH}`, {
      headers: { accept: 'text/html', 'accept-language': 'en' },
    });
    expect(await during.text()).toContain('<strong>In progress</strong>: From Tue, 1 Dec 2026, 10:00 JST to');
    const none = await nodeRequest(app('2026-11-19T00:00:00Z'), `https://t.localhost${NOTICES_PATH}`, {
      headers: { accept: 'text/html', 'accept-language': 'en' },
    });
    expect(await none.text()).toContain('No maintenance is planned.');
  });
});
