/**
 * STUB (pass-through) — step 9-10 (basic) of the pipeline: lockout guard and Basic auth for zones with auth: basic; sets c.var.user.
 * Replaced by the module's real implementation; the factory's name and signature are the contract
 * with app.ts.
 */
import type { MiddlewareHandler } from 'hono';
import type { PipelineContext } from '../pipeline.js';
import type { GatewayEnv } from '../types.js';

export function basicAuth(_ctx: PipelineContext): MiddlewareHandler<GatewayEnv> {
  return async function basicAuth(_c, next) {
    await next();
  };
}
