/**
 * CSRF tokens of the admin forms (withdraw, import). The admin pages sit behind the gateway's
 * login, whose session cookie a browser sends along with a forged cross-site POST; a token the
 * page embeds, which another site cannot read, is what proves the form came from this page.
 * Stateless: `issuedAt.HMAC(key, tenant, user, issuedAt)`, valid for 12 hours (the gateway's
 * longest session), bound to the user the gateway vouched for.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

const MAX_AGE_MS = 12 * 3_600_000;

function mac(key: Buffer, tenant: string, user: string, issuedAt: number): string {
  return createHmac('sha256', key).update(`csrf-v1\n${tenant}\n${user}\n${issuedAt}`).digest('base64url');
}

/** A token for the admin user's forms. */
export function csrfToken(key: Buffer, tenant: string, user: string, now: number): string {
  return `${now}.${mac(key, tenant, user, now)}`;
}

/** Whether `token` was issued by {@link csrfToken} for this tenant and user, and is not too old. */
export function checkCsrf(key: Buffer, tenant: string, user: string, token: unknown, now: number): boolean {
  if (typeof token !== 'string') return false;
  const [at = '', tag = '', ...rest] = token.split('.');
  if (rest.length > 0 || !/^\d{1,15}$/.test(at)) return false;
  const issuedAt = Number(at);
  if (issuedAt > now + 60_000 || now - issuedAt > MAX_AGE_MS) return false;
  const want = Buffer.from(mac(key, tenant, user, issuedAt));
  const got = Buffer.from(tag);
  return want.length === got.length && timingSafeEqual(want, got);
}
