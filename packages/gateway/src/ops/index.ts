/**
 * STUB (pass-through) — step 1 of the pipeline: X-Request-Id (kept from a trusted proxy, else new); sets c.var.requestId and startedAt.
 * Replaced by the module's real implementation; the factory's name and signature are the contract
 * with app.ts.
 */
import type { MiddlewareHandler } from 'hono';
import type { PipelineContext } from '../pipeline.js';
import type { GatewayEnv } from '../types.js';

export function requestId(_ctx: PipelineContext): MiddlewareHandler<GatewayEnv> {
  return async function requestId(_c, next) {
    await next();
  };
}
