/**
 * STUB (pass-through) — step 7 of the pipeline: maintenance windows → 503 maintenance + Retry-After; serves /.gateway/notices.
 * Replaced by the module's real implementation; the factory's name and signature are the contract
 * with app.ts.
 */
import type { MiddlewareHandler } from 'hono';
import type { PipelineContext } from '../pipeline.js';
import type { GatewayEnv } from '../types.js';

export function maintenance(_ctx: PipelineContext): MiddlewareHandler<GatewayEnv> {
  return async function maintenance(_c, next) {
    await next();
  };
}
