/**
 * CSRF defence of the login and logout forms, two independent checks:
 * 1. a form token bound to a pre-login cookie — the token is an HMAC (session key) of the tenant
 *    and a random nonce kept in the `__Host-rg-csrf` cookie ("signed double-submit", OWASP CSRF
 *    cheat sheet). A forged page can neither read the cookie nor compute the token;
 * 2. the `Origin` header must be this very host over HTTPS. Browsers send `Origin` on every form
 *    POST; a sibling tenant host is same-site (cookies flow) but a different origin, and is refused.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import { CSRF_COOKIE, csrfCookie, readCookie } from '../http/cookies.js';
import { rq } from '../request-state.js';
import type { GatewayEnv } from '../types.js';

const NONCE = /^[A-Za-z0-9_-]{22,64}$/;

/** Makes and checks form tokens with the session keys (newest first; any verifies). */
export interface CsrfGuard {
  /**
   * The token for this browser's nonce; sets a new nonce cookie when there is none.
   * @returns the token for the form's hidden field, and the `Set-Cookie` to send (if any)
   */
  issue(c: Context<GatewayEnv>): { token: string; setCookie?: string };
  /** True when the posted token matches the nonce cookie and `Origin` is this host. */
  check(c: Context<GatewayEnv>, token: unknown): boolean;
}

function mac(key: Uint8Array, tenant: string, nonce: string): Buffer {
  // The NUL separators cannot occur in a tenant id or a base64url nonce: no ambiguity.
  return createHmac('sha256', key).update(`rg-csrf\0${tenant}\0${nonce}`).digest();
}

/**
 * True when `Origin` is exactly `https://<Host>` (host as the client sent it, port included).
 * A missing or `null` Origin is refused: every browser that could be tricked into posting sends one.
 */
export function sameOrigin(c: Context<GatewayEnv>): boolean {
  const origin = c.req.header('origin');
  const host = c.req.header('host');
  if (!origin || !host) return false;
  return origin.toLowerCase() === `https://${host.toLowerCase()}`;
}

/**
 * @param keys session keys, newest first
 * @example const csrf = csrfGuard(deps.sessionKeys); if (!csrf.check(c, form.csrf)) …
 */
export function csrfGuard(keys: readonly Uint8Array[]): CsrfGuard {
  const signer = keys[0]!;
  return {
    issue(c) {
      const tenant = rq(c).tenantId ?? '';
      const existing = readCookie(c, CSRF_COOKIE);
      if (existing && NONCE.test(existing))
        return { token: mac(signer, tenant, existing).toString('base64url') };
      const nonce = randomBytes(18).toString('base64url');
      return { token: mac(signer, tenant, nonce).toString('base64url'), setCookie: csrfCookie(nonce) };
    },
    check(c, token) {
      if (!sameOrigin(c)) return false;
      const nonce = readCookie(c, CSRF_COOKIE);
      if (!nonce || !NONCE.test(nonce) || typeof token !== 'string') return false;
      const given = Buffer.from(token, 'base64url');
      if (given.length !== 32) return false;
      const tenant = rq(c).tenantId ?? '';
      // Every key is tried (no early exit) so the time taken does not say which key matched.
      let ok = false;
      for (const key of keys) ok = timingSafeEqual(mac(key, tenant, nonce), given) || ok;
      return ok;
    },
  };
}
