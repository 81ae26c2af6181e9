/**
 * The recipient pages at `/r` (the gateway's `auth: none` zone): a form for the access code and
 * PIN, then the result in Japanese or English. Before `publishAt` the page says when it opens;
 * after `expiresAt` the result is gone. Wrong PINs are limited per access code (default 5 per
 * 15 minutes) so the six digits cannot be guessed; the first successful view sets `viewed`.
 */
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { html } from 'hono/html';
import { detailsOf, type ResultRow } from '../resource.js';
import { normaliseAccessCode, verifyPin } from '../secrets.js';
import type { ServiceContext, ServiceEnv } from '../types.js';
import { formatTime, type Lang, langOf, layout, pageHeaders } from './layout.js';

const T = {
  ja: {
    title: '結果の確認',
    intro: 'お手元の通知書に記載のアクセスコードと PIN を入力してください。',
    code: 'アクセスコード',
    pin: 'PIN（6 桁）',
    submit: '確認する',
    wrong: 'アクセスコードまたは PIN が正しくありません。',
    limited: (t: string) =>
      `誤った入力が続いたため、現在は確認できません。${t} 以降にもう一度お試しください。`,
    notYet: (t: string) => `この結果は ${t} に公開されます。その時刻以降にもう一度お越しください。`,
    gone: 'この結果の公開期間は終了しました。',
    unavailable: 'この結果は現在ご覧いただけません。',
    outcome: '結果',
    details: '詳細',
    until: (t: string) => `公開期限: ${t}`,
    again: '別の結果を確認する',
  },
  en: {
    title: 'View your result',
    intro: 'Enter the access code and the PIN printed on your letter.',
    code: 'Access code',
    pin: 'PIN (6 digits)',
    submit: 'View result',
    wrong: 'The access code or PIN is not correct.',
    limited: (t: string) => `Too many wrong attempts. Please try again after ${t}.`,
    notYet: (t: string) => `This result will be available from ${t}. Please come back then.`,
    gone: 'This result is no longer available.',
    unavailable: 'This result is not available.',
    outcome: 'Result',
    details: 'Details',
    until: (t: string) => `Available until ${t}`,
    again: 'View another result',
  },
} as const;

function form(lang: Lang, error?: string, code = '') {
  const t = T[lang];
  return html`<h1>${t.title}</h1><p>${t.intro}</p>
${error ? html`<p class="error" role="alert">${error}</p>` : ''}
<form method="post" action="/r" autocomplete="off">
<input type="hidden" name="lang" value="${lang}">
<label for="code">${t.code}</label><input id="code" name="code" value="${code}" required maxlength="20" autocapitalize="characters">
<label for="pin">${t.pin}</label><input id="pin" name="pin" type="password" inputmode="numeric" required maxlength="6">
<div><button type="submit">${t.submit}</button></div></form>`;
}

function message(lang: Lang, text: string) {
  return html`<h1>${T[lang].title}</h1><p>${text}</p><p><a href="/r?lang=${lang}">${T[lang].again}</a></p>`;
}

function details(row: ResultRow) {
  const d = detailsOf(row);
  if (typeof d === 'string') return d === '' ? '' : html`<p style="white-space:pre-wrap">${d}</p>`;
  const rows = Object.entries(d).map(
    ([k, v]) =>
      html`<tr><th>${k}</th><td>${typeof v === 'string' || typeof v === 'number' ? String(v) : JSON.stringify(v)}</td></tr>`,
  );
  return rows.length ? html`<table>${rows}</table>` : '';
}

function resultPage(lang: Lang, row: ResultRow, timeZone: string) {
  const t = T[lang];
  return html`<h1>${row.title}</h1><p>${t.outcome}</p><p class="outcome">${row.outcome}</p>
${details(row)}
${row.expires_at === null ? '' : html`<p>${t.until(formatTime(row.expires_at, lang, timeZone))}</p>`}
<p><a href="/r?lang=${lang}">${t.again}</a></p>`;
}

/**
 * The `/r` routes.
 * @example app.route('/r', recipientPages(ctx))
 */
export function recipientPages(ctx: ServiceContext): Hono<ServiceEnv> {
  const pages = new Hono<ServiceEnv>();
  pages.use(pageHeaders());

  pages.get('/', (c) => {
    const lang = langOf(c);
    return c.html(layout(lang, T[lang].title, form(lang), '/r'));
  });

  pages.post('/', bodyLimit({ maxSize: 16 * 1024 }), async (c) => {
    const body = await c.req.parseBody();
    const lang = langOf(c, body);
    const page = (status: 200 | 401 | 404 | 410 | 429, content: ReturnType<typeof html>) =>
      c.html(layout(lang, T[lang].title, content, '/r'), status);
    const { tenant } = c.get('identity');
    const code = normaliseAccessCode(typeof body.code === 'string' ? body.code : '');
    const pin = typeof body.pin === 'string' ? body.pin.slice(0, 20) : '';
    const now = ctx.now();

    const { n, first } = ctx.store.pinFailures(tenant, code, now - ctx.pinLimit.windowMs);
    if (n >= ctx.pinLimit.max) {
      const until = (first ?? now) + ctx.pinLimit.windowMs;
      c.header('Retry-After', String(Math.max(1, Math.ceil((until - now) / 1000))));
      return page(429, form(lang, T[lang].limited(formatTime(until, lang, ctx.timeZone))));
    }
    const row = code === '' ? undefined : ctx.store.byAccessCode(tenant, code);
    // Same HMAC work whether or not the code exists, so timing does not reveal valid codes.
    const ok = verifyPin(ctx.keys.pin, row?.id ?? 'none', pin, row?.pin_hash ?? '') && row !== undefined;
    if (!row || !ok) {
      ctx.store.addPinFailure(tenant, code, now);
      return page(401, form(lang, T[lang].wrong, code));
    }
    ctx.store.clearPinFailures(tenant, code);

    let current: ResultRow = row;
    if (current.status === 'withdrawn') return page(404, message(lang, T[lang].unavailable));
    if (current.status === 'expired' || (current.expires_at !== null && current.expires_at <= now)) {
      ctx.store.transition(current, 'expired', now);
      return page(410, message(lang, T[lang].gone));
    }
    if (current.publish_at > now) {
      return page(200, message(lang, T[lang].notYet(formatTime(current.publish_at, lang, ctx.timeZone))));
    }
    // Due but not yet picked up by the scheduler: publish now rather than make the recipient wait.
    if (current.status === 'scheduled') current = ctx.store.transition(current, 'published', now) ?? current;
    current = ctx.store.transition(current, 'viewed', now) ?? current;
    return page(200, resultPage(lang, current, ctx.timeZone));
  });

  return pages;
}
