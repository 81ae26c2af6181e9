/**
 * The one layout of every page a person sees from the gateway (login, error, maintenance, busy,
 * notices). Japanese or English by `Accept-Language`; the shared stylesheet (style.ts, also used by
 * the result service's pages) inlined, so the pages need no asset route and fit the strict CSP the
 * gateway sends (`style-src 'unsafe-inline'`, nothing else loads).
 */
import { PAGE_CSS } from './style.js';

/** The languages of the gateway's pages. */
export type Lang = 'ja' | 'en';

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
const ESCAPE_RE = /[&<>"']/g;

/**
 * Escapes text for HTML element content and quoted attribute values.
 * @example `<p>${escapeHtml(userText)}</p>`
 */
export function escapeHtml(text: string): string {
  return text.replace(ESCAPE_RE, (ch) => ESCAPES[ch]!);
}

const LANG_RE = /(?:^|,)\s*([a-zA-Z]{1,8})(?:-[a-zA-Z0-9]{1,8})*\s*(?:;\s*q\s*=\s*([01](?:\.\d{0,3})?))?/g;

/**
 * Picks Japanese or English from an `Accept-Language` header: the highest-weighted of the two
 * wins, ties go to the one listed first; absent or neither → Japanese (the service's home market).
 * @example pickLang('en-US,en;q=0.9,ja;q=0.8') // 'en'
 */
export function pickLang(acceptLanguage: string | null | undefined): Lang {
  if (!acceptLanguage) return 'ja';
  let best: Lang = 'ja';
  let bestQ = -1;
  for (const m of acceptLanguage.matchAll(LANG_RE)) {
    const tag = m[1]!.toLowerCase();
    if (tag !== 'ja' && tag !== 'en') continue;
    const q = m[2] === undefined ? 1 : Number(m[2]);
    if (q > bestQ) {
      best = tag;
      bestQ = q;
    }
  }
  return bestQ > 0 ? best : 'ja';
}

/** What {@link renderPage} needs. */
export interface PageOptions {
  lang: Lang;
  /** The `<title>` (plain text, escaped here). */
  title: string;
  /** The `<h1>` (plain text, escaped here). */
  heading: string;
  /** The page body: TRUSTED HTML. Escape every dynamic value with {@link escapeHtml}. */
  bodyHtml: string;
  /** The tenant's display name shown in the page's header bar (plain text, escaped here). */
  tenantName?: string;
}

/**
 * Renders a complete HTML page in the gateway's layout.
 * @example
 * c.html(renderPage({ lang: 'en', title: 'Sign in', heading: 'Sign in', bodyHtml: '<form>…</form>' }))
 */
export function renderPage(options: PageOptions): string {
  const tenant = options.tenantName
    ? `<header class="site"><div class="site-inner"><p class="site-name">${escapeHtml(options.tenantName)}</p></div></header>\n`
    : '';
  return `<!doctype html>
<html lang="${options.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(options.title)}</title>
<style>${PAGE_CSS}</style>
</head>
<body>
${tenant}<main>
<h1>${escapeHtml(options.heading)}</h1>
${options.bodyHtml}
</main>
</body>
</html>
`;
}
