/**
 * The shared frame of the recipient and admin pages: language choice (Accept-Language, `?lang=`
 * overrides), date formatting in the configured time zone, one HTML layout with inline styles only
 * (no external assets), and the headers every page carries (no-store, strict CSP).
 */
import type { Context, MiddlewareHandler } from 'hono';
import { html, raw } from 'hono/html';
import { secureHeaders } from 'hono/secure-headers';
import type { HtmlEscapedString } from 'hono/utils/html';

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

const STYLE = `
body{font-family:system-ui,-apple-system,"Hiragino Sans","Noto Sans JP",sans-serif;margin:0;background:#f5f6f8;color:#1d2330}
main{max-width:52rem;margin:2rem auto;background:#fff;padding:1.5rem 2rem;border-radius:8px;box-shadow:0 1px 3px #0002}
h1{font-size:1.4rem}label{display:block;margin:.8rem 0 .2rem}input{font-size:1.1rem;padding:.4rem;width:16rem}
button{margin-top:1rem;font-size:1rem;padding:.5rem 1.4rem}.error{color:#a4161a;font-weight:bold}
.outcome{font-size:1.8rem;font-weight:bold;margin:1rem 0}table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #ddd;font-size:.9rem}
nav.lang{text-align:right;font-size:.85rem}.counts a{margin-right:1rem}
`;

/** The full HTML document around a page body. */
export function layout(
  lang: Lang,
  title: string,
  body: HtmlEscapedString | Promise<HtmlEscapedString>,
  path: string,
) {
  const other: Lang = lang === 'ja' ? 'en' : 'ja';
  return html`<!doctype html>
<html lang="${lang}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex"><title>${title}</title><style>${raw(STYLE)}</style></head>
<body><main><nav class="lang"><a href="${path}?lang=${other}">${other === 'ja' ? '日本語' : 'English'}</a></nav>
${body}</main></body></html>`;
}
