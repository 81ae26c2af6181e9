/**
 * Header hygiene of the proxy hop (docs/architecture.md §8). Tables, not branches: what never crosses the
 * gateway in either direction, and what the gateway itself sets. Works on Node's raw header list
 * (`incoming.rawHeaders`: name, value, name, value…) so nothing is parsed or copied twice.
 */
import { HSTS, PROXIED_HEADERS } from '../http/headers.js';

/**
 * Hop-by-hop headers (RFC 9110 §7.6.1, plus the de-facto `Keep-Alive` and `Proxy-Connection`),
 * and request headers the gateway replaces with its own values.
 */
const DROP_REQUEST = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
  // Host becomes the upstream's; the original goes out as X-Forwarded-Host.
  'host',
  // undici cannot forward a 100-continue handshake; the body is streamed anyway.
  'expect',
  // Forwarding headers are rebuilt from what the gateway established, never passed through.
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-forwarded-port',
  'x-real-ip',
  'x-request-id',
  // Some upstream frameworks route or dispatch on these: a client must not pick the upstream's
  // path or method past the gateway's zone and role checks.
  'x-original-url',
  'x-rewrite-url',
  'x-http-method-override',
  'x-http-method',
  'x-method-override',
]);

/** Hop-by-hop response headers; the Node response frames the body itself. */
const DROP_RESPONSE = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'x-request-id',
  // The gateway owns transport security: its own HSTS replaces the upstream's.
  'strict-transport-security',
]);

/** Every cookie the gateway sets is named `__Host-rg-…`; none is ever passed to the upstream. */
export const GATEWAY_COOKIE_PREFIX = '__Host-rg-';

/** Header names listed in `Connection` (RFC 9110 §7.6.1), beyond the usual `keep-alive`/`close`. */
export function connectionTokens(connection: string | undefined): Set<string> | undefined {
  if (!connection) return undefined;
  // The usual values, on every request and response: nothing to split.
  if (connection.length <= 10) {
    const lower = connection.toLowerCase();
    if (lower === 'keep-alive' || lower === 'close') return undefined;
  }
  let tokens: Set<string> | undefined;
  for (const part of connection.split(',')) {
    const t = part.trim().toLowerCase();
    if (t === '' || t === 'keep-alive' || t === 'close') continue;
    tokens ??= new Set();
    tokens.add(t);
  }
  return tokens;
}

function withoutGatewayCookies(cookie: string): string {
  if (!cookie.includes(GATEWAY_COOKIE_PREFIX)) return cookie;
  return cookie
    .split(';')
    .map((c) => c.trim())
    .filter((c) => c !== '' && !c.startsWith(GATEWAY_COOKIE_PREFIX))
    .join('; ');
}

/**
 * Copies the client's headers that may reach the upstream into `out` (a flat name/value list).
 * `Authorization` is dropped where the zone consumed it (auth is not `none`), and a `Basic` one
 * everywhere: Basic credentials are the gateway's own users' passwords (a browser also sends them
 * unasked to other paths of the host), while another scheme on an `auth: "none"` zone (an API's
 * own bearer token) is the upstream's business.
 * @param raw the client's raw header list
 * @param dropAuthorization true when the zone consumed `Authorization` (auth is not `none`)
 * @param out the list to append to
 */
export function copyRequestHeaders(raw: readonly string[], dropAuthorization: boolean, out: string[]): void {
  let listed: Set<string> | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.length === 10 && raw[i]!.toLowerCase() === 'connection') {
      const more = connectionTokens(raw[i + 1]);
      if (more) listed = listed ? new Set([...listed, ...more]) : more;
    }
  }
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (DROP_REQUEST.has(name) || listed?.has(name)) continue;
    if (name.startsWith('proxy-') || name.startsWith('x-gateway-')) continue;
    let value = raw[i + 1]!;
    if (name === 'authorization' && (dropAuthorization || /^\s*basic(\s|$)/i.test(value))) continue;
    if (name === 'cookie') {
      value = withoutGatewayCookies(value);
      if (value === '') continue;
    }
    out.push(raw[i]!, value);
  }
}

/**
 * Copies the upstream's response headers into `out` (a flat name/value list), without hop-by-hop
 * headers, those named in its `Connection`, and any attempt to set the gateway's own cookies.
 */
export function copyResponseHeaders(
  headers: Record<string, string | string[] | undefined>,
  out: string[],
): void {
  const listed = connectionTokens(headers.connection as string | undefined);
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || DROP_RESPONSE.has(name) || listed?.has(name)) continue;
    if (name.startsWith('proxy-')) continue;
    if (typeof value === 'string') {
      if (name === 'set-cookie' && value.startsWith(GATEWAY_COOKIE_PREFIX)) continue;
      out.push(name, value);
    } else {
      for (const v of value) {
        if (name === 'set-cookie' && v.startsWith(GATEWAY_COOKIE_PREFIX)) continue;
        out.push(name, v);
      }
    }
  }
}

/**
 * Adds what the gateway sets on every proxied answer: `X-Request-Id`, HSTS, and the security
 * headers the upstream did not set itself.
 */
export function appendProxiedHeaders(out: string[], requestId: string): void {
  out.push('x-request-id', requestId, HSTS[0], HSTS[1]);
  for (let i = 0; i < PROXIED_HEADERS.length; i++) {
    const [name, value] = PROXIED_HEADERS[i]!;
    if (!hasHeader(out, name)) out.push(name, value);
  }
}

/** True when a flat list already has the (lowercase) header. */
export function hasHeader(list: readonly string[], name: string): boolean {
  for (let i = 0; i < list.length; i += 2) if (list[i] === name) return true;
  return false;
}
