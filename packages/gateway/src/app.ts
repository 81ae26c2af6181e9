/**
 * Composes the request pipeline of docs/architecture.md §4 — the one place that fixes middleware order.
 * Called once per policy load: every factory compiles its part of the policy here, so the hot
 * path only looks things up. A reload builds a new app with the same long-lived deps.
 */
import { Hono, type MiddlewareHandler } from 'hono';
import { admission } from './admission/index.js';
import { basicAuth } from './basic-auth/index.js';
import { clientIp } from './client-ip/index.js';
import type { GatewayDeps } from './deps.js';
import { GatewayError } from './errors.js';
import { ipAllowList } from './ip-allow-list/index.js';
import { accessLog } from './logs/index.js';
import { maintenance } from './maintenance/index.js';
import { requestId } from './ops/index.js';
import { errorHandler } from './pages/index.js';
import { chain, type PipelineContext } from './pipeline.js';
import type { Policy } from './policy/schema.js';
import { proxy } from './proxy/index.js';
import { RESERVED_PREFIX, type ReservedRoutes } from './reserved.js';
import { requireRoles } from './roles/index.js';
import { idleSession } from './session/index.js';
import { resolveTenant } from './tenant/index.js';
import { requireTls } from './tls/index.js';
import type { GatewayEnv } from './types.js';
import { rq } from './request-state.js';

/** Options of {@link createGateway}. */
export interface GatewayOptions {
  /** A validated policy (see `loadPolicy`). */
  policy: Policy;
  /** Long-lived clocks, secrets, sinks and stores (see `memoryDeps` of `/testing` for tests). */
  deps: GatewayDeps;
  /** Handlers of `/.gateway/*` paths contributed by modules (login, logout, notices, logs). */
  reserved?: ReservedRoutes;
}

/**
 * Builds the gateway's Hono app for one policy load. It reads Node's request and response: serve it
 * with @hono/node-server (in a test, `nodeRequest` of `/testing`).
 * @example
 * const app = createGateway({ policy, deps: memoryDeps() });
 * const res = await nodeRequest(app, 'https://school-a.localhost/api/v1/results', {}, '203.0.113.7');
 */
export function createGateway(options: GatewayOptions): Hono<GatewayEnv> {
  const ctx: PipelineContext = { policy: options.policy, deps: options.deps };
  const reserved = options.reserved ?? {};
  const app = new Hono<GatewayEnv>();

  const onError = errorHandler(ctx);
  app.onError(onError);
  // One Hono handler that runs the steps in order (see chain): same order and semantics as one
  // app.use per step, without Hono's router and async compose layer per step on every request.
  const reservedRoutes: MiddlewareHandler<GatewayEnv> = function reservedRoutes(c, next) {
    const path = rq(c).path;
    if (!path?.startsWith(RESERVED_PREFIX)) return next();
    const handler = reserved[path];
    if (!handler) throw new GatewayError('no_route');
    return handler(c, next) as ReturnType<MiddlewareHandler<GatewayEnv>>;
  };
  const steps: MiddlewareHandler<GatewayEnv>[] = [
    requestId(ctx), //          1  X-Request-Id
    accessLog(ctx), //         14  wraps the rest: one line per request, denied ones too
    clientIp(ctx), //           2  socket peer / trusted X-Forwarded-For
    requireTls(ctx), //         3  TLS only, HSTS, security headers
    resolveTenant(ctx), //    4-6  tenant by Host, normalised path, zone
    maintenance(ctx), //        7  maintenance windows
    ipAllowList(ctx), //        8  tenant and zone allow-lists, authBypass
    reservedRoutes, //             /.gateway/* pages (no zone)
    basicAuth(ctx), //       9-10  lockout, Basic auth (zones with auth: basic)
    idleSession(ctx), //       10  form login session (zones with auth: form)
    requireRoles(ctx), //      11  roles
    admission(ctx), //         12  concurrency limit and queue
    proxy(ctx), //             13  stream to the upstream
  ];
  app.all('*', chain(steps, onError));
  return app;
}
