/**
 * Error pages for browsers. The service's errors are JSON (`{"error":{"code","message",
 * "requestId"}}`) for API clients; a browser (`Accept: text/html`) that meets an unknown path or a
 * failure gets the same status as a page in Japanese or English under the tenant's name: a plain
 * sentence, what to do next, and the code and request id only as a reference for support.
 */
import type { Context } from 'hono';
import { html } from 'hono/html';
import type { ServiceContext, ServiceEnv } from '../types.js';
import { type Lang, langOf, layout } from './layout.js';

type Text = { heading: string; next: string };

const TEXT: Record<Lang, Record<'400' | '401' | '403' | '404' | '413' | '500', Text>> = {
  ja: {
    400: {
      heading: 'リクエストを処理できませんでした。',
      next: '前のページに戻り、もう一度操作してください。',
    },
    401: {
      heading: 'このページは直接開けません。',
      next: 'お知らせのメールや通知書にあるリンクから開いてください。',
    },
    403: {
      heading: 'このページを表示する権限がありません。',
      next: 'ログインし直すか、管理者にお問い合わせください。',
    },
    404: {
      heading: 'ページが見つかりません。',
      next: 'アドレスが正しいか確認してください。結果の確認は下のリンクから行えます。',
    },
    413: {
      heading: '送信された内容が大きすぎます。',
      next: 'ファイルや入力を小さくして、もう一度送信してください。',
    },
    500: {
      heading: 'システムで問題が起きました。',
      next: 'しばらくしてからもう一度お試しください。解決しない場合は、下の番号を添えてお問い合わせください。',
    },
  },
  en: {
    400: {
      heading: 'The request could not be processed.',
      next: 'Go back to the previous page and try again.',
    },
    401: {
      heading: 'This page cannot be opened directly.',
      next: 'Open it from the link in your e-mail or letter.',
    },
    403: {
      heading: 'You do not have permission to see this page.',
      next: 'Log in again, or ask your administrator.',
    },
    404: {
      heading: 'Page not found.',
      next: 'Check that the address is correct. You can view your result from the link below.',
    },
    413: { heading: 'What you sent is too large.', next: 'Send a smaller file or less text.' },
    500: {
      heading: 'Something went wrong on our side.',
      next: 'Please try again in a little while. If it keeps happening, contact us and quote the reference below.',
    },
  },
};

const SUPPORT: Record<Lang, string> = {
  ja: 'お問い合わせの際は次の番号をお伝えください',
  en: 'If you contact support, quote this reference',
};
const VIEW: Record<Lang, string> = { ja: '結果の確認ページへ', en: 'Go to the result page' };

/** True when the client prefers a page to JSON (a browser navigating). */
export function wantsHtml(c: Context): boolean {
  return c.req.header('accept')?.includes('text/html') === true;
}

function textFor(lang: Lang, status: number): Text {
  const t = TEXT[lang];
  if (status === 401 || status === 403 || status === 404 || status === 413) return t[status];
  return status >= 500 ? t[500] : t[400];
}

/**
 * For a browser, turns the service's JSON error response into a page with the same status and
 * headers; anything else passes unchanged.
 * @example app.onError(async (err, c) => browserError(c, ctx, handleError(err, c)))
 */
export async function browserError(
  c: Context<ServiceEnv>,
  ctx: ServiceContext,
  res: Response,
): Promise<Response> {
  if (!wantsHtml(c) || res.status < 400) return res;
  const { error } = (await res.clone().json()) as { error: { code: string; requestId: string } };
  const lang = langOf(c);
  const t = textFor(lang, res.status);
  const tenant = c.get('identity')?.tenant;
  const profile = tenant
    ? ctx.profile(tenant)
    : { ...ctx.profile(''), name: { ja: '結果のお知らせ', en: 'Result notification' }, contact: undefined };
  const body = html`<h1>${t.heading}</h1>
<p class="next">${t.next}</p>
${res.status === 404 ? html`<p><a href="/r?lang=${lang}">${VIEW[lang]}</a></p>` : ''}
<p class="muted">${SUPPORT[lang]}: <code>${error.requestId}</code> <code>${error.code}</code> (HTTP ${res.status})</p>`;
  const page = await layout(c, { lang, title: t.heading, profile, body });
  const headers = new Headers(res.headers);
  headers.set('content-type', 'text/html; charset=utf-8');
  headers.set('cache-control', 'no-store');
  headers.set(
    'content-security-policy',
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  );
  headers.set('x-content-type-options', 'nosniff');
  headers.set('referrer-policy', 'no-referrer');
  return new Response(String(page), { status: res.status, headers });
}
