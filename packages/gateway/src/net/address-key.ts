/**
 * The key under which the gateway counts a client address — lockouts, the per-address share of
 * the upstream pool. An IPv6 client is counted by its /64: one subscriber or host usually holds a
 * whole /64 and can pick a fresh address from it for every attempt, which would make a
 * per-address count useless.
 */
import { parseIp } from './cidr.js';

/**
 * What a client address is counted by: an IPv4 address as is, an IPv6 address by its /64 prefix.
 * @example addressKey('2001:db8:1:2:aaaa::1') // '2001:db8:1:2::/64'
 */
export function addressKey(ip: string): string {
  if (!ip.includes(':')) return ip;
  const parsed = parseIp(ip);
  if (parsed === null || typeof parsed === 'number') return ip;
  const hex = (i: number) => parsed[i]!.toString(16);
  return `${hex(0)}:${hex(1)}:${hex(2)}:${hex(3)}::/64`;
}
