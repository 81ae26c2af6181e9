/**
 * Addresses and CIDR sets, shared by the client-address, TLS, allow-list, maintenance bypass and
 * request-id checks. A set is compiled once per policy load into plain numbers (IPv4) and 16-bit
 * groups (IPv6); a request parses its one address — IPv4 by hand, with no allocation — and
 * compares integers. ipaddr.js is only the fallback for IPv6 text and for the rarer spellings a
 * policy may use (`10.1/16`), so what the schema accepts compiles exactly as ipaddr.js reads it.
 */
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * A parsed IP: an IPv4 address as a 32-bit number, or the 8 groups of an IPv6 one. The parsers give
 * IPv4 unsigned; the request state keeps it signed ({@link keptIp}); every reader takes both.
 */
export type Ip = number | Uint16Array;

/**
 * `ip` as the request state keeps it: IPv4 as a signed 32-bit integer, which V8 stores in an
 * object's field as it is, where an unsigned one above 2^31 (`203.0.113.7`) would be a heap number
 * allocated per request. {@link CidrSet.hasIp} and {@link ipText} read its 32 bits either way.
 */
export function keptIp(ip: Ip): Ip {
  return typeof ip === 'number' ? ip | 0 : ip;
}

const MAPPED_PREFIX = 96;

/**
 * Strict dotted-quad IPv4 (exactly what `net.isIPv4` accepts: four decimal parts 0-255, no
 * leading zeros) as an unsigned 32-bit number.
 * @returns the number, or -1 when the text is not such an address
 * @example parseIPv4('203.0.113.7') // 3405803783
 */
export function parseIPv4(text: string): number {
  const n = text.length;
  if (n < 7 || n > 15) return -1;
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < n; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 0x2e) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + part;
      dots++;
      part = 0;
      digits = 0;
    } else if (ch >= 0x30 && ch <= 0x39) {
      if (digits === 1 && part === 0) return -1; // a leading zero: `010` is octal to some parsers
      part = part * 10 + (ch - 0x30);
      if (part > 255) return -1;
      digits++;
    } else return -1;
  }
  if (dots !== 3 || digits === 0) return -1;
  return value * 256 + part;
}

function fromIpaddr(addr: ipaddr.IPv4 | ipaddr.IPv6): Ip {
  if (addr.kind() === 'ipv4') {
    const [a, b, c, d] = (addr as ipaddr.IPv4).octets;
    return ((a! << 24) | (b! << 16) | (c! << 8) | d!) >>> 0;
  }
  const v6 = addr as ipaddr.IPv6;
  if (v6.isIPv4MappedAddress()) return fromIpaddr(v6.toIPv4Address());
  return Uint16Array.from(v6.parts);
}

/**
 * Parses one address strictly: dotted-quad IPv4 or IPv6 text, nothing else (no port, no `127.1` or
 * `0x7f.0.0.1` shorthand — a guess is never made). `::ffff:a.b.c.d` gives the IPv4 address
 * (docs/architecture.md §4 step 2).
 * @returns the address, or `null` when the text is not an address
 */
export function parseIp(text: string): Ip | null {
  const v4 = parseIPv4(text);
  if (v4 >= 0) return v4;
  if (!text.includes(':') || isIP(text) !== 6) return null;
  return fromIpaddr(ipaddr.IPv6.parse(text));
}

function v4Text(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** The text form of a parsed IP: dotted quad, or IPv6 in RFC 5952 form. */
export function ipText(ip: Ip): string {
  return typeof ip === 'number' ? v4Text(ip) : new ipaddr.IPv6(Array.from(ip)).toString();
}

/** A parsed address with its canonical text (IPv4-mapped IPv6 already unmapped to IPv4). */
export class Address {
  constructor(readonly ip: Ip) {}
  kind(): 'ipv4' | 'ipv6' {
    return typeof this.ip === 'number' ? 'ipv4' : 'ipv6';
  }
  toString(): string {
    return ipText(this.ip);
  }
}

/**
 * {@link parseIp} wrapped in an {@link Address}.
 * @example parseAddress('::ffff:203.0.113.7')?.toString() // '203.0.113.7'
 */
export function parseAddress(text: string): Address | null {
  const ip = parseIp(text);
  return ip === null ? null : new Address(ip);
}

/**
 * The text form of an address the gateway decides on, logs and forwards: IPv4-mapped IPv6
 * unmapped, IPv6 in RFC 5952 form. A strict dotted quad is already canonical and returned as is.
 * @returns the canonical text, or `null` when `text` is not an address
 */
export function canonicalAddress(text: string): string | null {
  if (parseIPv4(text) >= 0) return text;
  if (text.length > 7 && text.startsWith('::ffff:') && parseIPv4(text.slice(7)) >= 0) return text.slice(7);
  const ip = parseIp(text);
  return ip === null ? null : ipText(ip);
}

function v4Mask(bits: number): number {
  return bits <= 0 ? 0 : (0xffffffff << (32 - Math.min(bits, 32))) >>> 0;
}

/** Reads one policy entry (`isIpOrCidr`): the address and its prefix length. */
function parseRange(text: string): [Ip, number] {
  const slash = text.indexOf('/');
  if (slash < 0) {
    const v4 = parseIPv4(text);
    if (v4 >= 0) return [v4, 32];
    const addr = ipaddr.parse(text);
    const ip = fromIpaddr(addr);
    return [ip, typeof ip === 'number' ? 32 : 128];
  }
  const v4 = parseIPv4(text.slice(0, slash));
  const suffix = text.slice(slash + 1);
  if (v4 >= 0 && /^\d{1,2}$/.test(suffix) && Number(suffix) <= 32) return [v4, Number(suffix)];
  const [addr, bits] = ipaddr.parseCIDR(text);
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) {
    // `::ffff:10.0.0.0/104` is the IPv4 range 10.0.0.0/8; a shorter prefix covers more than the
    // mapped block, so it stays an IPv6 range (which IPv4 clients, unmapped, never match).
    if (bits >= MAPPED_PREFIX) return [fromIpaddr(addr), bits - MAPPED_PREFIX];
    return [Uint16Array.from((addr as ipaddr.IPv6).parts), bits];
  }
  return [fromIpaddr(addr), bits];
}

function v6Match(ip: Uint16Array, net: Uint16Array, bits: number): boolean {
  for (let i = 0; i < 8 && bits > 0; i++, bits -= 16) {
    const shift = bits >= 16 ? 0 : 16 - bits;
    if (ip[i]! >>> shift !== net[i]! >>> shift) return false;
  }
  return true;
}

/**
 * A set of CIDR ranges (and single addresses) from the policy, split by address family.
 * An IPv4-mapped IPv6 range (`::ffff:10.0.0.0/104`) is stored as the IPv4 range it maps, because
 * clients are unmapped before matching. A wider IPv6 range such as `::/0` matches IPv6 clients
 * only: write `0.0.0.0/0` for IPv4.
 */
export class CidrSet {
  /** IPv4 ranges as (masked network, mask) pairs. */
  private readonly v4: Uint32Array;
  private readonly v6: { net: Uint16Array; bits: number }[] = [];

  /**
   * @param ranges validated `isIpOrCidr` strings (the policy schema checked them)
   * @throws Error when an entry is not an IP or CIDR (cannot happen for a validated policy)
   * @example new CidrSet(['203.0.113.0/24', '2001:db8::/32']).hasText('203.0.113.7') // true
   */
  constructor(ranges: readonly string[]) {
    const v4: number[] = [];
    for (const text of ranges) {
      const [ip, bits] = parseRange(text);
      if (typeof ip === 'number') {
        const mask = v4Mask(bits);
        v4.push((ip & mask) >>> 0, mask);
      } else this.v6.push({ net: ip, bits });
    }
    this.v4 = Uint32Array.from(v4);
  }

  /** Number of ranges in the set. */
  get size(): number {
    return (this.v4.length >> 1) + this.v6.length;
  }

  /** True when the (already unmapped) address lies in one of the ranges. */
  hasIp(ip: Ip): boolean {
    if (typeof ip === 'number') {
      const v4 = this.v4;
      for (let i = 0; i < v4.length; i += 2) if ((ip & v4[i + 1]!) >>> 0 === v4[i]) return true;
      return false;
    }
    for (const r of this.v6) if (v6Match(ip, r.net, r.bits)) return true;
    return false;
  }

  /** Like {@link hasIp} for an {@link Address}. */
  has(addr: Address): boolean {
    return this.hasIp(addr.ip);
  }

  /** Like {@link hasIp} for address text; text that is not an address is never in the set. */
  hasText(text: string): boolean {
    const v4 = parseIPv4(text);
    if (v4 >= 0) return this.hasIp(v4);
    const ip = parseIp(text);
    return ip !== null && this.hasIp(ip);
  }
}
