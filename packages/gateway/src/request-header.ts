/**
 * Reads a request header on the hot path. Served by Node, it scans `incoming.rawHeaders` directly;
 * `c.req.header()` goes through @hono/node-server's lazy web Headers (a name check, a copy of the
 * raw list for singleton fields such as Authorization), which the profile showed on every request
 * for the four headers the checks read. The value is the same: every occurrence, in order, joined
 * with `, ` (as the Fetch standard's `Headers#get`), trimmed of surrounding whitespace — so a
 * repeated `Authorization` stays one malformed value, never "the first one wins".
 */
import type { Context } from 'hono';
import type { GatewayEnv } from './types.js';

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

function trimmed(value: string): string {
  return value.length > 0 && (isSpace(value.charCodeAt(0)) || isSpace(value.charCodeAt(value.length - 1)))
    ? value.trim()
    : value;
}

const USUAL = new Map<string, string>();

/** `x-forwarded-for` → `X-Forwarded-For`, remembered (the checks ask for four names). */
function usualSpelling(name: string): string {
  let usual = USUAL.get(name);
  if (usual === undefined) {
    usual = name.replace(/(^|-)([a-z])/g, (_, dash: string, ch: string) => dash + ch.toUpperCase());
    if (USUAL.size < 64) USUAL.set(name, usual);
  }
  return usual;
}

/**
 * `field` equals the lowercase `name` ignoring ASCII case — without `toLowerCase()`, which makes a
 * new string of every header it is asked about (four per request, on every request).
 */
function sameName(field: string, name: string, usual: string): boolean {
  const n = name.length;
  if (field.length !== n) return false;
  // How nearly every client spells it (`Authorization`, `X-Forwarded-For`): one compare.
  if (field === usual || field === name) return true;
  for (let i = 0; i < n; i++) {
    let ch = field.charCodeAt(i);
    if (ch >= 0x41 && ch <= 0x5a) ch |= 0x20;
    if (ch !== name.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * The request header `name`, or `undefined` when absent.
 * @param name the header name in lowercase
 * @example const xff = requestHeader(c, 'x-forwarded-for');
 */
export function requestHeader(c: Context<GatewayEnv>, name: string): string | undefined {
  const raw = c.env.incoming.rawHeaders;
  const usual = usualSpelling(name);
  let value: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const field = raw[i]!;
    if (!sameName(field, name, usual)) continue;
    const v = trimmed(raw[i + 1]!);
    value = value === undefined ? v : `${value}, ${v}`;
  }
  return value;
}
