/**
 * STUB (pass-through) — step 3 of the pipeline: TLS-only guard (308 for GET/HEAD on the plain port, else 403 tls_required), HSTS and security headers; sets c.var.secure.
 * Replaced by the module's real implementation; the factory's name and signature are the contract
 * with app.ts.
 */
import type { MiddlewareHandler } from 'hono';
import type { PipelineContext } from '../pipeline.js';
import type { GatewayEnv } from '../types.js';

export function requireTls(_ctx: PipelineContext): MiddlewareHandler<GatewayEnv> {
  return async function requireTls(_c, next) {
    await next();
  };
}
