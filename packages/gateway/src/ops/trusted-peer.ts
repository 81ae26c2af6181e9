/**
 * The socket peer and whether it is a trusted proxy (`server.trustedProxies`). Forwarded headers
 * (`X-Request-Id`, `X-Forwarded-Proto`) are believed only from such a peer (DESIGN §9).
 */
import ipaddr from 'ipaddr.js';
import type { Context } from 'hono';
import type { GatewayEnv } from '../types.js';

/** The socket peer's address, IPv4-mapped IPv6 unmapped; '' when there is no socket (unit tests). */
export function peerAddress(c: Context<GatewayEnv>): string {
  const raw = c.env?.incoming?.socket?.remoteAddress;
  if (!raw) return '';
  return raw.startsWith('::ffff:') && raw.includes('.') ? raw.slice(7) : raw;
}

/**
 * Compiles a CIDR list once into a membership test.
 * @returns a function that is always false for an empty list (no parsing on the hot path)
 * @example const trusted = compileCidrs(policy.server.trustedProxies); trusted('10.0.0.5')
 */
export function compileCidrs(cidrs: readonly string[]): (ip: string) => boolean {
  if (cidrs.length === 0) return () => false;
  const ranges = cidrs.map((c) =>
    c.includes('/')
      ? ipaddr.parseCIDR(c)
      : ([ipaddr.parse(c), ipaddr.parse(c).kind() === 'ipv4' ? 32 : 128] as const),
  );
  return function inRanges(ip: string): boolean {
    if (!ip || !ipaddr.isValid(ip)) return false;
    let addr = ipaddr.parse(ip);
    if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) {
      addr = (addr as ipaddr.IPv6).toIPv4Address();
    }
    for (const range of ranges) {
      if (range[0].kind() === addr.kind() && addr.match(range as [ipaddr.IPv4 | ipaddr.IPv6, number]))
        return true;
    }
    return false;
  };
}
