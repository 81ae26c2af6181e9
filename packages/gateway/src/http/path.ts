/**
 * A normalised path (tenant/normalize.ts) written back into a request line, for the upstream.
 */

/** Characters that may stand unencoded in a path segment (RFC 3986 pchar). */
const PCHAR_RE = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/]*$/;

/**
 * Encodes a normalised path for the upstream's request line: characters that may not stand in a
 * path are percent-encoded, everything else is left as is (so a clean path is returned unchanged).
 * @example encodePath('/results/山田 太郎') // '/results/%E5%B1%B1%E7%94%B0%20%E5%A4%AA%E9%83%8E'
 */
export function encodePath(path: string): string {
  if (PCHAR_RE.test(path)) return path;
  let out = '';
  for (const ch of path) out += PCHAR_RE.test(ch) ? ch : encodeURIComponent(ch);
  return out;
}
