/**
 * CIDRs written in a form other than their canonical one. `192.0.2.1/24` is a host address
 * written as a network: ipaddr.js (and the gateway) read it as `192.0.2.0/24`, all 256 addresses,
 * where its author most likely meant the one host. Each is a warning with the canonical form.
 */
import ipaddr from 'ipaddr.js';
import { formatPath } from '../policy/load.js';
import type { Policy } from '../policy/schema.js';
import type { Findings } from './findings.js';

/** An address as text; an IPv4-mapped IPv6 address keeps its dotted tail (`::ffff:10.0.0.1`). */
function show(address: ipaddr.IPv4 | ipaddr.IPv6): string {
  if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress()) {
    return `::ffff:${(address as ipaddr.IPv6).toIPv4Address().toString()}`;
  }
  return address.toString();
}

/**
 * The canonical text of an IP or CIDR: the network address (host bits cleared), IPv6 compressed
 * and lowercase (RFC 5952), no leading zeros; `undefined` when it does not parse.
 * @example canonicalCidr('192.0.2.1/24') // '192.0.2.0/24'
 */
export function canonicalCidr(text: string): string | undefined {
  try {
    if (!text.includes('/')) return show(ipaddr.parse(text));
    const [address, bits] = ipaddr.parseCIDR(text);
    const network =
      address.kind() === 'ipv4'
        ? ipaddr.IPv4.networkAddressFromCIDR(text)
        : ipaddr.IPv6.networkAddressFromCIDR(text);
    return `${show(network)}/${bits}`;
  } catch {
    return undefined;
  }
}

function checkList(list: readonly string[] | undefined, path: PropertyKey[], out: Findings): void {
  list?.forEach((text, i) => {
    const canonical = canonicalCidr(text);
    if (canonical === undefined || canonical === text) return;
    const [host] = text.split('/');
    const hostBits = text.includes('/') && canonical.split('/')[0] !== canonicalCidr(host!);
    const why = hostBits
      ? `is a host address written as a network: it means all of ${canonical}; write "${canonical}", or "${canonicalCidr(host!)}" for the one host`
      : `means ${canonical}; write "${canonical}"`;
    out.warn(formatPath([...path, i]), `"${text}" ${why}`);
  });
}

/** Adds a warning for every non-canonical CIDR of the policy to `out`. */
export function checkCidrs(policy: Policy, out: Findings): void {
  checkList(policy.server.trustedProxies, ['server', 'trustedProxies'], out);
  for (const [id, tenant] of Object.entries(policy.tenants)) {
    checkList(tenant.ipAllow, ['tenants', id, 'ipAllow'], out);
    tenant.zones.forEach((zone, z) => {
      checkList(zone.ipAllow, ['tenants', id, 'zones', z, 'ipAllow'], out);
      checkList(zone.authBypass, ['tenants', id, 'zones', z, 'authBypass'], out);
    });
    tenant.maintenance.forEach((w, m) => {
      checkList(w.bypass, ['tenants', id, 'maintenance', m, 'bypass'], out);
    });
  }
}
