/**
 * STUB (pass-through) — step 13 of the pipeline: stream to the upstream over an undici pool with identity headers.
 * Replaced by the module's real implementation; the factory's name and signature are the contract
 * with app.ts.
 */
import type { MiddlewareHandler } from 'hono';
import type { PipelineContext } from '../pipeline.js';
import type { GatewayEnv } from '../types.js';

export function proxy(_ctx: PipelineContext): MiddlewareHandler<GatewayEnv> {
  return async function proxy(_c, next) {
    await next();
  };
}
