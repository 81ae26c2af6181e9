/**
 * Path normalisation (docs/architecture.md §4 step 5). Zones match the normalised path and the upstream
 * receives the same one, so `/api/../admin`, `/%61dmin` and `//admin` are all `/admin` to both — an attacker
 * cannot make the gateway see one path and the upstream another. What cannot be normalised safely
 * is refused: an encoded `/` or `\` (the upstream might split on it), a raw `\`, NUL and other
 * control characters, malformed percent escapes, non-ASCII request bytes and invalid UTF-8.
 */

/** Why a path was refused (the message of the `400 bad_request`). */
export class PathError extends Error {
  override name = 'PathError';
}

/** A path that is already normal: only safe characters, no `%`, no `//`, no dot segment. */
const CLEAN_RE = /^(?:\/[A-Za-z0-9\-_~!$&'()*+,;=:@]+(?:\.[A-Za-z0-9\-_~!$&'()*+,;=:@]*)*)*\/?$/;
const HEX: Record<string, number> = {};
for (let i = 0; i < 16; i++) {
  HEX[i.toString(16)] = i;
  HEX[i.toString(16).toUpperCase()] = i;
}
const utf8 = new TextDecoder('utf-8', { fatal: true });

function percentDecode(raw: string): string {
  const bytes = new Uint8Array(raw.length);
  let n = 0;
  for (let i = 0; i < raw.length; i++) {
    const code = raw.charCodeAt(i);
    if (code !== 0x25) {
      bytes[n++] = code;
      continue;
    }
    const hi = HEX[raw[i + 1] ?? ''];
    const lo = HEX[raw[i + 2] ?? ''];
    if (hi === undefined || lo === undefined) throw new PathError('malformed percent escape');
    const byte = hi * 16 + lo;
    if (byte === 0x2f || byte === 0x5c) throw new PathError('encoded / or \\ in the path');
    bytes[n++] = byte;
    i += 2;
  }
  try {
    return utf8.decode(bytes.subarray(0, n));
  } catch {
    throw new PathError('invalid UTF-8 in the path');
  }
}

function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const code = s.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

/**
 * Normalises the path part of a request target.
 * @param raw the path as received (no query string), e.g. `/api/../%61dmin//x`
 * @returns the decoded, normal path, e.g. `/admin/x`; always starts with `/`, never has `.`/`..`
 *   segments or empty segments (a trailing `/` is kept)
 * @throws {PathError} for the inputs listed in the module comment
 * @example normalizePath('/api/../admin') // '/admin'
 */
export function normalizePath(raw: string): string {
  // Fast path: no segment starts with '.', nothing to decode, no '//' — already normal.
  if (CLEAN_RE.test(raw)) return raw;
  if (raw.charCodeAt(0) !== 0x2f) throw new PathError('the path must start with /');
  for (let i = 0; i < raw.length; i++) {
    const code = raw.charCodeAt(i);
    if (code > 0x7e || code < 0x21) throw new PathError('a character that must be percent-encoded');
    if (code === 0x5c) throw new PathError('\\ in the path');
  }
  const decoded = raw.includes('%') ? percentDecode(raw) : raw;
  if (hasControl(decoded)) throw new PathError('a control character in the path');
  const out: string[] = [];
  const segments = decoded.split('/');
  let trailing = false;
  for (let i = 1; i < segments.length; i++) {
    const seg = segments[i]!;
    trailing = i === segments.length - 1;
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else {
      out.push(seg);
      trailing = false;
    }
  }
  const path = `/${out.join('/')}`;
  return trailing && path !== '/' ? `${path}/` : path;
}
