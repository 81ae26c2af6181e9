/**
 * The socket peer and whether it is a trusted proxy (`server.trustedProxies`). Forwarded headers
 * (`X-Request-Id`, `X-Forwarded-For`, `X-Forwarded-Proto`) are believed only from such a peer
 * (docs/architecture.md §9). One implementation — client-ip's {@link CidrSet} — serves every module, and a
 * list is compiled once per policy load however many modules ask for it.
 */
import type { Context } from 'hono';
import { CidrSet } from '../client-ip/cidr.js';
import type { GatewayEnv } from '../types.js';

/** The socket peer's address, IPv4-mapped IPv6 unmapped; '' when the socket has closed. */
export function peerAddress(c: Context<GatewayEnv>): string {
  const raw = c.env.incoming.socket.remoteAddress;
  if (!raw) return '';
  return raw.startsWith('::ffff:') && raw.includes('.') ? raw.slice(7) : raw;
}

// Keyed by the policy's array itself: a reload brings a new array, so a new set.
const sets = new WeakMap<readonly string[], CidrSet>();

/**
 * The compiled set of a CIDR list from the policy, shared by every caller with the same list.
 * @example trustedSet(policy.server.trustedProxies).hasText('10.0.0.5')
 */
export function trustedSet(cidrs: readonly string[]): CidrSet {
  let set = sets.get(cidrs);
  if (!set) {
    set = new CidrSet(cidrs);
    sets.set(cidrs, set);
  }
  return set;
}

/**
 * Compiles a CIDR list once into a membership test on address text.
 * @returns a function that is always false for an empty list (no parsing on the hot path)
 * @example const trusted = compileCidrs(policy.server.trustedProxies); trusted('10.0.0.5')
 */
export function compileCidrs(cidrs: readonly string[]): (ip: string) => boolean {
  if (cidrs.length === 0) return () => false;
  const set = trustedSet(cidrs);
  return function inRanges(ip: string): boolean {
    return ip !== '' && set.hasText(ip);
  };
}
