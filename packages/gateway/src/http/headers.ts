/**
 * The security headers, as constant tables (after hono's secure-headers): one for every response
 * over HTTPS, one more for the gateway's own pages (a strict CSP: nothing loads but inline styles),
 * and the subset added to proxied responses when the upstream did not set its own.
 */

/** HSTS of one year with subdomains (RFC 6797); only ever sent over HTTPS. */
export const HSTS: readonly [string, string] = [
  'strict-transport-security',
  'max-age=31536000; includeSubDomains',
];

/** Added to proxied responses unless the upstream set the header itself. */
export const PROXIED_HEADERS: readonly (readonly [string, string])[] = [
  ['x-content-type-options', 'nosniff'],
  ['x-frame-options', 'DENY'],
  ['referrer-policy', 'no-referrer'],
];

/** Set on every response the gateway writes itself (errors, login, notices, redirects). */
export const PAGE_HEADERS: readonly (readonly [string, string])[] = [
  ...PROXIED_HEADERS,
  [
    'content-security-policy',
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; " +
      "frame-ancestors 'none'; base-uri 'none'",
  ],
  ['cross-origin-opener-policy', 'same-origin'],
  ['cross-origin-resource-policy', 'same-origin'],
  ['cache-control', 'no-store'],
];

/** Sets the page headers (and HSTS when `secure`) on a response the gateway wrote. */
export function setPageHeaders(headers: Headers, secure: boolean): void {
  for (const [name, value] of PAGE_HEADERS) headers.set(name, value);
  if (secure) headers.set(HSTS[0], HSTS[1]);
}
