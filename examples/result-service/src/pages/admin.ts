/**
 * The admin page at `/admin` (behind the gateway's form-login zone): what a school's staff watch on
 * announcement day — counts per status and the tenant's latest results, filterable by status.
 * Read-only, server-rendered, ja/en.
 */
import { Hono } from 'hono';
import { html } from 'hono/html';
import { RESULT_STATUSES, type ResultStatus } from '../schema.js';
import type { ServiceContext, ServiceEnv } from '../types.js';
import { formatTime, type Lang, langOf, layout, pageHeaders } from './layout.js';

const LIMIT = 200;

const STATUS_LABEL: Record<Lang, Record<ResultStatus, string>> = {
  ja: {
    scheduled: '公開予定',
    published: '公開済み',
    notified: '通知済み',
    viewed: '閲覧済み',
    withdrawn: '取り下げ',
    expired: '期限切れ',
    failed: '通知失敗',
  },
  en: {
    scheduled: 'Scheduled',
    published: 'Published',
    notified: 'Notified',
    viewed: 'Viewed',
    withdrawn: 'Withdrawn',
    expired: 'Expired',
    failed: 'Failed',
  },
};

const T = {
  ja: {
    title: (tenant: string) => `結果一覧 — ${tenant}`,
    all: 'すべて',
    cols: ['外部 ID', '受信者', 'タイトル', '結果', '状態', '公開日時', '最終更新'],
    empty: '該当する結果はありません。',
    latest: (n: number) => `新しい順に最大 ${n} 件を表示しています。`,
  },
  en: {
    title: (tenant: string) => `Results — ${tenant}`,
    all: 'All',
    cols: ['External ID', 'Recipient', 'Title', 'Outcome', 'Status', 'Publishes', 'Last change'],
    empty: 'No results match.',
    latest: (n: number) => `Showing the latest ${n} at most.`,
  },
} as const;

/**
 * The `/admin` routes.
 * @example app.route('/admin', adminPages(ctx))
 */
export function adminPages(ctx: ServiceContext): Hono<ServiceEnv> {
  const pages = new Hono<ServiceEnv>();
  pages.use(pageHeaders());

  pages.get('/', (c) => {
    const lang = langOf(c);
    const t = T[lang];
    const { tenant } = c.get('identity');
    const q = c.req.query('status');
    const status = RESULT_STATUSES.find((s) => s === q);
    const counts = ctx.store.counts(tenant);
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    const rows = ctx.store.latest(tenant, status, LIMIT);
    const time = (ms: number) => formatTime(ms, lang, ctx.timeZone);
    const link = (s: ResultStatus | undefined, label: string, n: number) =>
      html`<a href="/admin?lang=${lang}${s ? `&status=${s}` : ''}"${s === status ? html` aria-current="page"` : ''}>${label} (${n})</a>`;
    const body = html`<h1>${t.title(tenant)}</h1>
<p class="counts">${link(undefined, t.all, total)}${RESULT_STATUSES.map((s) => link(s, STATUS_LABEL[lang][s], counts[s]))}</p>
${
  rows.length === 0
    ? html`<p>${t.empty}</p>`
    : html`<table><thead><tr>${t.cols.map((col) => html`<th>${col}</th>`)}</tr></thead><tbody>
${rows.map((r) => {
  const recipient = JSON.parse(r.recipient) as { id: string; name?: string };
  return html`<tr data-status="${r.status}"><td>${r.external_id}</td><td>${recipient.name ?? recipient.id}</td><td>${r.title}</td><td>${r.outcome}</td><td>${STATUS_LABEL[lang][r.status]}</td><td>${time(r.publish_at)}</td><td>${time(r.updated_at)}</td></tr>`;
})}</tbody></table><p>${t.latest(LIMIT)}</p>`
}`;
    return c.html(layout(lang, t.title(tenant), body, '/admin'));
  });

  return pages;
}
