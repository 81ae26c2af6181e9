/**
 * STUB (pass-through) — step 4-6 of the pipeline: tenant by Host, path normalisation, zone by longest prefix; sets c.var.tenant/tenantId/path/search/zone.
 * Replaced by the module's real implementation; the factory's name and signature are the contract
 * with app.ts.
 */
import type { MiddlewareHandler } from 'hono';
import type { PipelineContext } from '../pipeline.js';
import type { GatewayEnv } from '../types.js';

export function resolveTenant(_ctx: PipelineContext): MiddlewareHandler<GatewayEnv> {
  return async function resolveTenant(_c, next) {
    await next();
  };
}
