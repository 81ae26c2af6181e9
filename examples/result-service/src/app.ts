/**
 * The result service as a Hono app. Every request must carry a valid `X-Gateway-Signature`: the
 * service trusts nothing that did not come through the gateway, and takes the tenant (the scope of
 * every query) from the verified headers only.
 */
import { randomUUID } from 'node:crypto';
import type { DatabaseSync } from 'node:sqlite';
import { verifyIdentity } from '@resultgate/gateway/identity';
import { type Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { createMiddleware } from 'hono/factory';
import { resultApi } from './api/results.js';
import { createContext } from './context.js';
import { ApiError, errorBody, handleError } from './errors.js';
import { adminPages } from './pages/admin.js';
import { browserError } from './pages/error-page.js';
import { recipientPages } from './pages/recipient.js';
import { type TickReport, tick } from './scheduler.js';
import type { ResultAppOptions, ServiceContext, ServiceEnv } from './types.js';

/** An in-process result service: the Hono app, its database and a manual scheduler tick. */
export interface ResultApp {
  app: Hono<ServiceEnv>;
  db: DatabaseSync;
  context: ServiceContext;
  /** Runs one scheduler pass now (publish, expire, notify, webhooks). */
  tick(): Promise<TickReport>;
  /** Closes the database. */
  close(): void;
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/**
 * The request target exactly as it arrived, which is what the gateway signed. Served by Node that
 * is `incoming.url`: `c.req.url` went through `new URL()`, which may re-encode or resolve it.
 * Under `app.request()` (unit tests) there is only the URL.
 */
function receivedTarget(c: Context<ServiceEnv>): string {
  const raw = c.env?.incoming?.url;
  if (raw !== undefined) return raw;
  const url = new URL(c.req.url);
  return url.pathname + url.search;
}

/**
 * Builds the app (opening the database and running migrations), without listening or scheduling.
 * @param options see {@link ResultAppOptions}; `identitySecret` is required
 * @throws Error when `identitySecret` is missing
 * @example
 * const { app } = createResultApp({ dbFile: ':memory:', identitySecret: secret });
 * const request = { method: 'GET', target: '/api/v1/results' };
 * const res = await app.request(request.target, { headers: identityHeaders(secret, id, request) });
 */
export function createResultApp(options: ResultAppOptions): ResultApp {
  const ctx = createContext(options);
  const app = new Hono<ServiceEnv>();

  app.use(async function gatewayIdentity(c, next) {
    const header = c.req.header('x-request-id');
    c.set('requestId', header && REQUEST_ID.test(header) ? header : randomUUID());
    const request = { method: c.req.method, target: receivedTarget(c) };
    const identity = verifyIdentity(c.req.raw.headers, ctx.identitySecret, { request, now: ctx.now() });
    if (!identity) {
      const res = c.json(
        errorBody('unauthorized', 'Requests must come through the gateway.', c.get('requestId')),
        401,
      );
      return browserError(c, ctx, res);
    }
    c.set('identity', identity);
    c.set('requestId', identity.requestId);
    await next();
  });
  // The API and the admin pages need a user the gateway authenticated: if a policy ever routed them
  // through an `auth: none` zone, they stay closed instead of serving anonymous callers.
  const requireUser = (area: string) =>
    createMiddleware<ServiceEnv>(async function authenticatedUser(c, next) {
      if (c.get('identity').user === '')
        throw new ApiError('forbidden', `The ${area} needs an authenticated user.`);
      await next();
    });
  app.use('/api/*', requireUser('API'));
  app.use('/admin', requireUser('admin page'));
  app.use('/admin/*', requireUser('admin page'));
  app.use('/api/*', bodyLimit({ maxSize: 16 * 1024 * 1024 }));

  // A recipient who types just the host lands on the form.
  app.get('/', (c) => c.redirect('/r', 302));
  app.route('/api/v1', resultApi(ctx));
  app.route('/r', recipientPages(ctx));
  app.route('/admin', adminPages(ctx));
  // JSON for API clients; a browser gets the same status as a page (pages/error-page.ts).
  app.notFound((c) =>
    browserError(c, ctx, c.json(errorBody('not_found', 'Not found.', c.get('requestId') ?? ''), 404)),
  );
  app.onError((err, c) => browserError(c, ctx, handleError(err, c)));

  return { app, db: ctx.db, context: ctx, tick: () => tick(ctx), close: () => ctx.db.close() };
}
