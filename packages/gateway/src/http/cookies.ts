/**
 * The gateway's cookies and how they reach the client. Both carry the `__Host-` prefix, so a
 * browser accepts them only over HTTPS, for this exact host, with `Path=/` and no `Domain`: a
 * sibling tenant host cannot set or overwrite them (RFC 6265bis §4.1.3.2).
 */
import type { ServerResponse } from 'node:http';
import type { Context } from 'hono';
import { generateCookie, getCookie } from 'hono/cookie';
import type { GatewayEnv } from '../types.js';

/** Name of the session cookie (a signed JWT, see `token.ts`). */
export const SESSION_COOKIE = '__Host-rg-session';
/** Name of the pre-login cookie that binds the login form's CSRF token. */
export const CSRF_COOKIE = '__Host-rg-csrf';

/** A `Set-Cookie` value for the session: no `Max-Age`, so it also ends when the browser closes. */
export function sessionCookie(token: string): string {
  return generateCookie('rg-session', token, { prefix: 'host', httpOnly: true, sameSite: 'Lax' });
}

/** A `Set-Cookie` value that deletes the session cookie. */
export function clearedSessionCookie(): string {
  return generateCookie('rg-session', '', { prefix: 'host', httpOnly: true, sameSite: 'Lax', maxAge: 0 });
}

/** A `Set-Cookie` value for the CSRF nonce; `Strict`, since only the login page's own form posts it. */
export function csrfCookie(nonce: string): string {
  return generateCookie('rg-csrf', nonce, { prefix: 'host', httpOnly: true, sameSite: 'Strict' });
}

/** Reads a gateway cookie from the request (undefined when absent or empty). */
export function readCookie(c: Context<GatewayEnv>, name: typeof SESSION_COOKIE | typeof CSRF_COOKIE) {
  return getCookie(c, name) || undefined;
}

/**
 * Puts session headers on the response, whichever way it is written. The proxy streams the
 * upstream's answer straight into the Node response (`c.env.outgoing`), so headers set on the
 * Hono context would never reach it: they are set on `outgoing` too, and the proxy appends the
 * upstream's `Set-Cookie` to ours and keeps our `Cache-Control`.
 */
export function presetHeaders(c: Context<GatewayEnv>, setCookie: string | undefined): void {
  const out = c.env.outgoing;
  if (out.headersSent) return;
  out.setHeader('Cache-Control', 'no-store');
  if (setCookie) out.appendHeader('Set-Cookie', setCookie);
}

/** Adds the same headers to a Hono response made downstream (an error page, a local answer). */
export function finishHeaders(c: Context<GatewayEnv>, setCookie: string | undefined): void {
  const res = c.res;
  if (res.headers.get('x-hono-already-sent')) return;
  try {
    res.headers.set('Cache-Control', 'no-store');
    if (setCookie) res.headers.append('Set-Cookie', setCookie);
  } catch {
    // A Response from fetch() has immutable headers: copy it once.
    const copy = new Response(res.body, res);
    copy.headers.set('Cache-Control', 'no-store');
    if (setCookie) copy.headers.append('Set-Cookie', setCookie);
    c.res = undefined as unknown as Response;
    c.res = copy;
  }
}

/**
 * For the proxy: adds the headers earlier steps preset on the Node response (see
 * {@link presetHeaders}) to the flat name/value list it passes to `writeHead`. Node's `writeHead`
 * drops a preset header whenever the list names it too, so each one goes into the list:
 * `Set-Cookie` next to the upstream's, any other instead of the upstream's (the gateway's
 * `Cache-Control: no-store` beats the app's caching on authenticated pages).
 * @param outgoing the Node response
 * @param out the response head being built (`name, value, name, value…`)
 */
export function mergePresetHeaders(outgoing: ServerResponse, out: string[]): void {
  // Most answers have nothing preset: asking the names first skips getHeaders()'s object.
  if (outgoing.getHeaderNames().length === 0) return;
  const preset = outgoing.getHeaders();
  for (const name in preset) {
    const value = preset[name];
    if (value === undefined) continue;
    if (name !== 'set-cookie') {
      for (let i = out.length - 2; i >= 0; i -= 2) if (out[i]!.toLowerCase() === name) out.splice(i, 2);
    }
    for (const v of Array.isArray(value) ? value : [String(value)]) out.push(name, v);
  }
}
