/**
 * Reads a request header on the hot path. Served by Node, it scans `incoming.rawHeaders` directly;
 * `c.req.header()` goes through @hono/node-server's lazy web Headers (a name check, a copy of the
 * raw list for singleton fields such as Authorization), which the profile showed on every request
 * for the four headers the checks read. The value is the same: every occurrence, in order, joined
 * with `, ` (as the Fetch standard's `Headers#get`), trimmed of surrounding whitespace — so a
 * repeated `Authorization` stays one malformed value, never "the first one wins".
 */
import type { Context } from 'hono';
import { rq } from './request-state.js';
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
 * The headers the checks read on every request, each with its slot in {@link RequestState}'s
 * `hotHeaders`. They are read together in one pass over the raw list, the first time any of them
 * is asked for: four scans of every header line a request (one per check) cost more than the
 * checks that use them.
 */
const HOT_NAMES = ['x-request-id', 'authorization', 'x-forwarded-for', 'x-forwarded-proto'] as const;
const HOT_USUAL = HOT_NAMES.map(usualSpelling);

/** The slot of a hot header name (lowercase), or -1. */
function hotSlot(name: string): number {
  switch (name) {
    case 'x-request-id':
      return 0;
    case 'authorization':
      return 1;
    case 'x-forwarded-for':
      return 2;
    case 'x-forwarded-proto':
      return 3;
    default:
      return -1;
  }
}

/** The slot of a header line's field name, whatever its case, or -1 (the lengths tell most apart). */
function fieldSlot(field: string): number {
  let slot: number;
  switch (field.length) {
    case 12:
      slot = 0;
      break;
    case 13:
      slot = 1;
      break;
    case 15:
      slot = 2;
      break;
    case 17:
      slot = 3;
      break;
    default:
      return -1;
  }
  return sameName(field, HOT_NAMES[slot]!, HOT_USUAL[slot]!) ? slot : -1;
}

/** Every hot header's value (each occurrence joined, as {@link requestHeader}), in one pass. */
function readHotHeaders(raw: readonly string[]): (string | undefined)[] {
  const values: (string | undefined)[] = [undefined, undefined, undefined, undefined];
  for (let i = 0; i < raw.length; i += 2) {
    const slot = fieldSlot(raw[i]!);
    if (slot < 0) continue;
    const v = trimmed(raw[i + 1]!);
    const before = values[slot];
    values[slot] = before === undefined ? v : `${before}, ${v}`;
  }
  return values;
}

/**
 * The request header `name`, or `undefined` when absent.
 * @param name the header name in lowercase
 * @example const xff = requestHeader(c, 'x-forwarded-for');
 */
export function requestHeader(c: Context<GatewayEnv>, name: string): string | undefined {
  const raw = c.env.incoming.rawHeaders;
  const slot = hotSlot(name);
  if (slot >= 0) {
    const state = rq(c);
    state.hotHeaders ??= readHotHeaders(raw);
    return state.hotHeaders[slot];
  }
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
