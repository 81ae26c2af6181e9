/**
 * Composes the request pipeline of docs/architecture.md §4 — the one place that fixes middleware order.
 * Called once per policy load: every factory compiles its part of the policy here, so the hot
 * path only looks things up. A reload builds a new app with the same long-lived deps.
 */
import { Hono, type MiddlewareHandler } from 'hono';
import { admission } from './admission/index.js';
import { basicAuth } from './basic-auth/index.js';
import { clientIp } from './client-ip/index.js';
import { credentials } from './credentials/index.js';
import type { GatewayDeps, PipelineContext } from './deps.js';
import { GatewayError } from './errors.js';
import { ipAllowList } from './ip-allow-list/index.js';
import { accessLog } from './logs/index.js';
import { logsRoute } from './logs/route.js';
import { maintenance, noticesRoute } from './maintenance/index.js';
import { requestId } from './ops/index.js';
import { errorHandler } from './pages/index.js';
import { chain, directFetch } from './pipeline.js';
import type { Policy } from './policy/schema.js';
import { proxy } from './proxy/index.js';
import { exposeState, rq } from './request-state.js';
import { RESERVED_PREFIX, type ReservedRoutes } from './reserved.js';
import { requireRoles } from './roles/index.js';
import { idleSession, sessionCore, sessionRoutes, sessionUser } from './session/index.js';
import { resolveTenant } from './tenant/index.js';
import { requireTls } from './tls/index.js';
import type { GatewayEnv } from './types.js';

/** Options of {@link createGateway}. */
export interface GatewayOptions {
  /** A validated policy (see `loadPolicy`). */
  policy: Policy;
  /** Long-lived clocks, secrets, sinks and state (`createDeps`; `memoryDeps` of `/testing` for tests). */
  deps: GatewayDeps;
  /**
   * Extra `/.gateway/*` handlers, besides the built-in login, logout, notices and logs pages (a
   * path given here replaces the built-in one).
   */
  reserved?: ReservedRoutes;
}

/**
 * Builds the gateway's complete Hono app for one policy load: the pipeline and the built-in pages
 * (`/.gateway/login`, `/.gateway/logout`, `/.gateway/notices`, `/.gateway/logs`). It reads Node's
 * request and response: serve it with @hono/node-server (in a test, `nodeRequest` of `/testing`);
 * listeners, reload and shutdown are `startGateway`'s.
 * @example
 * const app = createGateway({ policy, deps: memoryDeps() });
 * const res = await nodeRequest(app, 'https://school-a.localhost/api/v1/results', {}, '203.0.113.7');
 */
export function createGateway(options: GatewayOptions): Hono<GatewayEnv> {
  const ctx: PipelineContext = { policy: options.policy, deps: options.deps };
  // What this load's password checks and sessions share: one compile, one credential cache, one
  // session state, handed to Basic auth, the session step, the login routes and the logs route.
  const creds = credentials(ctx);
  const sessions = sessionCore(ctx, creds);
  const reserved: ReservedRoutes = {
    '/.gateway/notices': noticesRoute(ctx),
    ...sessionRoutes(ctx, sessions),
    '/.gateway/logs': logsRoute(ctx, { sessionUser: sessionUser(ctx, sessions), credentials: creds }),
    ...options.reserved,
  };
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
    exposeState(c); // a reserved handler reads `c.var.state`
    return handler(c, next) as ReturnType<MiddlewareHandler<GatewayEnv>>;
  };
  const steps: MiddlewareHandler<GatewayEnv>[] = [
    requestId(ctx), //                 1  X-Request-Id
    accessLog(ctx), //                14  wraps the rest: one line per request, denied ones too
    clientIp(ctx), //                  2  socket peer / trusted X-Forwarded-For
    requireTls(ctx), //                3  TLS only, HSTS, security headers
    resolveTenant(ctx), //           4-6  tenant by Host, normalised path, zone
    maintenance(ctx), //               7  maintenance windows
    ipAllowList(ctx), //               8  tenant and zone allow-lists, authBypass
    reservedRoutes, //                    /.gateway/* pages (no zone)
    basicAuth(ctx, creds), //       9-10  lockout, Basic auth (zones with auth: basic)
    idleSession(ctx, sessions), //    10  form login session (zones with auth: form)
    requireRoles(ctx), //             11  roles
    admission(ctx), //                12  concurrency limit and queue
    proxy(ctx), //                    13  stream to the upstream
  ];
  const pipeline = chain(steps, onError);
  app.all('*', pipeline);
  // The only route, called without Hono's router (see directFetch).
  app.fetch = directFetch(pipeline, onError);
  return app;
}
