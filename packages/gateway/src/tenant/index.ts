/**
 * Steps 4-6 of the pipeline: tenant by `Host`, path normalisation, zone (docs/architecture.md §4).
 * The host map and every tenant's zone matcher are compiled once per policy load; a request does a
 * Map lookup, a normalisation (a regex test for an already-clean path) and a short prefix scan.
 */
import type { Context, MiddlewareHandler } from 'hono';
import type { PipelineContext } from '../deps.js';
import { GatewayError } from '../errors.js';
import { hostName } from '../http/host.js';
import type { Tenant } from '../policy/schema.js';
import { rq } from '../request-state.js';
import { RESERVED_PREFIX } from '../reserved.js';
import type { GatewayEnv } from '../types.js';
import { normalizePath, PathError } from './normalize.js';
import { compileZones, type ZoneMatcher } from './zones.js';

interface HostEntry {
  id: string;
  tenant: Tenant;
  match: ZoneMatcher;
}

function rawTarget(c: Context<GatewayEnv>): string {
  return c.env.incoming.url ?? '';
}

/**
 * Sets `rq(c).tenantId`, `tenant`, `path` (normalised), `search` (original query) and `zone`.
 * @throws {GatewayError} `unknown_host` (404), `tenant_suspended` (403), `bad_request` (400),
 *   `no_route` (404)
 * @example app.use(resolveTenant({ policy, deps }))
 */
export function resolveTenant(ctx: PipelineContext): MiddlewareHandler<GatewayEnv> {
  const hosts = new Map<string, HostEntry>();
  for (const [id, tenant] of Object.entries(ctx.policy.tenants)) {
    const entry: HostEntry = { id, tenant, match: compileZones(tenant.zones) };
    // Policy hosts are canonical (policy/schema.ts canonicalHost), the form hostName() gives.
    for (const h of tenant.hosts) hosts.set(h, entry);
  }
  // Not async: nothing runs after next(), so no extra promise per request (a sync throw is still
  // caught by Hono's compose and rendered by onError).
  return function resolveTenant(c, next) {
    const host = hostName(c.env.incoming.headers.host ?? '');
    const entry = hosts.get(host);
    if (!entry) throw new GatewayError('unknown_host');
    const state = rq(c);
    state.host = host;
    state.tenantId = entry.id;
    state.tenant = entry.tenant;
    if (entry.tenant.suspended) throw new GatewayError('tenant_suspended');

    const target = rawTarget(c);
    // An absolute-form target (`GET http://other/ HTTP/1.1`) would name a second host: refuse it.
    if (target.charCodeAt(0) !== 0x2f)
      throw new GatewayError('bad_request', { message: 'Invalid request target.' });
    const q = target.indexOf('?');
    let path: string;
    try {
      path = normalizePath(q < 0 ? target : target.slice(0, q));
    } catch (err) {
      if (err instanceof PathError)
        throw new GatewayError('bad_request', { message: `Invalid path: ${err.message}.` });
      throw err;
    }
    state.path = path;
    state.search = q < 0 ? '' : target.slice(q);
    if (path.startsWith(RESERVED_PREFIX)) return next();
    const zone = entry.match(path);
    if (!zone) throw new GatewayError('no_route');
    state.zone = zone;
    return next();
  };
}
