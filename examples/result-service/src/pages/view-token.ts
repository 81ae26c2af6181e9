/**
 * The recipient's view token: after the access code and PIN are accepted, the result page is a GET
 * (post/redirect/get) that a refresh or the language switch can repeat without resubmitting the
 * PIN. The token names the result and an expiry, is bound to the tenant and MACed with a key
 * outside the database, and lives in a `__Host-` cookie that is HttpOnly, Secure and
 * SameSite=Strict — so the PIN never appears in a URL, script cannot read the token, and another
 * site cannot make the browser use it.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';

/** The cookie's name without its `__Host-` prefix (the gateway strips only its own `rg-` cookies). */
const COOKIE = 'rs-view';
const ID = /^res_[0-9a-f]{32}$/;

function mac(key: Buffer, tenant: string, resultId: string, expiresAt: number): string {
  return createHmac('sha256', key)
    .update(`view-v1\n${tenant}\n${resultId}\n${expiresAt}`)
    .digest('base64url');
}

/**
 * A token for `resultId` of `tenant`, valid until `expiresAt` (ms).
 * @example signViewToken(keys.view, 'school-a', row.id, now + 15 * 60_000)
 */
export function signViewToken(key: Buffer, tenant: string, resultId: string, expiresAt: number): string {
  return `${resultId}.${expiresAt}.${mac(key, tenant, resultId, expiresAt)}`;
}

/**
 * The result id a token opens, or undefined when it is missing, forged, for another tenant or expired.
 */
export function readViewToken(
  key: Buffer,
  tenant: string,
  token: string | undefined,
  now: number,
): string | undefined {
  const [id = '', exp = '', tag = '', ...rest] = (token ?? '').split('.');
  if (rest.length > 0 || !ID.test(id) || !/^\d{1,15}$/.test(exp)) return undefined;
  const expiresAt = Number(exp);
  if (expiresAt <= now) return undefined;
  const want = Buffer.from(mac(key, tenant, id, expiresAt));
  const got = Buffer.from(tag);
  return want.length === got.length && timingSafeEqual(want, got) ? id : undefined;
}

/** Sets the view cookie on the response. */
export function setViewCookie(c: Context, token: string, ttlMs: number): void {
  setCookie(c, COOKIE, token, {
    prefix: 'host',
    httpOnly: true,
    sameSite: 'Strict',
    maxAge: Math.max(1, Math.floor(ttlMs / 1000)),
  });
}

/** The view cookie of the request, if any. */
export function viewCookie(c: Context): string | undefined {
  return getCookie(c, COOKIE, 'host');
}

/** Clears the view cookie (the recipient pressed "finish"). */
export function clearViewCookie(c: Context): void {
  deleteCookie(c, COOKIE, { prefix: 'host', httpOnly: true, sameSite: 'Strict' });
}
