/**
 * `/.gateway/notices` for a person: the tenant's maintenance in progress and announced, in JST —
 * the page a school links to when it announces maintenance a week ahead. API clients keep getting
 * the JSON list from the same URL (by `Accept`).
 */
import { escapeHtml, type Lang, renderPage } from './layout.js';
import { formatJst } from './time.js';

/** One window as the page shows it (times in ms since the epoch). */
export interface NoticeItem {
  start: number;
  end: number;
  message: string | null;
  active: boolean;
}

const TEXT = {
  ja: {
    title: 'メンテナンスのお知らせ',
    none: '予定されているメンテナンスはありません。',
    active: '実施中',
    planned: '予定',
    when: (s: string, e: string) => `${s} から ${e} まで`,
    during: 'この間はページをご覧いただけません。終了後にもう一度お越しください。',
  },
  en: {
    title: 'Maintenance notices',
    none: 'No maintenance is planned.',
    active: 'In progress',
    planned: 'Planned',
    when: (s: string, e: string) => `From ${s} to ${e}`,
    during: 'The pages are not available during this time. Please come back after it ends.',
  },
} as const;

/**
 * Renders the notice list.
 * @example renderNoticesPage({ lang: 'ja', tenantName: 'A高等学校', notices })
 */
export function renderNoticesPage(o: {
  lang: Lang;
  tenantName?: string | undefined;
  notices: NoticeItem[];
}): string {
  const t = TEXT[o.lang];
  const items = o.notices.map(
    (n) =>
      `<li><p><strong>${n.active ? t.active : t.planned}</strong>: ${escapeHtml(t.when(formatJst(n.start, o.lang), formatJst(n.end, o.lang)))}</p>${
        n.message ? `<p>${escapeHtml(n.message)}</p>` : ''
      }</li>`,
  );
  const bodyHtml =
    items.length === 0
      ? `<p>${t.none}</p>`
      : `<ul class="notices">${items.join('\n')}</ul>\n<p class="muted">${t.during}</p>`;
  return renderPage({
    lang: o.lang,
    title: t.title,
    heading: t.title,
    ...(o.tenantName ? { tenantName: o.tenantName } : {}),
    bodyHtml,
  });
}
