/**
 * The `next` parameter of the login page: where to go after logging in. Only a path on this
 * host is followed; anything a browser could read as another origin falls back to the default,
 * so the login page can never be used as an open redirect (CWE-601).
 */

const BASE = 'https://gateway.invalid';
const MAX_LENGTH = 2048;

/**
 * Returns `next` as a safe same-host path (with its query), or `undefined`.
 * Refused: absolute URLs (`https://evil.com`), scheme-relative ones (`//evil.com`), backslashes
 * (`/\evil.com` — browsers read `\` as `/`), encoded slashes or backslashes (`/%2F%2Fevil.com`),
 * control characters and whitespace, and the gateway's own `/.gateway/` pages.
 * @example safeNext('/admin/results?page=2') // '/admin/results?page=2'
 * @example safeNext('//evil.com') // undefined
 */
export function safeNext(next: unknown): string | undefined {
  if (typeof next !== 'string' || next.length === 0 || next.length > MAX_LENGTH) return undefined;
  if (next[0] !== '/' || next[1] === '/' || next[1] === '\\') return undefined;
  if (/[\\\u0000-\u0020\u007f-\u009f]/.test(next)) return undefined;
  if (/%(2f|5c|00)/i.test(next)) return undefined;
  let url: URL;
  try {
    url = new URL(next, BASE);
  } catch {
    return undefined;
  }
  if (url.origin !== BASE || url.pathname.startsWith('/.gateway/')) return undefined;
  // Re-serialised from the parsed URL: what the browser will follow is what was checked.
  const safe = url.pathname + url.search;
  return safe.startsWith('//') ? undefined : safe;
}
