/**
 * Addresses and CIDR sets (ipaddr.js), shared by the client-address, allow-list, maintenance
 * bypass and request-id checks. A set is compiled once per policy load; a request only parses its
 * one address and walks a short list of prefixes.
 */
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/** A parsed address; IPv4-mapped IPv6 is always unmapped to IPv4 first. */
export type Address = ipaddr.IPv4 | ipaddr.IPv6;

/**
 * Parses one address strictly: dotted-quad IPv4 or IPv6 text, nothing else (no port, no
 * `127.1` or `0x7f.0.0.1` shorthand that ipaddr.js would accept — a guess is never made).
 * `::ffff:a.b.c.d` is returned as the IPv4 address `a.b.c.d` (DESIGN §4 step 2).
 * @returns the address, or `null` when the text is not an address
 * @example parseAddress('::ffff:203.0.113.7')?.toString() // '203.0.113.7'
 */
export function parseAddress(text: string): Address | null {
  if (isIP(text) === 0) return null;
  const addr = ipaddr.parse(text);
  return addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()
    ? (addr as ipaddr.IPv6).toIPv4Address()
    : addr;
}

/**
 * The text form of an address the gateway decides on, logs and forwards: IPv4-mapped IPv6
 * unmapped, IPv6 in RFC 5952 form. Node's socket addresses are already canonical, so the common
 * cases (plain IPv4, `::ffff:` + IPv4) avoid a parse.
 * @returns the canonical text, or `null` when `text` is not an address
 */
export function canonicalAddress(text: string): string | null {
  if (isIP(text) === 4) return text;
  if (text.startsWith('::ffff:') && isIP(text.slice(7)) === 4) return text.slice(7);
  return parseAddress(text)?.toString() ?? null;
}

const MAPPED_PREFIX = 96;

/**
 * A set of CIDR ranges (and single addresses) from the policy, split by address family.
 * An IPv4-mapped IPv6 range (`::ffff:10.0.0.0/104`) is stored as the IPv4 range it maps, because
 * clients are unmapped before matching. A wider IPv6 range such as `::/0` matches IPv6 clients
 * only: write `0.0.0.0/0` for IPv4.
 */
export class CidrSet {
  private readonly v4: [ipaddr.IPv4, number][] = [];
  private readonly v6: [ipaddr.IPv6, number][] = [];

  /**
   * @param ranges validated `isIpOrCidr` strings (the policy schema checked them)
   * @throws Error when an entry is not an IP or CIDR (cannot happen for a validated policy)
   * @example new CidrSet(['203.0.113.0/24', '2001:db8::/32']).has(parseAddress('203.0.113.7')!)
   */
  constructor(ranges: readonly string[]) {
    for (const text of ranges) {
      const [addr, bits] = text.includes('/')
        ? ipaddr.parseCIDR(text)
        : ([ipaddr.parse(text), text.includes(':') ? 128 : 32] as const);
      if (addr.kind() === 'ipv4') {
        this.v4.push([addr as ipaddr.IPv4, bits]);
      } else if ((addr as ipaddr.IPv6).isIPv4MappedAddress() && bits >= MAPPED_PREFIX) {
        this.v4.push([(addr as ipaddr.IPv6).toIPv4Address(), bits - MAPPED_PREFIX]);
      } else {
        this.v6.push([addr as ipaddr.IPv6, bits]);
      }
    }
  }

  /** Number of ranges in the set. */
  get size(): number {
    return this.v4.length + this.v6.length;
  }

  /** True when the (already unmapped) address lies in one of the ranges. */
  has(addr: Address): boolean {
    const ranges = addr.kind() === 'ipv4' ? this.v4 : this.v6;
    for (const range of ranges) if (addr.match(range)) return true;
    return false;
  }

  /** Like {@link has} for address text; text that is not an address is never in the set. */
  hasText(text: string): boolean {
    const addr = parseAddress(text);
    return addr !== null && this.has(addr);
  }
}
