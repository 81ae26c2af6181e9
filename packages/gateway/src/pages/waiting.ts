/**
 * The waiting room's two pages: the waiting page (a full zone: your place and an estimate) and the
 * countdown page (a zone not open yet). Japanese or English, no JavaScript: each reloads itself
 * with `<meta http-equiv="refresh">` after the number of seconds the gateway chose, carrying the
 * ticket cookie, so a person who leaves the tab open keeps their place.
 */
import { escapeHtml, type Lang, renderPage } from './layout.js';

const TEXT = {
  waitingTitle: { ja: 'ただいま順番待ちです', en: 'You are in line' },
  place: { ja: (n: string) => `あなたの順番: ${n} 番目`, en: (n: string) => `Your place in line: ${n}` },
  estimate: {
    ja: (s: string) => `目安の待ち時間: 約 ${s}`,
    en: (s: string) => `Estimated wait: about ${s}`,
  },
  keep: {
    ja: 'このページは自動で更新されます。開いたままお待ちください。順番は保たれます（再読み込みしても前には進みません）。',
    en: 'This page refreshes by itself. Keep it open: your place is kept, and reloading does not move you ahead.',
  },
  countdownTitle: { ja: '公開前です', en: 'Not open yet' },
  opensAt: { ja: (t: string) => `公開日時: ${t}`, en: (t: string) => `Opens at ${t}` },
  left: { ja: (s: string) => `公開まで: ${s}`, en: (s: string) => `Opens in ${s}` },
  fair: {
    ja: '公開直前にこのページを開いている方は、公開時に無作為の順番でご案内します。早く再読み込みしても有利にはなりません。',
    en: 'Everyone with this page open shortly before the opening is let in in a random order: reloading faster gives no advantage.',
  },
} as const;

/** "about 3 minutes" / "約 3 分" from seconds. */
export function formatDuration(seconds: number, lang: Lang): string {
  const s = Math.max(1, Math.round(seconds));
  if (s < 60) return lang === 'ja' ? `${s} 秒` : `${s} second${s === 1 ? '' : 's'}`;
  const m = Math.round(s / 60);
  if (m < 120) return lang === 'ja' ? `${m} 分` : `${m} minute${m === 1 ? '' : 's'}`;
  const h = Math.round(m / 60);
  return lang === 'ja' ? `${h} 時間` : `${h} hours`;
}

/** The opening time in Japan time (the service's home market), in the page's language. */
export function formatOpening(at: number, lang: Lang): string {
  const f = new Intl.DateTimeFormat(lang === 'ja' ? 'ja-JP' : 'en-GB', {
    dateStyle: 'long',
    timeStyle: 'short',
    timeZone: 'Asia/Tokyo',
  });
  return `${f.format(at)} (JST)`;
}

function refreshMeta(seconds: number): string {
  return `<meta http-equiv="refresh" content="${Math.max(1, Math.round(seconds))}">`;
}

function withRefresh(html: string, seconds: number): string {
  // The layout has no head slot; the meta goes right after the charset.
  return html.replace('<meta charset="utf-8">', `<meta charset="utf-8">\n${refreshMeta(seconds)}`);
}

/** What the waiting page shows. */
export interface WaitingPage {
  lang: Lang;
  tenantName?: string;
  place: number;
  estimateSeconds: number;
  refreshSeconds: number;
  requestId: string;
}

/** The waiting page of a full zone. */
export function renderWaitingPage(p: WaitingPage): string {
  const other: Lang = p.lang === 'ja' ? 'en' : 'ja';
  const place = p.place.toLocaleString(p.lang === 'ja' ? 'ja-JP' : 'en-US');
  const body = `<p><strong data-place="${p.place}">${escapeHtml(TEXT.place[p.lang](place))}</strong></p>
<p data-estimate="${Math.round(p.estimateSeconds)}">${escapeHtml(TEXT.estimate[p.lang](formatDuration(p.estimateSeconds, p.lang)))}</p>
<p>${escapeHtml(TEXT.keep[p.lang])}</p>
<p class="muted" lang="${other}">${escapeHtml(TEXT.waitingTitle[other])} — ${escapeHtml(TEXT.place[other](place))}</p>
<p class="muted"><code>${escapeHtml(p.requestId)}</code></p>`;
  return withRefresh(
    renderPage({
      lang: p.lang,
      title: TEXT.waitingTitle[p.lang],
      heading: TEXT.waitingTitle[p.lang],
      tenantName: p.tenantName,
      bodyHtml: body,
    }),
    p.refreshSeconds,
  );
}

/** What the countdown page shows. */
export interface CountdownPage {
  lang: Lang;
  tenantName?: string;
  opensAt: number;
  secondsLeft: number;
  refreshSeconds: number;
  /** True once tickets are being given out (the last minutes before the opening). */
  ticketed: boolean;
}

/** The page of a zone before its `opensAt`. */
export function renderCountdownPage(p: CountdownPage): string {
  const other: Lang = p.lang === 'ja' ? 'en' : 'ja';
  const when = formatOpening(p.opensAt, p.lang);
  const body = `<p><strong data-opens-at="${new Date(p.opensAt).toISOString()}">${escapeHtml(TEXT.opensAt[p.lang](when))}</strong></p>
<p data-seconds-left="${Math.ceil(p.secondsLeft)}">${escapeHtml(TEXT.left[p.lang](formatDuration(p.secondsLeft, p.lang)))}</p>
${p.ticketed ? `<p>${escapeHtml(TEXT.fair[p.lang])}</p>` : ''}
<p class="muted" lang="${other}">${escapeHtml(TEXT.countdownTitle[other])} — ${escapeHtml(TEXT.opensAt[other](formatOpening(p.opensAt, other)))}</p>`;
  return withRefresh(
    renderPage({
      lang: p.lang,
      title: TEXT.countdownTitle[p.lang],
      heading: TEXT.countdownTitle[p.lang],
      tenantName: p.tenantName,
      bodyHtml: body,
    }),
    p.refreshSeconds,
  );
}
