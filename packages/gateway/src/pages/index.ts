/**
 * The one place a denial becomes a response (Hono `onError`): JSON
 * `{"error":{"code","message","requestId"}}` for API clients, a small Japanese/English page for
 * browsers (`Accept: text/html`) that says what happened in a plain sentence and what to do next,
 * with the code only as a reference for support. Every response carries `X-Request-Id` and the security headers; a
 * 500 never shows internals (the cause goes to stderr with the request id, never to the client).
 */
import type { Context, ErrorHandler } from 'hono';
import type { PipelineContext } from '../deps.js';
import { ERROR_CODES, type ErrorCode, GatewayError, isGatewayError } from '../errors.js';
import { setPageHeaders } from '../http/headers.js';
import { rq } from '../request-state.js';
import type { GatewayEnv } from '../types.js';
import { escapeHtml, pickLang, renderPage } from './layout.js';
import { nextStep } from './next-steps.js';
import { formatJst } from './time.js';

export { escapeHtml, pickLang, renderPage } from './layout.js';

/** True when the client prefers a page to JSON (a browser navigating). */
export function wantsHtml(c: Context<GatewayEnv>): boolean {
  const accept = c.req.header('accept');
  return accept?.includes('text/html') === true;
}

/** The end of the tenant's maintenance window in progress, if any (for the maintenance page). */
function maintenanceEnd(ctx: PipelineContext, tenantId: string | undefined): number | undefined {
  const windows = tenantId ? ctx.policy.tenants[tenantId]?.maintenance : undefined;
  const t = ctx.deps.now();
  for (const w of windows ?? []) {
    const start = Date.parse(w.start);
    const end = Date.parse(w.end);
    if (start <= t && t < end) return end;
  }
  return undefined;
}

const SUPPORT = {
  ja: 'お問い合わせの際は次の番号をお伝えください',
  en: 'If you contact support, quote this reference',
} as const;
const MAINTENANCE_UNTIL = {
  ja: (t: string) => `${t}に終了する予定です。`,
  en: (t: string) => `It is due to end on ${t}.`,
} as const;

/**
 * A refusal as a person reads it: the plain sentence as the heading, then what to do next (for
 * maintenance, when the window ends and the operator's message, each once), and the request id
 * and code last, only as a reference for support.
 */
function errorPage(
  c: Context<GatewayEnv>,
  ctx: PipelineContext,
  code: ErrorCode,
  detail: string | undefined,
  requestId: string,
): string {
  const lang = pickLang(c.req.header('accept-language'));
  const text = ERROR_CODES[code];
  const state = rq(c);
  const end = code === 'maintenance' ? maintenanceEnd(ctx, state.tenantId) : undefined;
  const parts: string[] = [];
  if (end !== undefined)
    parts.push(`<p class="lead">${escapeHtml(MAINTENANCE_UNTIL[lang](formatJst(end, lang)))}</p>`);
  if (detail) parts.push(`<p>${escapeHtml(detail)}</p>`);
  parts.push(`<p class="next">${escapeHtml(nextStep(code, lang))}</p>`);
  if (code === 'maintenance')
    parts.push(
      `<p><a href="/.gateway/notices">${lang === 'ja' ? 'メンテナンスのお知らせ' : 'Maintenance notices'}</a></p>`,
    );
  parts.push(
    `<p class="muted">${SUPPORT[lang]}: <code>${escapeHtml(requestId)}</code> <code>${escapeHtml(code)}</code> (HTTP ${text.status})</p>`,
  );
  return renderPage({
    lang,
    title: text[lang],
    heading: text[lang],
    tenantName: state.tenant?.name,
    bodyHtml: parts.join('\n'),
  });
}

/**
 * Renders a {@link GatewayError} (or any other error, as `500 internal_error`).
 * @example app.onError(errorHandler({ policy, deps }))
 */
export function errorHandler(ctx: PipelineContext): ErrorHandler<GatewayEnv> {
  return function onError(err, c) {
    const requestId = rq(c).requestId ?? '';
    let gatewayError: GatewayError;
    if (isGatewayError(err)) gatewayError = err;
    else {
      process.stderr.write(
        `resultgate: internal error (request ${requestId}): ${err.stack ?? String(err)}\n`,
      );
      gatewayError = new GatewayError('internal_error');
    }
    const { code, status } = gatewayError;
    rq(c).decision = code;
    // A detail message only when a module gave one (maintenance notice, invalid path reason).
    const detail = gatewayError.message !== ERROR_CODES[code].en ? gatewayError.message : undefined;
    const html = wantsHtml(c);
    const res = new Response(
      html
        ? errorPage(c, ctx, code, detail, requestId)
        : JSON.stringify({ error: { code, message: gatewayError.message, requestId } }),
      {
        status,
        headers: { 'content-type': html ? 'text/html; charset=utf-8' : 'application/json; charset=utf-8' },
      },
    );
    for (const [name, value] of Object.entries(gatewayError.headers)) res.headers.set(name, value);
    setPageHeaders(res.headers, rq(c).secure === true);
    if (requestId) res.headers.set('x-request-id', requestId);
    return res;
  };
}
