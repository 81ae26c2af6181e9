/**
 * STUB (pass-through) — step 2 of the pipeline: client address from the socket peer, or X-Forwarded-For from trusted proxies; sets c.var.clientIp.
 * Replaced by the module's real implementation; the factory's name and signature are the contract
 * with app.ts.
 */
import type { MiddlewareHandler } from 'hono';
import type { PipelineContext } from '../pipeline.js';
import type { GatewayEnv } from '../types.js';

export function clientIp(_ctx: PipelineContext): MiddlewareHandler<GatewayEnv> {
  return async function clientIp(_c, next) {
    await next();
  };
}
