/**
 * The shared frame of the recipient and admin pages: language choice (Accept-Language, `?lang=`
 * overrides), date formatting in the configured time zone, one HTML layout with the tenant's name
 * and contact line and the gateway's stylesheet inlined (no external assets), and the headers every
 * page carries (no-store, strict CSP).
 */

import { PAGE_CSS } from '@resultgate/gateway/page-style';
import type { Context, MiddlewareHandler } from 'hono';
import { html, raw } from 'hono/html';
import { secureHeaders } from 'hono/secure-headers';
import type { HtmlEscapedString } from 'hono/utils/html';
import { ApiError } from '../errors.js';
import type { TenantProfile } from '../tenants.js';

/** The two page languages. */
export type Lang = 'ja' | 'en';

/**
 * Picks ja or en: `?lang=` first, then the highest-q match in Accept-Language, else Japanese.
 * @example pickLang('en-US,en;q=0.9,ja;q=0.5') // 'en'
 */
export function pickLang(header: string | undefined, override?: string): Lang {
  if (override === 'ja' || override === 'en') return override;
  const ranked = (header ?? '')
    .split(',')
    .map((part) => {
      const [tag = '', ...params] = part.trim().toLowerCase().split(';');
      const q = params.map((p) => /^\s*q=([\d.]+)/.exec(p)?.[1]).find(Boolean);
      return { tag, q: q === undefined ? 1 : Number(q) };
    })
    .filter((x) => x.q > 0)
    .sort((a, b) => b.q - a.q);
  for (const { tag } of ranked) {
    if (tag === 'ja' || tag.startsWith('ja-')) return 'ja';
    if (tag === 'en' || tag.startsWith('en-')) return 'en';
  }
  return 'ja';
}

/**
 * The posted form; a body that is not a form (a broken multipart upload) is a `400 bad_request`,
 * not a 500.
 * @throws ApiError bad_request
 */
export async function readForm(c: Context): Promise<Record<string, string | File>> {
  try {
    return (await c.req.parseBody()) as Record<string, string | File>;
  } catch {
    throw new ApiError('bad_request', 'The form is malformed.');
  }
}

/** The request's page language. */
export function langOf(c: Context, form?: Record<string, unknown>): Lang {
  const fromForm = typeof form?.lang === 'string' ? form.lang : undefined;
  return pickLang(c.req.header('accept-language'), fromForm ?? c.req.query('lang'));
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Formats a UTC time for people, in the page language and the configured zone. */
export function formatTime(ms: number, lang: Lang, timeZone: string): string {
  const key = `${lang} ${timeZone}`;
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(lang === 'ja' ? 'ja-JP' : 'en-GB', {
      timeZone,
      year: 'numeric',
      month: lang === 'ja' ? 'long' : 'short',
      day: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      timeZoneName: 'short',
    });
    formatters.set(key, f);
  }
  return f.format(ms);
}

/** Page headers: nothing cached (results are personal), nothing loaded from elsewhere, no framing. */
export function pageHeaders(): MiddlewareHandler {
  const secure = secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'none'"],
      styleSrc: ["'unsafe-inline'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
      baseUri: ["'none'"],
    },
    referrerPolicy: 'no-referrer',
    crossOriginEmbedderPolicy: false,
  });
  return async function pageSecurity(c, next) {
    await secure(c, async () => {
      await next();
      c.header('Cache-Control', 'no-store');
    });
  };
}

/** What every page shows around its body. */
export interface Frame {
  lang: Lang;
  /** The `<title>` (the tenant's name is added). */
  title: string;
  /** Whose page it is: the name in the header bar, the contact line in the footer. */
  profile: TenantProfile;
  body: HtmlEscapedString | Promise<HtmlEscapedString>;
  /** Links before the language switch in the header (admin: the user and logout). */
  nav?: HtmlEscapedString | Promise<HtmlEscapedString> | undefined;
  /** The wide layout (admin tables). */
  wide?: boolean;
}

/**
 * The same page in the other language: the current path and query with `lang` swapped (a GET, so
 * after a POST it leads to the page the POST came from, never resubmits it).
 */
export function otherLangHref(c: Context, other: Lang): string {
  const url = new URL(c.req.url);
  url.searchParams.set('lang', other);
  return `${url.pathname}?${url.searchParams.toString()}`;
}

const CONTACT: Record<Lang, string> = { ja: 'お問い合わせ', en: 'Contact' };

/**
 * The full HTML document around a page body: the tenant's name in a header bar with the language
 * switch, the body, the tenant's contact line. The stylesheet is the gateway's (one look for both).
 */
export function layout(c: Context, frame: Frame) {
  const { lang, profile } = frame;
  const other: Lang = lang === 'ja' ? 'en' : 'ja';
  const name = profile.name[lang];
  const contact = profile.contact?.[lang];
  return html`<!doctype html>
<html lang="${lang}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex"><meta name="referrer" content="same-origin"><title>${frame.title} — ${name}</title><style>${raw(PAGE_CSS)}</style></head>
<body><header class="site"><div class="site-inner"><p class="site-name">${name}</p>
<nav aria-label="${lang === 'ja' ? 'メニュー' : 'Menu'}">${frame.nav ?? ''}<a href="${otherLangHref(c, other)}" lang="${other}" hreflang="${other}">${other === 'ja' ? '日本語' : 'English'}</a></nav></div></header>
<main${frame.wide ? raw(' class="wide"') : ''}>
${frame.body}</main>
${contact ? html`<footer class="contact"><p>${CONTACT[lang]}: ${contact}</p></footer>` : ''}
</body></html>`;
}
