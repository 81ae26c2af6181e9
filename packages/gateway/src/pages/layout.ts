/**
 * The one layout of every page a person sees from the gateway (login, error, maintenance, busy).
 * Japanese or English by `Accept-Language`; inline CSS only, so the pages need no asset route and
 * fit the strict CSP the gateway sends (`style-src 'unsafe-inline'`, nothing else loads).
 */

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
  /** The tenant's display name shown above the heading (plain text, escaped here). */
  tenantName?: string;
}

const CSS = `
*{box-sizing:border-box}
body{margin:0;font:16px/1.6 system-ui,-apple-system,"Hiragino Sans","Noto Sans JP",sans-serif;
color:#1f2328;background:#f4f6f8}
main{max-width:32rem;margin:10vh auto;padding:2rem;background:#fff;border-radius:8px;
box-shadow:0 1px 3px rgba(0,0,0,.12)}
h1{font-size:1.35rem;margin:0 0 1rem}
.tenant{color:#57606a;font-size:.9rem;margin:0 0 .25rem}
p{margin:.5rem 0}
.muted{color:#57606a;font-size:.85rem}
label{display:block;margin:.75rem 0 .25rem;font-weight:600}
input[type=text],input[type=password]{width:100%;padding:.5rem;border:1px solid #d0d7de;
border-radius:6px;font:inherit}
button{margin-top:1rem;padding:.55rem 1.2rem;border:0;border-radius:6px;background:#0969da;
color:#fff;font:inherit;cursor:pointer}
.error{color:#cf222e}
code{font-size:.85rem;background:#f4f6f8;padding:.1rem .3rem;border-radius:4px}
`
  .replace(/\n/g, '')
  .trim();

/**
 * Renders a complete HTML page in the gateway's layout.
 * @example
 * c.html(renderPage({ lang: 'en', title: 'Sign in', heading: 'Sign in', bodyHtml: '<form>…</form>' }))
 */
export function renderPage(options: PageOptions): string {
  const tenant = options.tenantName ? `<p class="tenant">${escapeHtml(options.tenantName)}</p>` : '';
  return `<!doctype html>
<html lang="${options.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(options.title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
${tenant}<h1>${escapeHtml(options.heading)}</h1>
${options.bodyHtml}
</main>
</body>
</html>
`;
}
