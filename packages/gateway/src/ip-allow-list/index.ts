/**
 * Step 8 of the pipeline (docs/architecture.md §4): IP allow-lists, and the zone's `authBypass` networks.
 *
 * - The tenant's `ipAllow` and the zone's `ipAllow` both apply: a client must be in each list
 *   that is present. An absent list means no restriction at that level (the schema refuses an
 *   empty one). `/.gateway/*` paths have no zone, so only the tenant list applies to them.
 * - `authBypass` is "IP instead of password": a client that passed the allow-lists and is in the
 *   zone's `authBypass` networks gets the identity `{ name: '', roles: <the zone's roles>,
 *   via: 'bypass' }`. It holds exactly the roles the zone asks for — no more — so the roles
 *   check passes without a special case and the upstream sees, in `X-Gateway-Roles`, what the
 *   network was granted, while the empty user name says no person authenticated. Basic auth and
 *   form sessions skip a request that already has a user. A bypass never widens an allow-list.
 *
 * Every list is compiled once per policy load; a request's address was parsed by step 2.
 */
import type { MiddlewareHandler } from 'hono';
import type { PipelineContext } from '../deps.js';
import { GatewayError } from '../errors.js';
import { CidrSet } from '../net/cidr.js';
import type { Policy } from '../policy/schema.js';
import { rq } from '../request-state.js';
import type { GatewayEnv, GatewayUser } from '../types.js';

interface ZoneRules {
  allow?: CidrSet;
  bypass?: CidrSet;
  bypassUser: GatewayUser;
}

interface TenantRules {
  allow?: CidrSet;
  /** By zone name (unique within a tenant). Zones without lists are absent. */
  zones: Map<string, ZoneRules>;
}

/** Compiles every tenant's and zone's lists of one policy. */
export function compileAllowLists(policy: Policy): Map<string, TenantRules> {
  const tenants = new Map<string, TenantRules>();
  for (const [id, tenant] of Object.entries(policy.tenants)) {
    const zones = new Map<string, ZoneRules>();
    for (const zone of tenant.zones) {
      if (!zone.ipAllow && !zone.authBypass) continue;
      zones.set(zone.name, {
        allow: zone.ipAllow && new CidrSet(zone.ipAllow),
        bypass: zone.authBypass && new CidrSet(zone.authBypass),
        bypassUser: Object.freeze({ name: '', roles: Object.freeze([...(zone.roles ?? [])]), via: 'bypass' }),
      });
    }
    tenants.set(id, { allow: tenant.ipAllow && new CidrSet(tenant.ipAllow), zones });
  }
  return tenants;
}

/**
 * The allow-list middleware: `403 ip_not_allowed` for a client outside a list; sets
 * `rq(c).user` (via `bypass`) for a client in the zone's `authBypass` networks.
 * @throws GatewayError `ip_not_allowed`
 * @example app.use(ipAllowList({ policy, deps }))
 */
export function ipAllowList(ctx: PipelineContext): MiddlewareHandler<GatewayEnv> {
  const tenants = compileAllowLists(ctx.policy);
  // Not async: nothing runs after next(), so no extra promise per request.
  return function ipAllowList(c, next) {
    const state = rq(c);
    const tenantId = state.tenantId;
    // resolveTenant answers 404 before a request without a tenant could get here.
    if (tenantId === undefined) return next();
    const rules = tenants.get(tenantId);
    if (!rules) throw new GatewayError('ip_not_allowed'); // a tenant this policy does not know: deny
    const zone = state.zone;
    const zoneRules = zone && rules.zones.get(zone.name);
    if (!rules.allow && !zoneRules) return next();

    // Parsed once, by the client-address step.
    const addr = state.clientAddr;
    if (rules.allow && !(addr !== null && rules.allow.hasIp(addr))) throw new GatewayError('ip_not_allowed');
    if (zoneRules?.allow && !(addr !== null && zoneRules.allow.hasIp(addr)))
      throw new GatewayError('ip_not_allowed');
    if (zoneRules?.bypass && addr !== null && zoneRules.bypass.hasIp(addr)) state.user = zoneRules.bypassUser;
    return next();
  };
}
