/**
 * The gateway's own pages on every tenant host, under `/.gateway/` (docs/architecture.md §4). They pass the
 * tenant-level checks (TLS, tenant, maintenance bypass rules, tenant IP allow-list) but belong to
 * no zone. Each module contributes its handlers; app.ts mounts them in one place.
 */
import type { Handler } from 'hono';
import { GatewayError } from './errors.js';
import { CidrSet } from './net/cidr.js';
import type { Zone } from './policy/schema.js';
import type { GatewayEnv } from './types.js';

/** Reserved path → handler (any method; the handler answers 405 itself where needed). */
export type ReservedRoutes = Record<string, Handler<GatewayEnv>>;

/** Every reserved path starts with this prefix; no zone ever matches it. */
export const RESERVED_PREFIX = '/.gateway/';

/**
 * The networks a reserved page that serves some zones is open to: the union of those zones'
 * `ipAllow`, or `undefined` (no restriction beyond the tenant's list) when there are none or one
 * of them is unrestricted. The login page serves the form zones and the logs page the zones of
 * the admin role: without this, a client every such zone refuses could still try passwords
 * there, or read the logs, from a network the policy keeps out (docs/architecture.md §9).
 */
export function zoneNetworks(zones: readonly Zone[]): CidrSet | undefined {
  if (zones.length === 0 || zones.some((z) => z.ipAllow === undefined)) return undefined;
  return new CidrSet(zones.flatMap((z) => z.ipAllow ?? []));
}

/**
 * @throws GatewayError `ip_not_allowed` when `networks` is set and the client is outside it
 * @example requireNetwork(zoneNetworks(formZones), rq(c).clientIp)
 */
export function requireNetwork(networks: CidrSet | undefined, clientIp: string | undefined): void {
  if (networks && !networks.hasText(clientIp ?? '')) throw new GatewayError('ip_not_allowed');
}
