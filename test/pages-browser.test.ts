/**
 * The pages as people meet them, in a real browser (Debian chromium + playwright-core) through the
 * real gateway over TLS in front of the real result service:
 *
 * - an applicant opens the link in the notification e-mail → code + PIN → result → reload →
 *   English, at phone width (390 px);
 * - a school office logs in → imports a CSV with one bad row → fixes it → sees the results →
 *   withdraws one → exports the list → logs out;
 * - the error, maintenance and notice pages.
 *
 * axe-core runs on every page in Japanese and English, at desktop width and 390 px, and the test
 * fails on any serious or critical violation. With SCREENSHOT_DIR set (`npm run screenshots`) the
 * main pages are saved there as PNGs for the README; otherwise they go to test/artifacts/.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunningResultService, TenantProfileInput } from '@resultgate/example-result-service';
import type { PolicyInput } from '@resultgate/gateway';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeViolations, browserRuns, CHROMIUM, launchBrowser } from './helpers/browser.js';
import { cheapHash, httpsRequest, startTestGateway, type TestGateway } from './helpers/index.js';
import { startTestResultService, type TestResultService } from './helpers/result-service.js';

const SHOTS = process.env.SCREENSHOT_DIR
  ? resolve(process.env.SCREENSHOT_DIR)
  : join(dirname(fileURLToPath(import.meta.url)), 'artifacts');
const ADMIN_PASSWORD = 'Admin-Password-1';
const SYNC_PASSWORD = 'Sync-Password-1';
const HOUR = 3_600_000;
const DESKTOP = { width: 1024, height: 760 };
const PHONE = { width: 390, height: 844 };

const now = Date.now();
const iso = (ms: number) => new Date(ms).toISOString();
const tenants: PolicyInput['tenants'] = {
  'school-a': {
    name: 'A高等学校',
    hosts: ['school-a.localhost'],
    users: {
      admin: { passwordHash: cheapHash(ADMIN_PASSWORD), roles: ['admin'] },
      sync: { passwordHash: cheapHash(SYNC_PASSWORD), roles: ['integration'] },
    },
    zones: [
      { name: 'admin', path: '/admin', auth: 'form', roles: ['admin'] },
      { name: 'api', path: '/api', auth: 'basic', roles: ['integration'] },
      { name: 'recipient', path: '/', auth: 'none' },
    ],
    maintenance: [
      {
        start: iso(now + 7 * 24 * HOUR),
        end: iso(now + 7 * 24 * HOUR + 2 * HOUR),
        announced: iso(now - HOUR),
        message: '定期メンテナンス / Scheduled maintenance',
      },
    ],
  },
  'univ-b': {
    name: 'B大学',
    hosts: ['univ-b.localhost'],
    zones: [{ name: 'recipient', path: '/', auth: 'none' }],
    maintenance: [
      {
        start: iso(now - HOUR),
        end: iso(now + 2 * HOUR),
        announced: iso(now - 7 * 24 * HOUR),
        message: 'システム更新 / System update',
      },
    ],
  },
};

// The result service's own view of its tenants. The public URL needs the gateway's port, known
// only once the gateway listens; the service reads its profiles on each use, so it is set then.
const profiles: Record<string, TenantProfileInput> = {
  'school-a': {
    name: { ja: 'A高等学校', en: 'School A' },
    contact: {
      ja: 'A高等学校 入試係（03-0000-0000、平日 9〜17 時）',
      en: 'Admissions office, School A (+81 3-0000-0000, weekdays 9:00–17:00 JST)',
    },
  },
};

describe.skipIf(!browserRuns)('pages in a real browser (chromium), with axe-core on each', () => {
  let results: TestResultService;
  let service: RunningResultService;
  let gw: TestGateway;
  let browser: Browser;
  let base: string;
  const violations: string[] = [];

  beforeAll(async () => {
    results = await startTestResultService('pages-browser-', {
      schedulerIntervalMs: 100,
      tenants: profiles,
    });
    service = results.service;
    const { identitySecret } = results;
    gw = await startTestGateway({
      upstream: service.url,
      tenants,
      deps: { identitySecret, sessionKeys: [randomBytes(32)] },
    });
    base = `https://school-a.localhost:${gw.httpsPort}`;
    (profiles['school-a'] as TenantProfileInput).publicUrl = base;
    browser = await launchBrowser();
    await mkdir(SHOTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await gw?.close();
    await results?.close();
  });

  type Session = Awaited<ReturnType<BrowserContext['storageState']>>;

  async function newPage(locale: string, viewport = DESKTOP, storageState?: Session): Promise<Page> {
    const context: BrowserContext = await browser.newContext({
      ...(storageState ? { storageState } : {}),
      ignoreHTTPSErrors: true,
      locale,
      viewport,
      bypassCSP: true, // for axe's script only: the pages themselves run none
      acceptDownloads: true,
    });
    return context.newPage();
  }

  /** axe on the page (collected; asserted at the end of each test so one run lists them all). */
  async function check(page: Page, label: string) {
    violations.push(...(await axeViolations(page, label)));
    const width = page.viewportSize()?.width ?? 0;
    const scroll = await page.evaluate(() => document.documentElement.scrollWidth);
    if (scroll > width) violations.push(`${label}: page is ${scroll}px wide in a ${width}px viewport`);
  }

  async function shot(page: Page, name: string) {
    await page.screenshot({ path: join(SHOTS, `${name}.png`) });
  }

  /** The same URL at both widths and in both languages, each checked with axe. */
  async function checkEverywhere(path: string, label: string, host = base, session?: Session) {
    for (const locale of ['ja-JP', 'en-US']) {
      for (const viewport of [DESKTOP, PHONE]) {
        const page = await newPage(locale, viewport, session);
        await page.goto(`${host}${path}`);
        await check(page, `${label} ${locale} ${viewport.width}px`);
        await page.context().close();
      }
    }
  }

  it('an applicant: e-mail link → code + PIN → result → reload → English, at 390 px', async () => {
    violations.length = 0;
    const sent = await httpsRequest({
      port: gw.httpsPort,
      host: 'school-a.localhost',
      method: 'POST',
      path: '/api/v1/results',
      headers: {
        authorization: `Basic ${Buffer.from(`sync:${SYNC_PASSWORD}`).toString('base64')}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        externalId: 'E-2027-001',
        recipient: { id: 'A-1001', name: '山田 花子', email: 'hanako@example.com' },
        title: '2027年度 入学試験 / 2027 entrance exam',
        outcome: '合格 / Passed',
        details: { '受験番号 / Exam number': 'A-1001' },
        expiresAt: iso(now + 30 * 24 * HOUR),
      }),
    });
    expect(sent.status).toBe(201);
    const { accessCode, pin } = sent.json() as { accessCode: string; pin: string };

    // The e-mail: from the school by name, its link the gateway's real address (port included).
    const outbox = join(results.dir, 'outbox', 'school-a');
    let mail = '';
    for (let i = 0; i < 150 && mail === ''; i++) {
      const files = (() => {
        try {
          return readdirSync(outbox);
        } catch {
          return [];
        }
      })();
      if (files[0]) mail = readFileSync(join(outbox, files[0]), 'utf8');
      // Not there yet: wait (an empty read must not spin the 150 tries away in a millisecond).
      if (mail === '') await new Promise((r) => setTimeout(r, 100));
    }
    expect(mail).toContain(`From: =?UTF-8?B?${Buffer.from('A高等学校 / School A').toString('base64')}?=`);
    expect(mail).toContain('A高等学校より、「2027年度 入学試験 / 2027 entrance exam」の結果を公開しました。');
    const link = /^https:\/\/\S+$/m.exec(mail)?.[0] ?? '';
    expect(link).toBe(`${base}/r`);

    const page = await newPage('ja-JP', PHONE);
    await page.goto(link);
    expect(await page.locator('.site-name').textContent()).toBe('A高等学校');
    expect(await page.textContent('footer')).toContain('A高等学校 入試係（03-0000-0000');
    await check(page, 'recipient form ja 390px');
    await shot(page, 'recipient-form-ja-390');

    // A wrong PIN: the neutral message, announced, and the focus on the PIN to retype.
    await page.getByLabel('アクセスコード').fill(accessCode.toLowerCase().replaceAll('-', ''));
    await page.getByLabel('PIN（6 桁の数字）').fill(pin === '000000' ? '111111' : '000000');
    await page.getByRole('button', { name: '確認する' }).click();
    expect(await page.getByRole('alert').textContent()).toContain(
      'アクセスコードまたは PIN が正しくありません',
    );
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('pin');
    await check(page, 'recipient wrong PIN ja 390px');

    await page.getByLabel('PIN（6 桁の数字）').fill(pin);
    await page.getByRole('button', { name: '確認する' }).click();
    expect(new URL(page.url()).pathname).toBe('/r/result');
    expect(page.url()).not.toContain(pin);
    expect(await page.locator('.outcome').textContent()).toBe('合格 / Passed');
    const body = await page.textContent('main');
    expect(body).toContain('まで表示されます。');
    expect(body).toContain(
      '内容についてのお問い合わせは、A高等学校 入試係（03-0000-0000、平日 9〜17 時） までご連絡ください。',
    );
    await check(page, 'recipient result ja 390px');
    await shot(page, 'recipient-result-ja-390');

    // A reload is a GET again (no resubmission), and still the result.
    const reload = await page.reload();
    expect(reload?.request().method()).toBe('GET');
    expect(await page.locator('.outcome').textContent()).toBe('合格 / Passed');

    // The language switch keeps the result.
    await page.getByRole('link', { name: 'English' }).click();
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    expect(await page.locator('.outcome').textContent()).toBe('合格 / Passed');
    expect(await page.textContent('main')).toContain('What happens next');
    expect(await page.locator('.site-name').textContent()).toBe('School A');
    await check(page, 'recipient result en 390px');
    await page.setViewportSize(DESKTOP);
    await check(page, 'recipient result en desktop');
    await shot(page, 'recipient-result-en');

    // Finish: the view token is gone, the result cannot be reloaded.
    await page.getByRole('button', { name: 'Finish' }).click();
    await page.goto(`${base}/r/result?lang=en`);
    expect(await page.locator('.outcome').count()).toBe(0);
    expect(await page.textContent('main')).toContain('Your viewing time has ended.');
    await page.context().close();

    await checkEverywhere('/r', 'recipient form');
    expect(violations).toEqual([]);
  }, 480_000);

  it('a school office: login → CSV import with one bad row → fix → results → withdraw → export → logout', async () => {
    violations.length = 0;
    const page = await newPage('ja-JP');
    await page.goto(`${base}/admin`);
    expect(new URL(page.url()).pathname).toBe('/.gateway/login');
    await check(page, 'login ja desktop');
    await page.getByLabel('ユーザー名').fill('admin');
    await page.getByLabel('パスワード').fill('wrong-password');
    await page.getByRole('button', { name: 'ログイン' }).click();
    expect(await page.getByRole('alert').textContent()).toContain(
      'ユーザー名またはパスワードが正しくありません',
    );
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('password');
    await check(page, 'login error ja desktop');
    await page.getByLabel('パスワード').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'ログイン' }).click();
    expect(new URL(page.url()).pathname).toBe('/admin');
    expect(await page.locator('.site-name').textContent()).toBe('A高等学校');
    await check(page, 'admin list ja desktop');

    // Import: a Shift_JIS-free UTF-8 file with one bad e-mail on line 3.
    const header = '外部ID,受験番号,氏名,メール,タイトル,結果,公開日時\r\n';
    const good = 'S-001,A-2001,佐藤 一郎,ichiro@example.com,2027年度 入学試験,合格,2026/01/01 09:00\r\n';
    const bad = 'S-002,A-2002,鈴木 次郎,jiro-at-example,2027年度 入学試験,補欠,2026/01/01 09:00\r\n';
    const fixed = bad.replace('jiro-at-example', 'jiro@example.com');
    const third = 'S-003,A-2003,高橋 三郎,,2027年度 入学試験,不合格,2026/01/01 09:00\r\n';
    await page.getByRole('link', { name: 'CSV 取り込み' }).click();
    await check(page, 'import ja desktop');
    await page.getByLabel('CSV ファイル').setInputFiles({
      name: 'results.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(`\uFEFF${header}${good}${bad}${third}`),
    });
    await page.getByRole('button', { name: '内容を確認する' }).click();
    const alert = await page.getByRole('alert').textContent();
    expect(alert).toContain('まだ何も登録していません');
    expect(alert).toContain('3 行目');
    expect(alert).toContain('メールアドレスの形式ではありません');
    expect(await page.getByRole('button', { name: /件を登録する/ }).count()).toBe(0);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('file');
    expect(service.context.store.counts('school-a').scheduled).toBe(0);
    await check(page, 'import errors ja desktop');
    await shot(page, 'admin-import-error-ja');

    await page.getByLabel('CSV ファイル').setInputFiles({
      name: 'results.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(`${header}${good}${fixed}${third}`),
    });
    await page.getByRole('button', { name: '内容を確認する' }).click();
    expect(await page.textContent('main')).toContain('登録できる結果: 3 件');
    await check(page, 'import preview ja desktop');
    await page.getByRole('button', { name: '3 件を登録する' }).click();
    expect(await page.getByRole('status').textContent()).toContain('3 件の結果を登録しました。');
    expect(await page.locator('td[data-label="PIN"] code').count()).toBe(3);
    await check(page, 'import done ja desktop');

    await page.getByRole('link', { name: '結果一覧' }).first().click();
    for (const id of ['S-001', 'S-002', 'S-003']) expect(await page.textContent('table')).toContain(id);
    await page.getByLabel('外部 ID または受信者 ID').fill('A-2002');
    await page.getByRole('button', { name: '検索' }).click();
    expect(await page.locator('tbody tr').count()).toBe(1);
    await page.getByRole('link', { name: 'S-002 を取り下げる' }).click();
    await check(page, 'withdraw confirm ja desktop');
    // The admin's GET pages in both languages and at both widths, with this session.
    const session = await page.context().storageState();
    await checkEverywhere(new URL(page.url()).pathname, 'withdraw confirm', base, session);
    await checkEverywhere('/admin/import', 'import', base, session);
    await checkEverywhere('/.gateway/logout', 'logout', base, session);
    await page.getByRole('button', { name: '取り下げる' }).click();
    expect(await page.getByRole('status').textContent()).toContain('S-002 の結果を取り下げました。');
    expect(await page.locator('tr[data-status="withdrawn"]').count()).toBe(1);
    await page.goto(`${base}/admin`);
    await check(page, 'admin list ja desktop (after import)');
    await shot(page, 'admin-list-ja');

    // The export link, fetched by the page itself with its session (headless chromium cancels
    // downloads to disk here, so the test reads the answer the link gives rather than a saved file).
    const exportHref = await page
      .getByRole('link', { name: 'この一覧を CSV で書き出す' })
      .getAttribute('href');
    const exported = await page.evaluate(async (href) => {
      const res = await fetch(href as string);
      return {
        disposition: res.headers.get('content-disposition'),
        bytes: [...new Uint8Array(await res.arrayBuffer())],
      };
    }, exportHref);
    expect(exported.disposition).toMatch(/^attachment; filename="results-school-a-/);
    const csv = new TextDecoder('utf-8', { ignoreBOM: true }).decode(new Uint8Array(exported.bytes));
    expect(csv.startsWith('\uFEFFexternalId,recipientId,')).toBe(true);
    expect(csv).toMatch(/^S-002,A-2002,鈴木 次郎,jiro@example\.com,.*,withdrawn,/m);
    expect(csv.match(/^S-00\d,/gm)).toHaveLength(3);

    // At 390 px the list is cards, not a table wider than the phone; English too.
    await page.setViewportSize(PHONE);
    await check(page, 'admin list ja 390px');
    await shot(page, 'admin-list-ja-390');
    await page.getByRole('link', { name: 'English' }).click();
    await check(page, 'admin list en 390px');
    await page.setViewportSize(DESKTOP);
    await check(page, 'admin list en desktop');

    await page.getByRole('link', { name: 'Log out' }).click();
    expect(new URL(page.url()).pathname).toBe('/.gateway/logout');
    await check(page, 'logout ja desktop');
    await page.getByRole('button', { name: 'ログアウト' }).click();
    expect(await page.getByRole('status').textContent()).toContain('ログアウトしました');
    await page.goto(`${base}/admin`);
    expect(new URL(page.url()).pathname).toBe('/.gateway/login');
    await page.context().close();

    await checkEverywhere('/.gateway/login', 'login');
    expect(violations).toEqual([]);
  }, 480_000);

  it('error, maintenance and notice pages, each in both languages and at both widths', async () => {
    violations.length = 0;
    // The check itself catches what it should: an image without text, an unlabeled input.
    const probe = await newPage('en-US');
    await probe.setContent(
      '<html lang="en"><title>x</title><main><img src="data:,"><input type="text"></main></html>',
    );
    expect((await axeViolations(probe, 'probe')).map((v) => v.split(' ')[1])).toEqual(['image-alt', 'label']);
    await probe.context().close();

    // Gateway: a path it refuses (404 no_route); the result service: an unknown path (404 page).
    const page = await newPage('ja-JP');
    await page.goto(`${base}/ADMIN`);
    expect(await page.locator('h1').textContent()).toBe('ページが見つかりません。');
    expect(await page.locator('.next').textContent()).toContain('アドレスが正しいか確認してください');
    expect(await page.textContent('main')).not.toContain('(no_route)');
    await page.goto(`${base}/r/nowhere`);
    expect(await page.locator('h1').textContent()).toBe('ページが見つかりません。');
    expect(await page.locator('.site-name').textContent()).toBe('A高等学校');

    // The notice list: next week's maintenance, in JST.
    await page.goto(`${base}/.gateway/notices`);
    expect(await page.locator('h1').textContent()).toBe('メンテナンスのお知らせ');
    expect(await page.textContent('main')).toMatch(
      /予定: \d{4}年\d{1,2}月\d{1,2}日\(.\) \d\d:\d\d（日本時間） から/,
    );
    await shot(page, 'notices-ja');

    // A tenant in maintenance: when it ends, and the operator's message once.
    await page.goto(`https://univ-b.localhost:${gw.httpsPort}/r`);
    const main = (await page.textContent('main')) ?? '';
    expect(await page.locator('h1').textContent()).toBe('メンテナンス中です。');
    expect(main).toMatch(/\d\d:\d\d（日本時間）に終了する予定です。/);
    expect(main.split('システム更新').length - 1).toBe(1);
    await shot(page, 'maintenance-ja');
    await page.context().close();

    await checkEverywhere('/ADMIN', 'gateway 404');
    await checkEverywhere('/r/nowhere', 'service 404');
    await checkEverywhere('/.gateway/notices', 'notices');
    await checkEverywhere('/r', 'maintenance', `https://univ-b.localhost:${gw.httpsPort}`);
    expect(violations).toEqual([]);
  }, 480_000);
});

if (!browserRuns) {
  console.warn(
    `pages-browser: SKIPPED — ${CHROMIUM} is missing (apt-get install -y chromium; .ci/run does this)`,
  );
}
