/**
 * The recipient pages at `/r` (the gateway's `auth: none` zone): a form for the access code and
 * PIN, then the result in Japanese or English, under the tenant's name and contact line. Before
 * `publishAt` the page says when it opens; after `expiresAt` the result is gone. Wrong PINs are
 * limited per access code (default 5 per 15 minutes) so the six digits cannot be guessed; the
 * first successful view sets `viewed`.
 *
 * Post/redirect/get: an accepted PIN sets a short-lived signed view token (view-token.ts) and
 * redirects to `GET /r/result`, so a refresh or the language switch shows the result again without
 * resubmitting anything, and the PIN never appears in a URL.
 */
import { type Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { html } from 'hono/html';
import { detailsOf, type ResultRow } from '../resource.js';
import { normaliseAccessCode, verifyPin } from '../secrets.js';
import type { ServiceContext, ServiceEnv } from '../types.js';
import { formatTime, type Lang, langOf, layout, pageHeaders, readForm } from './layout.js';
import { clearViewCookie, readViewToken, setViewCookie, signViewToken, viewCookie } from './view-token.js';

const T = {
  ja: {
    title: '結果の確認',
    intro: (who: string) =>
      `${who}からの結果を確認できます。お手元の通知書に記載のアクセスコードと PIN を入力してください。`,
    code: 'アクセスコード',
    codeHint: '例: ABCD-EFGH-JKMN（ハイフンは省略できます）',
    pin: 'PIN（6 桁の数字）',
    submit: '確認する',
    wrong: 'アクセスコードまたは PIN が正しくありません。通知書をご確認のうえ、もう一度入力してください。',
    limited: (t: string) =>
      `誤った入力が続いたため、現在は確認できません。${t} 以降にもう一度お試しください。`,
    ended: '表示の有効時間が過ぎたため、もう一度アクセスコードと PIN を入力してください。',
    notYet: (t: string) => `この結果は ${t} に公開されます。その時刻以降にもう一度お越しください。`,
    gone: 'この結果の公開期間は終了しました。',
    unavailable: 'この結果は現在ご覧いただけません。',
    outcome: '結果',
    details: '詳細',
    nextTitle: 'このあとのこと',
    until: (t: string) =>
      `この結果は ${t} まで表示されます。必要な方は、この画面を印刷するか控えを取ってください。`,
    noEnd: 'この結果は公開が終了するまで、同じアクセスコードと PIN で何度でも確認できます。',
    ask: (contact: string) => `内容についてのお問い合わせは、${contact} までご連絡ください。`,
    askNoContact: (who: string) => `内容についてのお問い合わせは、${who}までご連絡ください。`,
    shared: '共有のパソコンやスマートフォンでは、見終わったら「終了する」を押してください。',
    finish: '終了する',
    again: '別の結果を確認する',
  },
  en: {
    title: 'View your result',
    intro: (who: string) => `Results from ${who}. Enter the access code and the PIN printed on your letter.`,
    code: 'Access code',
    codeHint: 'e.g. ABCD-EFGH-JKMN (the dashes are optional)',
    pin: 'PIN (6 digits)',
    submit: 'View result',
    wrong: 'The access code or PIN is not correct. Check your letter and enter them again.',
    limited: (t: string) => `Too many wrong attempts. Please try again after ${t}.`,
    ended: 'Your viewing time has ended. Please enter the access code and PIN again.',
    notYet: (t: string) => `This result will be available from ${t}. Please come back then.`,
    gone: 'This result is no longer available.',
    unavailable: 'This result is not available.',
    outcome: 'Result',
    details: 'Details',
    nextTitle: 'What happens next',
    until: (t: string) =>
      `This result is shown until ${t}. Print this page or note it down if you need a copy.`,
    noEnd: 'You can view this result again with the same access code and PIN until it is taken down.',
    ask: (contact: string) => `For questions about your result, contact ${contact}.`,
    askNoContact: (who: string) => `For questions about your result, contact ${who}.`,
    shared: 'On a shared computer or phone, press "Finish" when you are done.',
    finish: 'Finish',
    again: 'View another result',
  },
} as const;

type Message = { text: string; kind: 'error' | 'status'; field?: 'pin' };

function form(lang: Lang, who: string, message?: Message, code = '') {
  const t = T[lang];
  const invalid = message?.field === 'pin';
  const described = invalid ? html` aria-invalid="true" aria-describedby="form-message"` : '';
  return html`<h1>${t.title}</h1><p>${t.intro(who)}</p>
${message ? html`<p id="form-message" class="${message.kind === 'error' ? 'error' : 'next'}" role="${message.kind === 'error' ? 'alert' : 'status'}">${message.text}</p>` : ''}
<form method="post" action="/r" autocomplete="off">
<input type="hidden" name="lang" value="${lang}">
<label for="code">${t.code}</label><input type="text" id="code" name="code" value="${code}" required maxlength="20" autocapitalize="characters" spellcheck="false" aria-describedby="code-hint"${invalid ? html` aria-invalid="true"` : ''}${invalid || code !== '' ? '' : html` autofocus`}>
<p id="code-hint" class="muted">${t.codeHint}</p>
<label for="pin">${t.pin}</label><input id="pin" name="pin" type="password" inputmode="numeric" required maxlength="6"${described}${invalid || code !== '' ? html` autofocus` : ''}>
<div><button type="submit">${t.submit}</button></div></form>`;
}

function message(lang: Lang, text: string) {
  return html`<h1>${T[lang].title}</h1><p class="lead">${text}</p><p><a href="/r?lang=${lang}">${T[lang].again}</a></p>`;
}

function details(row: ResultRow, lang: Lang) {
  const d = detailsOf(row);
  if (typeof d === 'string')
    return d === '' ? '' : html`<h2>${T[lang].details}</h2><p style="white-space:pre-wrap">${d}</p>`;
  const rows = Object.entries(d).map(
    ([k, v]) =>
      html`<tr><th scope="row">${k}</th><td>${typeof v === 'string' || typeof v === 'number' ? String(v) : JSON.stringify(v)}</td></tr>`,
  );
  return rows.length ? html`<h2>${T[lang].details}</h2><table>${rows}</table>` : '';
}

/**
 * The `/r` routes.
 * @example app.route('/r', recipientPages(ctx))
 */
export function recipientPages(ctx: ServiceContext): Hono<ServiceEnv> {
  const pages = new Hono<ServiceEnv>();
  pages.use(pageHeaders());

  type Status = 200 | 401 | 404 | 410 | 429;

  pages.get('/', (c) => {
    const lang = langOf(c);
    const profile = ctx.profile(c.get('identity').tenant);
    return c.html(layout(c, { lang, title: T[lang].title, profile, body: form(lang, profile.name[lang]) }));
  });

  /** Shows a result row (or why it cannot be shown) — the end of both the POST and the GET. */
  function show(c: Context<ServiceEnv>, lang: Lang, row: ResultRow) {
    const t = T[lang];
    const { tenant } = c.get('identity');
    const profile = ctx.profile(tenant);
    const page = (status: Status, body: ReturnType<typeof html>) =>
      c.html(layout(c, { lang, title: t.title, profile, body }), status);
    const now = ctx.now();
    let current = row;
    if (current.status === 'withdrawn') return page(404, message(lang, t.unavailable));
    if (current.status === 'expired' || (current.expires_at !== null && current.expires_at <= now)) {
      ctx.store.transition(current, 'expired', now);
      return page(410, message(lang, t.gone));
    }
    if (current.publish_at > now) {
      return page(200, message(lang, t.notYet(formatTime(current.publish_at, lang, ctx.timeZone))));
    }
    // Due but not yet picked up by the scheduler: publish now rather than make the recipient wait.
    if (current.status === 'scheduled') current = ctx.store.transition(current, 'published', now) ?? current;
    current = ctx.store.transition(current, 'viewed', now) ?? current;
    const contact = profile.contact?.[lang];
    const body = html`<h1>${current.title}</h1><p>${t.outcome}</p><p class="outcome">${current.outcome}</p>
${details(current, lang)}
<h2>${t.nextTitle}</h2>
<p>${current.expires_at === null ? t.noEnd : t.until(formatTime(current.expires_at, lang, ctx.timeZone))}</p>
<p>${contact ? t.ask(contact) : t.askNoContact(profile.name[lang])}</p>
<p class="muted">${t.shared}</p>
<form method="post" action="/r/finish" class="inline"><input type="hidden" name="lang" value="${lang}"><button type="submit" class="secondary">${t.finish}</button></form>`;
    return page(200, body);
  }

  pages.post('/', bodyLimit({ maxSize: 16 * 1024 }), async (c) => {
    const body = await readForm(c);
    const lang = langOf(c, body);
    const t = T[lang];
    const { tenant } = c.get('identity');
    const profile = ctx.profile(tenant);
    const page = (status: Status, content: ReturnType<typeof html>) =>
      c.html(layout(c, { lang, title: t.title, profile, body: content }), status);
    const code = normaliseAccessCode(typeof body.code === 'string' ? body.code : '');
    const pin = typeof body.pin === 'string' ? body.pin.slice(0, 20) : '';
    const now = ctx.now();
    const who = profile.name[lang];

    const { n, first } = ctx.store.pinFailures(tenant, code, now - ctx.pinLimit.windowMs);
    if (n >= ctx.pinLimit.max) {
      const until = (first ?? now) + ctx.pinLimit.windowMs;
      c.header('Retry-After', String(Math.max(1, Math.ceil((until - now) / 1000))));
      const text = t.limited(formatTime(until, lang, ctx.timeZone));
      return page(429, form(lang, who, { text, kind: 'error' }));
    }
    const row = code === '' ? undefined : ctx.store.byAccessCode(tenant, code);
    // Same HMAC work whether or not the code exists, so timing does not reveal valid codes.
    const ok = verifyPin(ctx.keys.pin, row?.id ?? 'none', pin, row?.pin_hash ?? '') && row !== undefined;
    if (!row || !ok) {
      ctx.store.addPinFailure(tenant, code, now);
      return page(401, form(lang, who, { text: t.wrong, kind: 'error', field: 'pin' }, code));
    }
    ctx.store.clearPinFailures(tenant, code);
    // A result that cannot be shown (withdrawn, expired, not yet open) is answered here: there is
    // nothing to come back to, so no token.
    const viewable =
      row.status !== 'withdrawn' &&
      row.status !== 'expired' &&
      (row.expires_at === null || row.expires_at > now) &&
      row.publish_at <= now;
    if (!viewable) return show(c, lang, row);
    // Viewed from the moment the PIN opened it; publish first if the scheduler has not yet.
    let current: ResultRow = row;
    if (current.status === 'scheduled') current = ctx.store.transition(current, 'published', now) ?? current;
    ctx.store.transition(current, 'viewed', now);
    setViewCookie(
      c,
      signViewToken(ctx.keys.view, tenant, row.id, now + ctx.viewTokenTtlMs),
      ctx.viewTokenTtlMs,
    );
    return c.redirect(`/r/result?lang=${lang}`, 303);
  });

  pages.get('/result', (c) => {
    const lang = langOf(c);
    const { tenant } = c.get('identity');
    const id = readViewToken(ctx.keys.view, tenant, viewCookie(c), ctx.now());
    const row = id === undefined ? undefined : ctx.store.get(tenant, id);
    if (!row) {
      const profile = ctx.profile(tenant);
      const body = form(lang, profile.name[lang], { text: T[lang].ended, kind: 'status' });
      return c.html(layout(c, { lang, title: T[lang].title, profile, body }), 401);
    }
    return show(c, lang, row);
  });

  pages.post('/finish', bodyLimit({ maxSize: 1024 }), async (c) => {
    const lang = langOf(c, await readForm(c));
    clearViewCookie(c);
    return c.redirect(`/r?lang=${lang}`, 303);
  });

  return pages;
}
