/**
 * The admin pages at `/admin` (behind the gateway's form-login zone): what a school office works
 * with on announcement day — the tenant's results newest first with counts per status, search by
 * external id or recipient id, a status filter, paging, withdrawing one result (a confirmation page,
 * then a POST with a CSRF token), and the list as CSV. The CSV import is admin-import.ts.
 * Server-rendered, no JavaScript, ja/en, usable at 390 px (the table becomes cards).
 */
import { type Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { html } from 'hono/html';
import { CSV_START, csvLine } from '../csv/export.js';
import { type ResultRow, recipientOf } from '../resource.js';
import { RESULT_STATUSES, type ResultStatus } from '../schema.js';
import type { ServiceContext, ServiceEnv } from '../types.js';
import { adminLayout, formToken, formTokenOk } from './admin-frame.js';
import { importPages } from './admin-import.js';
import { ADMIN_TEXT, STATUS_LABEL } from './admin-text.js';
import { formatTime, type Lang, langOf, pageHeaders, readForm } from './layout.js';

const PAGE_SIZE = 50;
/** Statuses a result may be withdrawn from (the store's rule, shown as a button or not). */
const WITHDRAWABLE: readonly ResultStatus[] = ['scheduled', 'published', 'notified', 'viewed', 'failed'];

interface ListQuery {
  status: ResultStatus | undefined;
  q: string | undefined;
  before: number | undefined;
}

function listQuery(c: Context<ServiceEnv>): ListQuery {
  const s = c.req.query('status');
  const q = c.req.query('q')?.trim().slice(0, 128);
  const before = Number(c.req.query('before'));
  return {
    status: RESULT_STATUSES.find((x) => x === s),
    q: q === '' ? undefined : q,
    before: Number.isSafeInteger(before) && before > 0 ? before : undefined,
  };
}

function href(path: string, lang: Lang, params: Record<string, string | number | undefined>): string {
  const sp = new URLSearchParams({ lang });
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') sp.set(k, String(v));
  return `${path}?${sp.toString()}`;
}

/**
 * The `/admin` routes (list, withdraw, export; the import is mounted from admin-import.ts).
 * @example app.route('/admin', adminPages(ctx))
 */
export function adminPages(ctx: ServiceContext): Hono<ServiceEnv> {
  const pages = new Hono<ServiceEnv>();
  pages.use(pageHeaders());

  pages.get('/', (c) => {
    const lang = langOf(c);
    const t = ADMIN_TEXT[lang];
    const { tenant } = c.get('identity');
    const { status, q, before } = listQuery(c);
    const counts = ctx.store.counts(tenant);
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    const found = ctx.store.search(tenant, { status, query: q, beforeSeq: before, limit: PAGE_SIZE + 1 });
    const rows = found.slice(0, PAGE_SIZE);
    const more = found.length > PAGE_SIZE;
    const time = (ms: number) => formatTime(ms, lang, ctx.timeZone);
    const countLink = (s: ResultStatus | undefined, label: string, n: number) =>
      html`<li><a href="${href('/admin', lang, { status: s, q })}"${s === status ? html` aria-current="page"` : ''}>${label} (${n})</a></li>`;
    const done = c.req.query('done');
    const notice =
      done === 'withdrawn'
        ? html`<p class="ok" role="status">${t.withdrawn(c.req.query('ref') ?? '')}</p>`
        : '';
    const cols = t.cols;
    const table = (r: ResultRow) => {
      const recipient = recipientOf(r);
      const action = WITHDRAWABLE.includes(r.status)
        ? html`<a href="${href(`/admin/results/${r.id}/withdraw`, lang, { status, q })}" aria-label="${t.withdrawLabel(r.external_id)}">${t.withdraw}</a>`
        : '';
      return html`<tr data-status="${r.status}"><td data-label="${cols[0]}">${r.external_id}</td><td data-label="${cols[1]}"><span>${recipient.name ?? ''} <span class="muted">${recipient.id}</span></span></td><td data-label="${cols[2]}">${r.title}</td><td data-label="${cols[3]}">${r.outcome}</td><td data-label="${cols[4]}">${STATUS_LABEL[lang][r.status]}</td><td data-label="${cols[5]}">${time(r.publish_at)}</td><td data-label="${cols[6]}">${time(r.updated_at)}</td><td data-label="${cols[7]}">${action}</td></tr>`;
    };
    const last = rows.at(-1);
    const body = html`<h1>${t.list}</h1>${notice}
<form method="get" action="/admin" class="filters" role="search">
<input type="hidden" name="lang" value="${lang}">
<div><label for="q">${t.search}</label><input type="search" id="q" name="q" value="${q ?? ''}" maxlength="128"></div>
<div><label for="status">${t.status}</label><select id="status" name="status"><option value="">${t.all}</option>${RESULT_STATUSES.map((s) => html`<option value="${s}"${s === status ? html` selected` : ''}>${STATUS_LABEL[lang][s]}</option>`)}</select></div>
<div><button type="submit">${t.find}</button></div>
${q || status ? html`<div><a href="/admin?lang=${lang}">${t.clear}</a></div>` : ''}
</form>
<ul class="counts">${countLink(undefined, t.all, total)}${RESULT_STATUSES.map((s) => countLink(s, STATUS_LABEL[lang][s], counts[s]))}</ul>
${
  rows.length === 0
    ? html`<p>${t.empty}</p>`
    : html`<table class="cards"><thead><tr>${cols.map((col) => html`<th scope="col">${col}</th>`)}</tr></thead><tbody>
${rows.map(table)}</tbody></table><p class="muted">${t.showing(rows.length)}</p>`
}
<div class="pager">${before ? html`<a href="${href('/admin', lang, { status, q })}">${t.newest}</a>` : html`<span></span>`}${more && last ? html`<a href="${href('/admin', lang, { status, q, before: last.seq })}" rel="next">${t.older}</a>` : ''}</div>
<p><a href="${href('/admin/export.csv', lang, { status, q })}" download>${t.export}</a></p>`;
    return c.html(adminLayout(c, ctx, lang, t.list, body));
  });

  pages.get('/results/:id/withdraw', (c) => {
    const lang = langOf(c);
    const t = ADMIN_TEXT[lang];
    const row = ctx.store.get(c.get('identity').tenant, c.req.param('id'));
    if (!row)
      return c.html(
        adminLayout(
          c,
          ctx,
          lang,
          t.withdrawTitle,
          html`<h1>${t.withdrawTitle}</h1><p class="error" role="alert">${t.notFound}</p>`,
        ),
        404,
      );
    const { status, q } = listQuery(c);
    const back = href('/admin', lang, { status, q });
    const recipient = recipientOf(row);
    const body = html`<h1>${t.withdrawTitle}</h1>
<p>${t.withdrawAsk(row.external_id, recipient.name ?? recipient.id)}</p>
<p>${row.title} — ${row.outcome} (${STATUS_LABEL[lang][row.status]})</p>
<form method="post" action="/admin/results/${row.id}/withdraw">
<input type="hidden" name="csrf" value="${formToken(c, ctx)}"><input type="hidden" name="lang" value="${lang}">
<input type="hidden" name="status" value="${status ?? ''}"><input type="hidden" name="q" value="${q ?? ''}">
<button type="submit">${t.withdrawConfirm}</button> <a class="button secondary" href="${back}">${t.cancel}</a>
</form>`;
    return c.html(adminLayout(c, ctx, lang, t.withdrawTitle, body));
  });

  pages.post('/results/:id/withdraw', bodyLimit({ maxSize: 16 * 1024 }), async (c) => {
    const form = await readForm(c);
    const lang = langOf(c, form);
    const t = ADMIN_TEXT[lang];
    const fail = (status: 403 | 404 | 409, text: string) =>
      c.html(
        adminLayout(
          c,
          ctx,
          lang,
          t.withdrawTitle,
          html`<h1>${t.withdrawTitle}</h1><p class="error" role="alert" tabindex="-1" autofocus>${text}</p><p><a href="/admin?lang=${lang}">${t.list}</a></p>`,
        ),
        status,
      );
    if (!formTokenOk(c, ctx, form.csrf)) return fail(403, t.csrf);
    const row = ctx.store.get(c.get('identity').tenant, c.req.param('id'));
    if (!row) return fail(404, t.notFound);
    // The API's rule: withdrawing twice is fine (same answer); an expired result cannot be withdrawn.
    if (row.status !== 'withdrawn' && !ctx.store.transition(row, 'withdrawn', ctx.now()))
      return fail(409, t.cannotWithdraw(STATUS_LABEL[lang][row.status]));
    const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
    return c.redirect(
      href('/admin', lang, {
        status: str(form.status),
        q: str(form.q),
        done: 'withdrawn',
        ref: row.external_id,
      }),
      303,
    );
  });

  importPages(pages, ctx);

  pages.get('/export.csv', (c) => {
    const { tenant } = c.get('identity');
    const { status, q } = listQuery(c);
    const lines: string[] = [CSV_START];
    // Page through the store (newest first) so one export never holds one giant query open.
    for (let before: number | undefined, i = 0; i < 1000; i++) {
      const rows = ctx.store.search(tenant, { status, query: q, beforeSeq: before, limit: 500 });
      for (const r of rows) lines.push(`${csvLine(r)}\r\n`);
      const last = rows.at(-1);
      if (rows.length < 500 || !last) break;
      before = last.seq;
    }
    const day = new Date(ctx.now()).toISOString().slice(0, 10);
    return c.body(lines.join(''), 200, {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="results-${tenant}-${day}.csv"`,
    });
  });

  return pages;
}
