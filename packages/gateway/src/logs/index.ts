/**
 * STUB (pass-through) — step 14 of the pipeline: one access-log line per request, denied ones included.
 * Replaced by the module's real implementation; the factory's name and signature are the contract
 * with app.ts.
 */
import type { MiddlewareHandler } from 'hono';
import type { PipelineContext } from '../pipeline.js';
import type { GatewayEnv } from '../types.js';

export function accessLog(_ctx: PipelineContext): MiddlewareHandler<GatewayEnv> {
  return async function accessLog(_c, next) {
    await next();
  };
}
