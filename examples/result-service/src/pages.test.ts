import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pickLang } from './pages/layout.js';
import { sample, testService } from './test-kit.js';

let svc: ReturnType<typeof testService>;
beforeEach(() => {
  svc = testService();
});
afterEach(() => svc.cleanup());

const MIN = 60_000;

async function create(externalId: string, extra: Record<string, unknown> = {}) {
  return (await svc.call('a', 'POST', '/api/v1/results', { body: sample(externalId, extra) })).json();
}
const page = (path: string, lang = 'ja', user = '') =>
  svc.app.request(path, { headers: { ...svc.signed('a', 'GET', path, user), 'accept-language': lang } });

describe('recipient pages at /r', () => {
  it('serves the form in Japanese by default and English on request, uncached and self-contained', async () => {
    const ja = await page('/r', 'ja-JP,ja;q=0.9');
    expect(ja.status).toBe(200);
    expect(ja.headers.get('cache-control')).toBe('no-store');
    expect(ja.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await ja.text();
    expect(html).toContain('<html lang="ja">');
    expect(html).toContain('アクセスコード');
    expect(html).toContain('method="post"');
    expect(html).not.toMatch(/<(script|link|img)\b/);
    expect(await (await page('/r', 'en-US,en;q=0.9,ja;q=0.5')).text()).toContain('Access code');
    expect(await (await page('/r?lang=en', 'ja')).text()).toContain('Access code');
    const root = await page('/');
    expect([root.status, root.headers.get('location')]).toEqual([302, '/r']);
  });

  it('says when a result opens before publishAt, and shows it (escaped) after', async () => {
    const r = await create('P1', { title: '<script>alert(1)</script>', details: { 'Score / 点数': 87 } });
    const before = await svc.openResult('a', r.accessCode, r.pin);
    expect(before.status).toBe(200);
    expect(await before.text()).toContain('This result will be available from 1 Dec 2026, 12:00 GMT+9');
    expect((await (await svc.call('a', 'GET', `/api/v1/results/${r.id}`)).json()).status).toBe('scheduled');

    svc.advance(3 * 60 * MIN); // publishAt, before the scheduler ran: the page publishes it itself
    const res = await svc.openResult('a', r.accessCode, r.pin, 'ja');
    const html = await res.text();
    expect(html).toContain('Passed');
    expect(html).toContain('<th scope="row">Score / 点数</th><td>87</td>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<script>');
    expect(html).toContain('この結果は 2027年1月1日 09:00 JST まで表示されます。');
    expect((await (await svc.call('a', 'GET', `/api/v1/results/${r.id}`)).json()).status).toBe('viewed');
  });

  it('is gone after expiresAt and unavailable once withdrawn', async () => {
    const r = await create('P2', { publishAt: '2026-11-30T00:00:00Z', expiresAt: '2026-12-01T00:01:00Z' });
    svc.advance(2 * MIN);
    const gone = await svc.openResult('a', r.accessCode, r.pin);
    expect(gone.status).toBe(410);
    expect(await gone.text()).toContain('no longer available');
    const w = await create('P3', { publishAt: '2026-11-30T00:00:00Z' });
    await svc.call('a', 'DELETE', `/api/v1/results/${w.id}`);
    expect((await svc.openResult('a', w.accessCode, w.pin)).status).toBe(404);
  });

  it('limits wrong PINs to 5 per access code per 15 minutes', async () => {
    const r = await create('P4', { publishAt: '2026-11-30T00:00:00Z' });
    const wrong = r.pin === '000000' ? '111111' : '000000';
    for (let i = 0; i < 5; i++) expect((await svc.openResult('a', r.accessCode, wrong)).status).toBe(401);
    const limited = await svc.openResult('a', r.accessCode, r.pin); // even the right PIN now waits
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('900');
    expect(await limited.text()).toContain('Too many wrong attempts');
    svc.advance(15 * MIN + 1);
    expect((await svc.openResult('a', r.accessCode, r.pin)).status).toBe(200);
    // another code is not affected by the first one's failures
    const other = await create('P5', { publishAt: '2026-11-30T00:00:00Z' });
    expect((await svc.openResult('a', other.accessCode, other.pin)).status).toBe(200);
  });

  it('counts failures for unknown codes too, without telling them apart', async () => {
    const a = await svc.openResult('a', 'AAAA-BBBB-CCCC', '123456');
    expect(a.status).toBe(401);
    expect(await a.text()).toContain('The access code or PIN is not correct.');
  });
});

describe('admin page', () => {
  it('lists the tenant’s results with counts per status and filters by status', async () => {
    await create('A1');
    const w = await create('A2');
    await svc.call('a', 'DELETE', `/api/v1/results/${w.id}`);
    await svc.call('b', 'POST', '/api/v1/results', { body: sample('B-ONLY') });
    const all = await (await page('/admin', 'en', 'admin')).text();
    expect(all).toContain('All (2)');
    expect(all).toContain('Scheduled (1)');
    expect(all).toContain('Withdrawn (1)');
    expect(all).not.toContain('B-ONLY');
    const filtered = await (await page('/admin?status=withdrawn', 'ja', 'admin')).text();
    expect(filtered).toContain('A2');
    expect(filtered).not.toContain('>A1<');
    expect(filtered).toContain('取り下げ (1)');
  });

  it('needs an authenticated user', async () => {
    expect((await page('/admin', 'en', '')).status).toBe(403);
  });
});

describe('pickLang', () => {
  it('takes the highest-q supported language', () => {
    expect(pickLang('fr, en;q=0.8, ja;q=0.9')).toBe('ja');
    expect(pickLang('ja;q=0, en')).toBe('en');
    expect(pickLang(undefined)).toBe('ja');
    expect(pickLang('ja', 'en')).toBe('en');
  });
});
