/**
 * STUB (pass-through) — step 12 of the pipeline: per-zone concurrency limit and queue → 503 overloaded + Retry-After.
 * Replaced by the module's real implementation; the factory's name and signature are the contract
 * with app.ts.
 */
import type { MiddlewareHandler } from 'hono';
import type { PipelineContext } from '../pipeline.js';
import type { GatewayEnv } from '../types.js';

export function admission(_ctx: PipelineContext): MiddlewareHandler<GatewayEnv> {
  return async function admission(_c, next) {
    await next();
  };
}
