/**
 * STUB (pass-through) — step 8 of the pipeline: tenant and zone allow-lists → 403 ip_not_allowed; authBypass sets c.var.user (via bypass).
 * Replaced by the module's real implementation; the factory's name and signature are the contract
 * with app.ts.
 */
import type { MiddlewareHandler } from 'hono';
import type { PipelineContext } from '../pipeline.js';
import type { GatewayEnv } from '../types.js';

export function ipAllowList(_ctx: PipelineContext): MiddlewareHandler<GatewayEnv> {
  return async function ipAllowList(_c, next) {
    await next();
  };
}
