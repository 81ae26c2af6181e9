/**
 * STUB (pass-through) — step 11 of the pipeline: the zone's roles must intersect the user's → 403 forbidden.
 * Replaced by the module's real implementation; the factory's name and signature are the contract
 * with app.ts.
 */
import type { MiddlewareHandler } from 'hono';
import type { PipelineContext } from '../pipeline.js';
import type { GatewayEnv } from '../types.js';

export function requireRoles(_ctx: PipelineContext): MiddlewareHandler<GatewayEnv> {
  return async function requireRoles(_c, next) {
    await next();
  };
}
