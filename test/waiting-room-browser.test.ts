/**
 * The waiting page as a person meets it, in a real browser with JavaScript off: chromium (Debian,
 * driven by playwright-core) opens a full zone, sees its place, and the page's own meta refresh —
 * carrying the ticket cookie — brings the result once a slot is free. Screenshots go to
 * test/artifacts/ (git-ignored).
 */
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { admissionRooms, roomKey } from '@resultgate/gateway/testing';
import { describe, expect, it } from 'vitest';
import { browserRuns, CHROMIUM, launchBrowser } from './helpers/browser.js';
import { httpsRequest, startEchoUpstream, startTestGateway } from './helpers/index.js';

const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), 'artifacts');
if (!browserRuns) console.warn(`waiting-room-browser: SKIPPED — ${CHROMIUM} is missing`);

describe.skipIf(!browserRuns)('the waiting page in a real browser (chromium, JavaScript off)', () => {
  it('shows the place, refreshes itself with the ticket, and lands on the page once there is room', async () => {
    let release = () => {};
    const echo = await startEchoUpstream({
      handle: (req, res) => {
        if (req.url === '/r/hold') {
          release = () => res.end('held');
          return true;
        }
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(
          `<!doctype html><title>Result</title><h1 id="result">Your result</h1><p id="cookie">${req.headers.cookie ?? ''}</p>`,
        );
        return true;
      },
    });
    const gw = await startTestGateway({
      upstream: echo.url,
      tenants: {
        'school-a': {
          name: '市立A高校',
          hosts: ['school-a.localhost'],
          zones: [{ name: 'recipient', path: '/r', auth: 'none', maxConcurrent: 1, maxQueue: 0 }],
        },
      },
    });
    const browser = await launchBrowser();
    try {
      await mkdir(ARTIFACTS, { recursive: true });
      const hold = httpsRequest({ port: gw.httpsPort, path: '/r/hold', timeout: 30_000 });
      const room = admissionRooms(gw.deps).get(roomKey('school-a', 'recipient'))!;
      await expect.poll(() => room.limiter!.active).toBe(1);

      const context = await browser.newContext({
        ignoreHTTPSErrors: true,
        javaScriptEnabled: false,
        locale: 'ja-JP',
      });
      const page = await context.newPage();
      const first = await page.goto(`https://school-a.localhost:${gw.httpsPort}/r/result`);
      expect(first?.status()).toBe(503);
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('ただいま順番待ちです');
      expect(await page.textContent('body')).toContain('あなたの順番: 1 番目');
      expect(await page.textContent('body')).toContain('市立A高校');
      await page.screenshot({ path: join(ARTIFACTS, 'waiting-ja.png'), fullPage: true });
      const cookies = await context.cookies();
      expect(cookies.find((c) => c.name === '__Host-rg-ticket')).toMatchObject({
        httpOnly: true,
        secure: true,
      });

      // A slot frees; the page reloads by itself (meta refresh, JavaScript off) and gets in.
      release();
      expect((await hold).status).toBe(200);
      await expect.poll(() => page.locator('#result').count(), { timeout: 20_000 }).toBe(1);
      // The ticket cookie is the gateway's: the upstream never sees it.
      expect(await page.textContent('#cookie')).not.toContain('rg-ticket');
      await context.close();
    } finally {
      await browser.close();
      await gw.close();
      await echo.close();
    }
  }, 60_000);
});
