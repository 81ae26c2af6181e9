/**
 * The one place a denial becomes a response (Hono `onError`): JSON
 * `{"error":{"code","message","requestId"}}` for API clients, a small Japanese/English page for
 * browsers (`Accept: text/html`). Every response carries `X-Request-Id` and the security headers; a
 * 500 never shows internals (the cause goes to stderr with the request id, never to the client).
 */
import type { Context, ErrorHandler, NotFoundHandler } from 'hono';
import { ERROR_CODES, type ErrorCode, GatewayError, isGatewayError } from '../errors.js';
import type { PipelineContext } from '../pipeline.js';
import { setPageHeaders } from '../tls/headers.js';
import type { GatewayEnv } from '../types.js';
import { escapeHtml, pickLang, renderPage } from './layout.js';
import { rq } from '../request-state.js';

export { escapeHtml, pickLang, renderPage } from './layout.js';

/** True when the client prefers a page to JSON (a browser navigating). */
export function wantsHtml(c: Context<GatewayEnv>): boolean {
  const accept = c.req.header('accept');
  return accept?.includes('text/html') === true;
}

function errorPage(
  c: Context<GatewayEnv>,
  code: ErrorCode,
  detail: string | undefined,
  requestId: string,
): string {
  const lang = pickLang(c.req.header('accept-language'));
  const text = ERROR_CODES[code];
  const other = lang === 'ja' ? text.en : text.ja;
  const detailHtml = detail ? `<p>${escapeHtml(detail)}</p>` : '';
  const idLabel = lang === 'ja' ? 'お問い合わせ番号' : 'Request ID';
  return renderPage({
    lang,
    title: `${text.status} ${text[lang]}`,
    heading: text[lang],
    tenantName: rq(c).tenant?.name,
    bodyHtml: `${detailHtml}<p class="muted" lang="${lang === 'ja' ? 'en' : 'ja'}">${escapeHtml(other)}</p>
<p class="muted">${idLabel}: <code>${escapeHtml(requestId)}</code> (${escapeHtml(code)})</p>`,
  });
}

/**
 * Renders a {@link GatewayError} (or any other error, as `500 internal_error`).
 * @example app.onError(errorHandler({ policy, deps }))
 */
export function errorHandler(_ctx: PipelineContext): ErrorHandler<GatewayEnv> {
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
        ? errorPage(c, code, detail, requestId)
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

/**
 * The `404 no_route` answer for anything no route matched (the pipeline's default deny).
 * @example app.notFound(notFound({ policy, deps }))
 */
export function notFound(ctx: PipelineContext): NotFoundHandler<GatewayEnv> {
  const onError = errorHandler(ctx);
  return function notFound(c) {
    return onError(new GatewayError('no_route'), c) as Response;
  };
}
