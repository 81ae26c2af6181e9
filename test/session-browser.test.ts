/**
 * The idle timeout as a person meets it, in a real browser: playwright-core driving Debian's
 * chromium, with JavaScript off (the login works without it), through the real gateway over TLS.
 * Screenshots of the login page in Japanese and English go to test/artifacts/ (git-ignored).
 */
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { PolicyInput } from '@resultgate/gateway';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserRuns, CHROMIUM, launchBrowser } from './helpers/browser.js';
import {
  cheapHash,
  type EchoUpstream,
  startEchoUpstream,
  startTestGateway,
  type TestGateway,
} from './helpers/index.js';

const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), 'artifacts');
const PASSWORD = 'Admin-Password-1';
const IDLE_MS = 2_500;

const tenants: PolicyInput['tenants'] = {
  'school-a': {
    name: '市立A高校',
    hosts: ['school-a.localhost'],
    users: { admin: { passwordHash: cheapHash(PASSWORD), roles: ['admin'] } },
    zones: [
      { name: 'admin', path: '/admin', auth: 'form', roles: ['admin'], idleTimeout: IDLE_MS / 1000 },
      { name: 'recipient', path: '/', auth: 'none' },
    ],
  },
};

if (!browserRuns) {
  console.warn(
    `session-browser: SKIPPED — ${CHROMIUM} is missing (apt-get install -y chromium; .ci/run does this)`,
  );
}

describe.skipIf(!browserRuns)('the login screen in a real browser (chromium, JavaScript off)', () => {
  let echo: EchoUpstream;
  let gw: TestGateway;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    // The app's admin page: names the user the gateway vouched for, and links to the logout page.
    echo = await startEchoUpstream({
      handle: (req, res) => {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(
          `<!doctype html><title>Admin</title><h1>Admin page</h1><p id="who">${req.headers['x-gateway-user']}</p>` +
            `<p id="path">${req.url}</p><a href="/.gateway/logout">Log out</a>`,
        );
        return true;
      },
    });
    gw = await startTestGateway({
      upstream: echo.url,
      tenants,
      deps: { sessionKeys: [randomBytes(32)] },
    });
    base = `https://school-a.localhost:${gw.httpsPort}`;
    browser = await launchBrowser();
    await mkdir(ARTIFACTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await gw?.close();
    await echo?.close();
  });

  async function newPage(locale: string): Promise<Page> {
    const context = await browser.newContext({ ignoreHTTPSErrors: true, javaScriptEnabled: false, locale });
    return context.newPage();
  }

  async function logIn(page: Page, password: string) {
    await page.getByLabel('ユーザー名').fill('admin');
    await page.getByLabel('パスワード').fill(password);
    await page.getByRole('button', { name: 'ログイン' }).click();
  }

  it('shows the login page in Japanese and English (screenshots kept as artifacts)', async () => {
    for (const [locale, heading, label] of [
      ['ja-JP', 'ログイン', 'ユーザー名'],
      ['en-US', 'Log in', 'User name'],
    ] as const) {
      const page = await newPage(locale);
      await page.goto(`${base}/admin/results`);
      await expect.poll(() => page.url()).toContain('/.gateway/login');
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(heading);
      await expect.poll(() => page.getByLabel(label).count()).toBe(1);
      expect(await page.textContent('body')).toContain('市立A高校');
      await page.screenshot({ path: join(ARTIFACTS, `login-${locale.slice(0, 2)}.png`), fullPage: true });
      await page.context().close();
    }
  });

  it('login → wrong password → right password → idle → login again → logout → back shows nothing', async () => {
    const page = await newPage('ja-JP');

    // An admin URL brings the login page.
    await page.goto(`${base}/admin/results?status=published`);
    expect(new URL(page.url()).pathname).toBe('/.gateway/login');

    // A wrong password: the error is shown, announced as an alert.
    await logIn(page, 'not-the-password');
    expect(await page.getByRole('alert').textContent()).toContain(
      'ユーザー名またはパスワードが正しくありません',
    );

    // The right password lands on the page first asked for.
    await logIn(page, PASSWORD);
    expect(page.url()).toBe(`${base}/admin/results?status=published`);
    expect(await page.textContent('#who')).toBe('admin');

    // Idle past the timeout: the next page load brings the login page back.
    await sleep(IDLE_MS + 500);
    await page.goto(`${base}/admin/results`);
    expect(new URL(page.url()).pathname).toBe('/.gateway/login');
    expect(await page.getByRole('alert').textContent()).toContain('セッションの有効期限が切れました');

    // Log in again, then log out through the app's link and the confirmation button.
    await logIn(page, PASSWORD);
    expect(new URL(page.url()).pathname).toBe('/admin/results');
    await page.getByRole('link', { name: 'Log out' }).click();
    await page.getByRole('button', { name: 'ログアウト' }).click();
    expect(new URL(page.url()).pathname).toBe('/.gateway/login');
    expect(await page.getByRole('status').textContent()).toContain('ログアウトしました');

    // Back, and back again to the admin page: it is asked for anew (no-store) and refused.
    for (let i = 0; i < 2; i++) await page.goBack();
    expect(new URL(page.url()).pathname).toBe('/.gateway/login');
    expect(await page.locator('#who').count()).toBe(0);
    expect(await page.textContent('body')).not.toContain('Admin page');
    await page.context().close();
  });
});
