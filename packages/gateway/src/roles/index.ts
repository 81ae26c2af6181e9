/**
 * Step 11 of the pipeline (docs/architecture.md §4): a zone's `roles` must intersect the roles of the user
 * that authentication established (Basic, session or `authBypass`), else `403 forbidden`. A zone
 * without `roles` lets any authenticated (or, for `auth: "none"`, any) request through. A zone
 * with `roles` and no user — `auth: "none"` with roles, which `resultgate check` flags — is
 * denied: default deny.
 */
import type { MiddlewareHandler } from 'hono';
import type { PipelineContext } from '../deps.js';
import { GatewayError } from '../errors.js';
import { rq } from '../request-state.js';
import type { GatewayEnv } from '../types.js';

/**
 * True when `user` holds at least one of `required`.
 * @example hasAnyRole(['admin'], ['integration', 'admin']) // true
 */
export function hasAnyRole(user: readonly string[], required: readonly string[]): boolean {
  for (const role of required) if (user.includes(role)) return true;
  return false;
}

/**
 * The roles middleware.
 * @throws GatewayError `forbidden` when the zone's roles and the user's roles do not intersect
 * @example app.use(requireRoles({ policy, deps }))
 */
export function requireRoles(_ctx: PipelineContext): MiddlewareHandler<GatewayEnv> {
  // Not async: nothing runs after next(), so no extra promise per request.
  return function requireRoles(c, next) {
    const state = rq(c);
    const required = state.zone?.roles;
    if (required) {
      const user = state.user;
      if (!user || !hasAnyRole(user.roles, required)) throw new GatewayError('forbidden');
    }
    return next();
  };
}
