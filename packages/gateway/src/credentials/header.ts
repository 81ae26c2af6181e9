/**
 * Parsing of `Authorization: Basic …` (RFC 7617) with UTF-8 user names and passwords. Total: any
 * string gives a result, never an exception, because the header is attacker-controlled.
 */

/** A user name and password from the header; the user name is NFC-normalised. */
export interface BasicCredentials {
  user: string;
  password: string;
}

/** What the header held: no Basic credentials at all, unreadable ones, or credentials. */
export type BasicHeader =
  | { kind: 'absent' }
  | { kind: 'malformed' }
  | ({ kind: 'credentials' } & BasicCredentials);

/** Longest header read; longer ones are malformed (no real password needs more). */
export const MAX_AUTHORIZATION_LENGTH = 4096;

const BASIC = /^basic[ \t]+([A-Za-z0-9+/]+={0,2})[ \t]*$/i;
const SCHEME = /^basic(?:[ \t]|$)/i;
// RFC 7617 §2: user-id and password contain no control characters; a user-id no colon.
const CONTROL = /[\u0000-\u001f\u007f]/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

const ABSENT: BasicHeader = { kind: 'absent' };
const MALFORMED: BasicHeader = { kind: 'malformed' };

/**
 * Reads an `Authorization` header value.
 * - `absent`: no header, or another scheme (`Bearer …`) — answered with a challenge, not counted
 * - `malformed`: `Basic` with bad base64, invalid UTF-8, no colon, an empty user or control chars
 * @example parseBasicAuthorization('Basic YWxpY2U6c2VjcmV0') // { kind: 'credentials', user: 'alice', password: 'secret' }
 */
export function parseBasicAuthorization(header: string | undefined | null): BasicHeader {
  if (!header) return ABSENT;
  if (!SCHEME.test(header)) return ABSENT;
  if (header.length > MAX_AUTHORIZATION_LENGTH) return MALFORMED;
  const m = BASIC.exec(header);
  if (!m || m[1]!.length % 4 === 1) return MALFORMED;
  let decoded: string;
  try {
    decoded = utf8.decode(Buffer.from(m[1]!, 'base64'));
  } catch {
    return MALFORMED;
  }
  const colon = decoded.indexOf(':');
  if (colon <= 0) return MALFORMED;
  const user = decoded.slice(0, colon).normalize('NFC');
  const password = decoded.slice(colon + 1);
  if (CONTROL.test(user) || CONTROL.test(password)) return MALFORMED;
  return { kind: 'credentials', user, password };
}

/**
 * Builds the challenge `Basic realm="…", charset="UTF-8"`. Header values are Latin-1 on the
 * wire, so a realm with characters outside printable ASCII (a Japanese school name) falls back
 * to `fallback` (the tenant id).
 */
export function basicChallenge(realm: string | undefined, fallback: string): string {
  const printable = realm !== undefined && /^[\x20-\x7e]+$/.test(realm) ? realm : fallback;
  return `Basic realm="${printable.replace(/["\\]/g, '\\$&')}", charset="UTF-8"`;
}
