import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sample, testService } from '../test-kit.js';

let svc: ReturnType<typeof testService>;
beforeEach(() => {
  svc = testService({ tenants: { a: { name: { ja: 'A高等学校', en: 'School A' } } } });
});
afterEach(() => svc.cleanup());

const create = async (externalId: string, extra: Record<string, unknown> = {}) =>
  (await svc.call('a', 'POST', '/api/v1/results', { body: sample(externalId, extra) })).json();
const get = (target: string, lang = 'en', user = 'admin') =>
  svc.app.request(target, { headers: { ...svc.signed('a', 'GET', target, user), 'accept-language': lang } });
const postForm = (target: string, form: Record<string, string>, user = 'admin') =>
  svc.app.request(target, {
    method: 'POST',
    headers: {
      ...svc.signed('a', 'POST', target, user),
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams(form).toString(),
  });
const upload = (bytes: Uint8Array<ArrayBuffer>, csrf: string, lang = 'en') => {
  const form = new FormData();
  form.set('csrf', csrf);
  form.set('lang', lang);
  form.set('file', new File([bytes], 'results.csv', { type: 'text/csv' }));
  return svc.app.request('/admin/import', {
    method: 'POST',
    headers: svc.signed('a', 'POST', '/admin/import', 'admin'),
    body: form,
  });
};
const hidden = (html: string, name: string) =>
  new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1] ?? '';

describe('admin list', () => {
  it('shows the tenant name, the user, a logout link; finds by external id or recipient id', async () => {
    await create('A1', { recipient: { id: 'R-777', name: 'Taro' } });
    await create('A2');
    const html = await (await get('/admin')).text();
    expect(html).toContain('<p class="site-name">School A</p>');
    expect(html).toContain('Signed in as admin');
    expect(html).toContain('<a href="/.gateway/logout">Log out</a>');
    const byExternal = await (await get('/admin?q=A2')).text();
    expect(byExternal).toContain('>A2<');
    expect(byExternal).not.toContain('>A1<');
    const byRecipient = await (await get('/admin?q=R-777')).text();
    expect(byRecipient).toContain('>A1<');
    expect(byRecipient).not.toContain('>A2<');
    expect(await (await get('/admin?q=nobody')).text()).toContain('No results match.');
  });

  it('pages 50 at a time, newest first, keeping the filter', async () => {
    for (let i = 1; i <= 55; i++) await create(`P${String(i).padStart(2, '0')}`);
    const first = await (await get('/admin?status=scheduled')).text();
    expect(first.match(/<tr data-status=/g)).toHaveLength(50);
    expect(first).toContain('>P55<');
    expect(first).not.toContain('>P05<');
    const older =
      /href="(\/admin\?[^"]*before=\d+[^"]*)" rel="next"/.exec(first)?.[1]?.replaceAll('&amp;', '&') ?? '';
    expect(older).toContain('status=scheduled');
    const second = await (await get(older)).text();
    expect(second.match(/<tr data-status=/g)).toHaveLength(5);
    expect(second).toContain('>P01<');
    expect(second).not.toContain('rel="next"');
  });

  it('withdraws one result through a confirmation page and a POST with a CSRF token', async () => {
    const r = await create('W1');
    const confirm = await (await get(`/admin/results/${r.id}/withdraw`)).text();
    expect(confirm).toContain('Withdraw the result W1');
    const csrf = hidden(confirm, 'csrf');
    // Without the token, with a forged one, or with another user's: refused, nothing changes.
    expect((await postForm(`/admin/results/${r.id}/withdraw`, { lang: 'en' })).status).toBe(403);
    expect((await postForm(`/admin/results/${r.id}/withdraw`, { csrf: `${csrf}x` })).status).toBe(403);
    expect((await postForm(`/admin/results/${r.id}/withdraw`, { csrf }, 'someone-else')).status).toBe(403);
    expect((await (await svc.call('a', 'GET', `/api/v1/results/${r.id}`)).json()).status).toBe('scheduled');
    const done = await postForm(`/admin/results/${r.id}/withdraw`, { csrf, lang: 'en' });
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe('/admin?lang=en&done=withdrawn&ref=W1');
    expect((await (await svc.call('a', 'GET', `/api/v1/results/${r.id}`)).json()).status).toBe('withdrawn');
    expect(await (await get('/admin?lang=en&done=withdrawn&ref=W1')).text()).toContain(
      'The result W1 was withdrawn.',
    );
  });

  it('exports the filtered list as CSV with a BOM, formulas defused', async () => {
    await create('E1', { recipient: { id: 'R1', name: '=HYPERLINK("http://evil")' } });
    await create('E2');
    const res = await get('/admin/export.csv?q=E1');
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toMatch(
      /^attachment; filename="results-a-2026-12-01\.csv"$/,
    );
    const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(await res.arrayBuffer());
    expect(text.startsWith('\uFEFFexternalId,recipientId,recipientName,recipientEmail,title,outcome,')).toBe(
      true,
    );
    const lines = text.trim().split('\r\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain('E1,R1,"\'=HYPERLINK(""http://evil"")",,2027 entrance exam,Passed,');
    expect(lines[1]).toContain(',scheduled,');
  });
});

describe('CSV import', () => {
  const header = 'externalId,recipientId,recipientName,recipientEmail,title,outcome,publishAt\r\n';

  it('previews a UTF-8 file with one bad row: line numbers, nothing stored, no confirm button', async () => {
    const csrf = hidden(await (await get('/admin/import')).text(), 'csrf');
    const csv = `${header}C1,R1,山田 花子,hanako@example.com,2027 入試,合格,2027/02/10 10:00\r\nC2,R2,"Suzuki, Taro",not-an-email,2027 入試,補欠,\r\n`;
    const res = await upload(new TextEncoder().encode(csv), csrf);
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain('Encoding: UTF-8');
    expect(html).toContain('Rows with errors: 1');
    expect(html).toMatch(
      /Line 3<\/td><td data-label="Column"><code>recipientEmail<\/code><\/td><td data-label="Problem">must be an e-mail address/,
    );
    expect(html).not.toContain('/admin/import/confirm');
    expect(html).toMatch(
      /<input type="file"[^>]*aria-invalid="true" aria-describedby="import-errors" autofocus>/,
    );
    expect(svc.context.store.counts('a').scheduled).toBe(0);
  });

  it('reads Shift_JIS and UTF-8 with a BOM, confirms once, shows the PINs, and a resubmit adds nothing', async () => {
    const csrf = hidden(await (await get('/admin/import?lang=ja', 'ja')).text(), 'csrf');
    // 外部ID,受験番号,氏名,タイトル,結果 with 山田 / 合格, as Excel's "CSV" (Shift_JIS) saves it.
    const sjis = Buffer.concat([
      Buffer.from('externalId,recipientId,'),
      Buffer.from([0x8e, 0x81, 0x96, 0xbc]), // 氏名
      Buffer.from(',title,outcome\r\nS1,R1,'),
      Buffer.from([0x8e, 0x52, 0x93, 0x63]), // 山田
      Buffer.from(',Exam,'),
      Buffer.from([0x8d, 0x87, 0x8a, 0x69]), // 合格
      Buffer.from('\r\n'),
    ]);
    const preview = await (await upload(sjis, csrf, 'ja')).text();
    expect(preview).toContain('文字コード: Shift_JIS');
    expect(preview).toContain('登録できる結果: 1 件');
    expect(preview).toContain('山田');
    expect(preview).toContain('合格');
    expect(svc.context.store.counts('a').scheduled).toBe(0);

    const bom = new Uint8Array([
      0xef,
      0xbb,
      0xbf,
      ...new TextEncoder().encode(`${header}U1,R9,佐藤,,Exam,合格,\r\n`),
    ]);
    const preview2 = await (await upload(bom, csrf)).text();
    expect(preview2).toContain('Encoding: UTF-8 (BOM)');

    const form = {
      csrf: hidden(preview, 'csrf'),
      lang: 'ja',
      key: hidden(preview, 'key'),
      data: hidden(preview, 'data'),
    };
    const done = await postForm('/admin/import/confirm', form);
    expect(done.status).toBe(200);
    const html = await done.text();
    expect(html).toContain('1 件の結果を登録しました。');
    expect(html).toMatch(
      /<code>[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}<\/code><\/td><td data-label="PIN"><code>\d{6}<\/code>/,
    );
    const again = await (await postForm('/admin/import/confirm', form)).text();
    expect(again).toContain('この取り込みはすでに完了しています');
    const list = (await (await svc.call('a', 'GET', '/api/v1/results')).json()).data;
    expect(
      list.map((r: { externalId: string; recipient: { name: string } }) => [r.externalId, r.recipient.name]),
    ).toEqual([['S1', '山田']]);
    // Uploading the same file again: already there, skipped, nothing new to add.
    expect(await (await upload(sjis, csrf, 'ja')).text()).toContain('登録済みのため飛ばす結果: 1 件');
  });

  it('refuses an import without the CSRF token and a file that is not CSV text', async () => {
    const forged = await upload(new TextEncoder().encode(header), 'forged');
    expect(forged.status).toBe(403);
    expect(await forged.text()).toContain('type="file"');
    // The confirmation step checks the token too: nothing is registered without it.
    const confirm = await postForm('/admin/import/confirm', {
      csrf: 'forged',
      lang: 'en',
      key: 'k',
      data: '',
    });
    expect(confirm.status).toBe(403);
    expect((await (await svc.call('a', 'GET', '/api/v1/results')).json()).data).toEqual([]);
    const csrf = hidden(await (await get('/admin/import')).text(), 'csrf');
    const res = await upload(new Uint8Array([0xff, 0xfe, 0xfd, 0x00, 0x81]), csrf);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('The file is neither UTF-8 nor Shift_JIS text.');
    const noHeader = await upload(new TextEncoder().encode('a,b\r\n1,2\r\n'), csrf);
    expect(await noHeader.text()).toContain(
      'Line 1: missing column(s) externalId, recipientId, title, outcome',
    );
  });
});
