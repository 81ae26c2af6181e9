/**
 * A step that knows, from the policy alone, the zones for which it can do nothing but pass the
 * request on (the roles step in a zone without roles, the form-login step in a Basic-auth zone…).
 * The pipeline's runner (pipeline.ts) skips such a step for requests of those zones: a request
 * then runs only the steps that can decide something about it. Each step states this next to its
 * own per-request check, which it keeps: skipping is an optimisation, never the check itself.
 */
import type { MiddlewareHandler } from 'hono';
import type { Zone } from './policy/schema.js';
import type { GatewayEnv } from './types.js';

/**
 * A Hono middleware that also says for which zones it only calls `next()`.
 * `passes(tenantId, zone)` must be true ONLY when, for every request of that tenant's zone, the
 * step would call `next()` and nothing else: a wrong `true` skips a check.
 */
export interface ZoneStep extends MiddlewareHandler<GatewayEnv> {
  readonly passes: (tenantId: string, zone: Zone) => boolean;
}

/**
 * Marks `step` as one the runner may skip for the zones `passes` names.
 * @example return zoneStep(function requireRoles(c, next) { … }, (_t, zone) => !zone.roles);
 */
export function zoneStep(
  step: MiddlewareHandler<GatewayEnv>,
  passes: (tenantId: string, zone: Zone) => boolean,
): ZoneStep {
  return Object.assign(step, { passes });
}

/** True for a step made by {@link zoneStep}. */
export function isZoneStep(step: MiddlewareHandler<GatewayEnv>): step is ZoneStep {
  return typeof (step as Partial<ZoneStep>).passes === 'function';
}

/**
 * For each tenant's zone, which of `steps` only pass the request on (1) and which may act (0).
 * Worked out on the zone's first request and kept with it; a zone object shared by two tenants
 * (a policy built in code may do that) is worked out again for the other, never reused.
 * @example const plan = zonePlan(steps); plan('school-a', zone) // Uint8Array, 1 = skip
 */
export function zonePlan(
  steps: readonly MiddlewareHandler<GatewayEnv>[],
): (tenantId: string, zone: Zone) => Uint8Array {
  const plans = new WeakMap<Zone, { tenantId: string; skip: Uint8Array }>();
  return function planOf(tenantId, zone) {
    const known = plans.get(zone);
    if (known !== undefined && known.tenantId === tenantId) return known.skip;
    const skip = Uint8Array.from(steps, (s) => (isZoneStep(s) && s.passes(tenantId, zone) ? 1 : 0));
    plans.set(zone, { tenantId, skip });
    return skip;
  };
}
