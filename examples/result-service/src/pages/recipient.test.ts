import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sample, testService } from '../test-kit.js';
import { readViewToken, signViewToken } from './view-token.js';

let svc: ReturnType<typeof testService>;
beforeEach(() => {
  svc = testService({
    tenants: {
      a: {
        name: { ja: 'A高等学校', en: 'School A' },
        contact: {
          ja: 'A高等学校 入試係 03-0000-0000（平日 9〜17 時）',
          en: 'Admissions office, School A, +81 3-0000-0000',
        },
        publicUrl: 'https://school-a.localhost:8443',
      },
    },
  });
});
afterEach(() => svc.cleanup());

async function openable(externalId: string) {
  const body = sample(externalId, { publishAt: '2026-11-30T00:00:00Z' });
  return (await svc.call('a', 'POST', '/api/v1/results', { body })).json();
}
const post = (tenant: string, code: string, pin: string, lang = 'en') =>
  svc.app.request('/r', {
    method: 'POST',
    headers: {
      ...svc.signed(tenant, 'POST', '/r', ''),
      'content-type': 'application/x-www-form-urlencoded',
      'accept-language': lang,
    },
    body: new URLSearchParams({ code, pin }).toString(),
  });
const get = (tenant: string, target: string, cookie = '', accept = 'text/html') =>
  svc.app.request(target, { headers: { ...svc.signed(tenant, 'GET', target, ''), cookie, accept } });

describe('the recipient flow', () => {
  it('names the school and its contact on the form, and builds e-mail links from the public URL', async () => {
    const form = await (await get('a', '/r?lang=ja')).text();
    expect(form).toContain('<p class="site-name">A高等学校</p>');
    expect(form).toContain('お問い合わせ: A高等学校 入試係 03-0000-0000');
    expect(form).toContain('A高等学校からの結果を確認できます。');
    await openable('M1');
    await svc.tick();
    const mail = svc.sent[0];
    expect(mail?.url).toBe('https://school-a.localhost:8443/r');
    expect(mail?.senderName).toBe('A高等学校 / School A');
    expect(mail?.text).toContain('A高等学校より、「2027 entrance exam」の結果を公開しました。');
    expect(mail?.text).toContain('https://school-a.localhost:8443/r\r\n');
    expect(mail?.text).toContain('お問い合わせ: A高等学校 入試係');
    expect(mail?.text).toContain('Contact: Admissions office, School A');
  });

  it('posts, redirects to a GET the browser can reload and switch language on, never with the PIN in a URL', async () => {
    const r = await openable('V1');
    const posted = await post('a', r.accessCode, r.pin);
    expect(posted.status).toBe(303);
    const location = posted.headers.get('location') ?? '';
    expect(location).toBe('/r/result?lang=en');
    expect(location).not.toContain(r.pin);
    const setCookie = posted.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^__Host-rs-view=res_[0-9a-f]{32}\.\d+\.[\w-]+;/);
    expect(setCookie).toContain('Max-Age=900');
    expect(setCookie).toContain('Path=/');
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('Secure');
    expect(setCookie).toContain('SameSite=Strict');
    expect(setCookie).not.toContain(r.pin);
    const cookie = setCookie.split(';')[0] ?? '';

    const first = await get('a', location, cookie);
    const html = await first.text();
    expect(first.status).toBe(200);
    expect(html).toContain('<p class="outcome">Passed</p>');
    expect(html).toContain('This result is shown until 1 Jan 2027, 09:00 GMT+9.');
    expect(html).toContain('For questions about your result, contact Admissions office, School A');
    // A reload, and the language switch (a GET of the same page with lang=ja): the result again.
    const again = await get('a', location, cookie);
    expect(await again.text()).toContain('<p class="outcome">Passed</p>');
    expect(html).toContain('href="/r/result?lang=ja"');
    const ja = await (await get('a', '/r/result?lang=ja', cookie)).text();
    expect(ja).toContain('<html lang="ja">');
    expect(ja).toContain('このあとのこと');
    expect(ja).toContain('<p class="outcome">Passed</p>');
    // Finish clears the cookie.
    const finish = await svc.app.request('/r/finish', {
      method: 'POST',
      headers: {
        ...svc.signed('a', 'POST', '/r/finish', ''),
        'content-type': 'application/x-www-form-urlencoded',
        cookie,
      },
      body: 'lang=en',
    });
    expect(finish.status).toBe(303);
    expect(finish.headers.get('set-cookie')).toContain('Max-Age=0');
  });

  it('refuses a token that expired, was altered or belongs to another tenant: the form again', async () => {
    const r = await openable('V2');
    const cookie =
      ((await post('a', r.accessCode, r.pin)).headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    expect((await get('b', '/r/result', cookie)).status).toBe(401);
    const altered = cookie.replace(/.$/, (ch) => (ch === 'A' ? 'B' : 'A'));
    expect((await get('a', '/r/result', altered)).status).toBe(401);
    svc.advance(15 * 60_000 + 1);
    const late = await get('a', '/r/result?lang=en', cookie);
    expect(late.status).toBe(401);
    const html = await late.text();
    expect(html).toContain('Your viewing time has ended.');
    expect(html).toContain('name="pin"');
    expect(html).not.toContain('Passed');
  });

  it('signs tokens per tenant and result, with an expiry', () => {
    const key = Buffer.alloc(32, 7);
    const id = `res_${'a'.repeat(32)}`;
    const token = signViewToken(key, 't1', id, 2000);
    expect(readViewToken(key, 't1', token, 1999)).toBe(id);
    expect(readViewToken(key, 't1', token, 2000)).toBeUndefined();
    expect(readViewToken(key, 't2', token, 1000)).toBeUndefined();
    expect(readViewToken(key, 't1', token.replace('.2000.', '.9000.'), 1000)).toBeUndefined();
    expect(readViewToken(key, 't1', undefined, 1000)).toBeUndefined();
  });

  it('moves the focus to the PIN after a wrong one, with the error tied to it', async () => {
    const r = await openable('V3');
    const html = await (await post('a', r.accessCode, r.pin === '000000' ? '111111' : '000000')).text();
    expect(html).toMatch(
      /<input id="pin"[^>]* aria-invalid="true" aria-describedby="form-message" autofocus>/,
    );
    expect(html).toContain('id="form-message" class="error" role="alert"');
    expect(html).not.toMatch(/<input type="text" id="code"[^>]*autofocus/);
  });
});

describe('error pages for browsers', () => {
  it('answers an unknown path with a 404 page in the browser’s language, JSON for API clients', async () => {
    const page = await svc.app.request('/nowhere', {
      headers: { ...svc.signed('a', 'GET', '/nowhere', ''), accept: 'text/html', 'accept-language': 'ja' },
    });
    expect(page.status).toBe(404);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    expect(html).toContain('<h1>ページが見つかりません。</h1>');
    expect(html).toContain('A高等学校');
    expect(html).toMatch(
      /お問い合わせの際は次の番号をお伝えください: <code>req-\d+<\/code> <code>not_found<\/code>/,
    );
    const en = await svc.app.request('/nowhere', {
      headers: { ...svc.signed('a', 'GET', '/nowhere', ''), accept: 'text/html', 'accept-language': 'en' },
    });
    expect(await en.text()).toContain('<h1>Page not found.</h1>');
    const api = await svc.call('a', 'GET', '/nowhere');
    expect(api.status).toBe(404);
    expect((await api.json()).error.code).toBe('not_found');
  });

  it('answers a malformed form post (400) and an unsigned request (401) with pages too', async () => {
    const bad = await svc.app.request('/r', {
      method: 'POST',
      headers: {
        ...svc.signed('a', 'POST', '/r', ''),
        accept: 'text/html',
        'content-type': 'multipart/form-data; boundary=x',
      },
      body: 'not multipart',
    });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('リクエストを処理できませんでした。');
    const unsigned = await svc.app.request('/r', {
      headers: { accept: 'text/html', 'accept-language': 'en' },
    });
    expect(unsigned.status).toBe(401);
    expect(await unsigned.text()).toContain('This page cannot be opened directly.');
  });

  it('shows a 500 page without internals', async () => {
    const stderr = console.error;
    console.error = () => {};
    try {
      svc.context.store.search = () => {
        throw new Error('disk secret /var/x');
      };
      const res = await svc.app.request('/admin', {
        headers: {
          ...svc.signed('a', 'GET', '/admin', 'admin'),
          accept: 'text/html',
          'accept-language': 'en',
        },
      });
      expect(res.status).toBe(500);
      const html = await res.text();
      expect(html).toContain('Something went wrong on our side.');
      expect(html).not.toContain('disk secret');
    } finally {
      console.error = stderr;
    }
  });
});
