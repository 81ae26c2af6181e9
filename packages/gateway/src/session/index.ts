/**
 * STUB (pass-through) — step 10 (form) of the pipeline: form login, session cookie, idle timeout, logout for zones with auth: form; sets c.var.user.
 * Replaced by the module's real implementation; the factory's name and signature are the contract
 * with app.ts.
 */
import type { MiddlewareHandler } from 'hono';
import type { PipelineContext } from '../pipeline.js';
import type { GatewayEnv } from '../types.js';

export function idleSession(_ctx: PipelineContext): MiddlewareHandler<GatewayEnv> {
  return async function idleSession(_c, next) {
    await next();
  };
}
