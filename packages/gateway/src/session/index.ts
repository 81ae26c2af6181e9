/**
 * Step 10 for zones with `auth: "form"` (docs/architecture.md §4, §5): the session cookie, a sliding idle
 * timeout per zone and an absolute lifetime. A valid session sets `rq(c).user`; a missing,
 * expired, revoked or foreign one sends a browser to the login page (`303`) and an API client a
 * `401 session_expired`. The login and logout pages are {@link sessionRoutes}.
 */
import type { Context, MiddlewareHandler, Next } from 'hono';
import type { PipelineContext } from '../deps.js';
import { GatewayError } from '../errors.js';
import {
  clearedSessionCookie,
  finishHeaders,
  presetHeaders,
  readCookie,
  SESSION_COOKIE,
  sessionCookie,
} from '../http/cookies.js';
import type { Zone } from '../policy/schema.js';
import { rq } from '../request-state.js';
import type { GatewayEnv, GatewayUser } from '../types.js';
import { DEFAULT_BACKGROUND_HEADER, type SessionCore, sessionCore } from './core.js';
import type { SessionClaims } from './token.js';

export { CSRF_COOKIE, SESSION_COOKIE } from '../http/cookies.js';
export { DEFAULT_BACKGROUND_HEADER, type SessionCore, sessionCore } from './core.js';
export { safeNext } from './next.js';
export { sessionRoutes } from './routes.js';

/**
 * The cookie is re-issued once the last recorded activity is older than this share of the idle
 * timeout, so the idle clock is exact to 2 % (72 s of 1 h, 40 ms of 2 s) without a new cookie on
 * every request.
 */
export const RENEW_FRACTION = 0.02;

type Ctx = Context<GatewayEnv>;
type Outcome =
  | { ok: true; claims: SessionClaims; roles: readonly string[] }
  | { ok: false; reason: 'missing' | 'invalid' }
  | { ok: false; reason: 'idle'; user: string; everywhere: boolean }
  | { ok: false; reason: 'max_age' | 'revoked' | 'user_removed' | 'password_changed'; user: string };

/** True for a page load by a browser (which can follow a redirect to the login page). */
function isNavigation(c: Ctx): boolean {
  const method = c.req.method;
  if (method !== 'GET' && method !== 'HEAD') return false;
  if (c.req.header('sec-fetch-mode') === 'navigate') return true;
  return c.req.header('accept')?.includes('text/html') ?? false;
}

/**
 * The session guard of `form` zones. Other zones, and requests already let through by the zone's
 * `authBypass`, pass untouched. Requests carrying the tenant's `backgroundHeader` (default
 * `X-Background-Request`, any value) are checked but do not extend the session, so a page that
 * polls by itself does not keep an unattended screen logged in.
 * @param ctx the policy load (`sessions.idleTimeout`, `sessions.maxAge`, zones' `idleTimeout`) and deps
 * @param core the load's session state, shared with the login routes (`createGateway` passes its one)
 * @throws GatewayError `session_expired` (401) for API clients without a valid session
 * @example app.use(idleSession({ policy, deps }))
 */
export function idleSession(
  ctx: PipelineContext,
  core: SessionCore = sessionCore(ctx),
): MiddlewareHandler<GatewayEnv> {
  const { idleTimeout, maxAge } = ctx.policy.sessions;
  const background = new Map(
    Object.entries(ctx.policy.tenants).map(([id, t]) => [
      id,
      (t.backgroundHeader ?? DEFAULT_BACKGROUND_HEADER).toLowerCase(),
    ]),
  );
  // A session idle past the longest idleTimeout of its tenant's form zones is over everywhere.
  const longestIdle = new Map(
    Object.entries(ctx.policy.tenants).map(([id, t]) => [
      id,
      Math.max(0, ...t.zones.filter((z) => z.auth === 'form').map((z) => z.idleTimeout ?? idleTimeout)),
    ]),
  );

  async function check(c: Ctx, tenantId: string, idle: number, now: number): Promise<Outcome> {
    const cookie = readCookie(c, SESSION_COOKIE);
    if (!cookie) return { ok: false, reason: 'missing' };
    const claims = await core.tokens.verify(cookie, tenantId, now);
    if (!claims) return { ok: false, reason: 'invalid' };
    const user = claims.user;
    if (core.revoked.isRevoked(claims.sid, now)) return { ok: false, reason: 'revoked', user };
    if (now >= claims.expiresAt || now - claims.authAt >= maxAge)
      return { ok: false, reason: 'max_age', user };
    const idleFor = now - claims.lastActive;
    if (idleFor >= idle)
      return { ok: false, reason: 'idle', user, everywhere: idleFor >= (longestIdle.get(tenantId) ?? 0) };
    const active = core.activeUser(tenantId, user);
    if (!active) return { ok: false, reason: 'user_removed', user };
    if (active.cred !== claims.cred) return { ok: false, reason: 'password_changed', user };
    return { ok: true, claims, roles: active.roles };
  }

  function deny(c: Ctx, tenantId: string, outcome: Exclude<Outcome, { ok: true }>) {
    const zone = rq(c).zone?.name;
    const event = { tenant: tenantId, reqId: rq(c).requestId, ip: rq(c).clientIp, zone };
    if (outcome.reason === 'invalid') {
      core.deps.audit.write({ type: 'auth_failure', ...event, via: 'session', reason: 'invalid_session' });
    } else if ('user' in outcome) {
      core.deps.audit.write({
        type: 'session_expired',
        ...event,
        user: outcome.user,
        reason: outcome.reason,
      });
    }
    const headers: Record<string, string> = { 'Cache-Control': 'no-store' };
    // A session idle here may still be live in a zone with a longer idleTimeout: keep its cookie
    // then. Otherwise clear it, so a tab left polling audits the expiry once, not on every poll.
    const live = outcome.reason === 'idle' && !outcome.everywhere;
    if (outcome.reason !== 'missing' && !live) headers['Set-Cookie'] = clearedSessionCookie();
    const error = new GatewayError('session_expired', { headers });
    if (!isNavigation(c)) throw error;
    const query = new URLSearchParams({ next: `${rq(c).path ?? '/'}${rq(c).search ?? ''}` });
    if (outcome.reason !== 'missing' && outcome.reason !== 'invalid') query.set('reason', 'expired');
    c.error = error; // the access log's decision: session_expired, though the answer is a redirect
    return c.body(null, 303, { ...headers, Location: `/.gateway/login?${query}` });
  }

  // Not async itself: a zone without a form login passes on without a promise of its own.
  return function idleSession(c, next) {
    const state = rq(c);
    const zone = state.zone;
    if (zone?.auth !== 'form' || state.user) return next();
    return withSession(c, next, zone);
  };

  async function withSession(c: Ctx, next: Next, zone: Zone): Promise<Response | undefined> {
    const tenantId = rq(c).tenantId ?? '';
    const idle = zone.idleTimeout ?? idleTimeout;
    const now = core.deps.now();
    const outcome = await check(c, tenantId, idle, now);
    if (!outcome.ok) return deny(c, tenantId, outcome);

    const { claims } = outcome;
    rq(c).user = { name: claims.user, roles: outcome.roles, via: 'session' };
    let setCookie: string | undefined;
    const quiet = c.req.header(background.get(tenantId) ?? DEFAULT_BACKGROUND_HEADER) !== undefined;
    if (!quiet && now - claims.lastActive >= idle * RENEW_FRACTION) {
      setCookie = sessionCookie(await core.tokens.sign({ ...claims, lastActive: now }));
    }
    presetHeaders(c, setCookie);
    await next();
    finishHeaders(c, setCookie);
    return undefined;
  }
}

/**
 * Reads the form-login session of a request on a reserved path (no zone, so no sliding renewal):
 * the user when the cookie is valid, not revoked, within `maxAge` and the shortest idle timeout of
 * the tenant (the default and every form zone's: a page outside the zones must not keep alive a
 * session the admin zone has already timed out), and the user is still enabled with the same
 * password; otherwise undefined.
 * @param core the load's session state (`createGateway` passes its one)
 * @example logsRoute(ctx, { sessionUser: sessionUser(ctx, core) })
 */
export function sessionUser(
  ctx: PipelineContext,
  core: SessionCore = sessionCore(ctx),
): (c: Ctx) => Promise<GatewayUser | undefined> {
  const { idleTimeout, maxAge } = ctx.policy.sessions;
  const shortestIdle = new Map(
    Object.entries(ctx.policy.tenants).map(([id, t]) => [
      id,
      Math.min(
        idleTimeout,
        ...t.zones.filter((z) => z.auth === 'form').map((z) => z.idleTimeout ?? idleTimeout),
      ),
    ]),
  );
  return async (c) => {
    const cookie = readCookie(c, SESSION_COOKIE);
    const tenantId = rq(c).tenantId;
    if (!cookie || !tenantId) return undefined;
    const now = core.deps.now();
    const claims = await core.tokens.verify(cookie, tenantId, now);
    if (!claims || core.revoked.isRevoked(claims.sid, now)) return undefined;
    const idle = shortestIdle.get(tenantId) ?? idleTimeout;
    if (now >= claims.expiresAt || now - claims.authAt >= maxAge || now - claims.lastActive >= idle)
      return undefined;
    const active = core.activeUser(tenantId, claims.user);
    if (!active || active.cred !== claims.cred) return undefined;
    return { name: claims.user, roles: active.roles, via: 'session' };
  };
}
