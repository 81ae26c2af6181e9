/**
 * `/.gateway/login` (GET: the form; POST: the credentials) and `/.gateway/logout` (GET: a
 * confirmation form; POST: end the session). Both POSTs pass the CSRF guard (form token bound to
 * a cookie, and `Origin`); the login applies the tenant's lockout like Basic auth does, and
 * writes `login`, `auth_failure`, `lockout` and `logout` audit events.
 */
import { randomBytes } from 'node:crypto';
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { retryAfterSeconds } from '../credentials/index.js';
import { currentHash } from '../credentials/upgrade.js';
import type { PipelineContext } from '../deps.js';
import { type ErrorCode, GatewayError } from '../errors.js';
import { clearedSessionCookie, readCookie, SESSION_COOKIE, sessionCookie } from '../http/cookies.js';
import type { CidrSet } from '../net/cidr.js';
import { type Lang, pickLang } from '../pages/layout.js';
import { type LoginMessage, renderLoginPage, renderLogoutPage } from '../pages/login.js';
import type { Tenant } from '../policy/schema.js';
import { rq } from '../request-state.js';
import { type ReservedRoutes, requireNetwork, zoneNetworks } from '../reserved.js';
import type { GatewayEnv } from '../types.js';
import { credFingerprint, type SessionCore, sessionCore } from './core.js';
import { safeNext } from './next.js';

type Ctx = Context<GatewayEnv>;
type Form = Record<string, unknown>;

/** Login and logout forms are tiny; anything bigger is refused before parsing. */
const MAX_FORM_BYTES = 16 * 1024;
const MAX_USERNAME = 128;

/** Records the denial for the access log's `decision` without turning the page into an error page. */
function markDenied(c: Ctx, code: ErrorCode): void {
  c.error = new GatewayError(code);
}

function langOf(c: Ctx, chosen: unknown): Lang {
  return chosen === 'ja' || chosen === 'en' ? chosen : pickLang(c.req.header('accept-language'));
}

async function readForm(c: Ctx): Promise<Form> {
  let form: Form = {};
  const limit = bodyLimit({
    maxSize: MAX_FORM_BYTES,
    onError: () => {
      throw new GatewayError('payload_too_large');
    },
  });
  await limit(c, async () => {
    form = await c.req.parseBody().catch(() => ({}));
  });
  return form;
}

function text(value: unknown, max = 4096): string {
  return typeof value === 'string' ? value.slice(0, max) : '';
}

/** A page of the gateway: never cached, with the CSRF cookie when one was just made. */
function page(c: Ctx, status: 200 | 401 | 403 | 429, html: string, headers: Record<string, string> = {}) {
  c.header('Cache-Control', 'no-store');
  for (const [k, v] of Object.entries(headers)) c.header(k, v, { append: k === 'Set-Cookie' });
  return c.html(html, status);
}

/**
 * The login and logout handlers (`createGateway` mounts them on every tenant host).
 * @param core the load's session state, shared with the session step (`createGateway` passes its one)
 * @example const reserved = { ...sessionRoutes(ctx, core), '/.gateway/notices': noticesRoute(ctx) }
 */
export function sessionRoutes(ctx: PipelineContext, core: SessionCore = sessionCore(ctx)): ReservedRoutes {
  const { maxAge } = ctx.policy.sessions;
  // Where a login without `next` lands: the tenant's first form zone.
  const landing = new Map<string, string>();
  // Who may log in at all: the networks of the form zones (the login page serves only those).
  const networks = new Map<string, CidrSet | undefined>();
  for (const [id, tenant] of Object.entries(ctx.policy.tenants)) {
    const zone = tenant.zones.find((z) => z.auth === 'form');
    if (zone) landing.set(id, zone.path);
    networks.set(id, zoneNetworks(tenant.zones.filter((z) => z.auth === 'form')));
  }

  function formTenant(c: Ctx): { tenantId: string; tenant: Tenant } {
    const tenantId = rq(c).tenantId;
    const tenant = rq(c).tenant;
    // A tenant without form zones has no login page: the path does not exist there.
    if (!tenantId || !tenant || !landing.has(tenantId)) throw new GatewayError('no_route');
    return { tenantId, tenant };
  }

  function loginPage(
    c: Ctx,
    status: 200 | 401 | 403 | 429,
    o: LoginPageState,
    headers: Record<string, string> = {},
  ) {
    const { tenantId, tenant } = formTenant(c);
    const { token, setCookie } = core.csrf.issue(c);
    const html = renderLoginPage({ ...o, tenantName: tenant.name ?? tenantId, csrf: token });
    return page(c, status, html, setCookie ? { ...headers, 'Set-Cookie': setCookie } : headers);
  }

  async function login(c: Ctx) {
    const { tenantId } = formTenant(c);
    requireNetwork(networks.get(tenantId), rq(c).clientIp);
    const method = c.req.method;
    if (method === 'GET' || method === 'HEAD') {
      const reason = c.req.query('reason');
      const message: LoginMessage | undefined =
        reason === 'expired' ? 'session_expired' : reason === 'logged-out' ? 'logged_out' : undefined;
      const lang = langOf(c, c.req.query('lang'));
      return loginPage(c, 200, { lang, next: safeNext(c.req.query('next')), message });
    }
    if (method !== 'POST')
      throw new GatewayError('method_not_allowed', { headers: { Allow: 'GET, HEAD, POST' } });

    const form = await readForm(c);
    const lang = langOf(c, form.lang);
    const next = safeNext(form.next);
    const username = text(form.username, MAX_USERNAME);
    const state = { lang, next, username };
    if (!core.csrf.check(c, form.csrf)) {
      markDenied(c, 'csrf_failed');
      return loginPage(c, 403, { ...state, message: 'csrf_failed' });
    }
    const now = core.deps.now();
    const ip = rq(c).clientIp ?? '';
    // The one credential check (credentials/): lockout per name and per address, guesses queued,
    // scrypt (a dummy for unknown or disabled users), failures counted and audited.
    const outcome = await core.credentials.authenticate({
      tenantId,
      user: username,
      password: text(form.password),
      ip,
      via: 'form',
      reqId: rq(c).requestId,
    });
    if (!outcome.ok && outcome.code === 'locked_out') {
      markDenied(c, 'locked_out');
      const headers = { 'Retry-After': String(retryAfterSeconds(outcome.until, core.deps.now())) };
      return loginPage(c, 429, { ...state, message: 'locked_out', lockedUntil: outcome.until }, headers);
    }
    if (!outcome.ok) {
      markDenied(c, 'unauthorized');
      return loginPage(c, 401, { ...state, message: 'bad_credentials' });
    }
    const user = outcome.user;
    const base = { tenant: tenantId, reqId: rq(c).requestId, ip, user: user.name, via: 'form' };
    await endSession(c, core, tenantId, now);
    const token = await core.tokens.sign({
      tenant: tenantId,
      user: user.name,
      roles: [...user.identity.roles],
      sid: randomBytes(16).toString('base64url'),
      authAt: now,
      lastActive: now,
      // Bound to the hash the policy holds now: a legacy hash this very sign-in upgraded is scrypt.
      cred: credFingerprint(currentHash(core.deps, tenantId, user.name, user.passwordHash)),
      expiresAt: now + maxAge,
    });
    core.deps.audit.write({ type: 'login', ...base });
    c.header('Cache-Control', 'no-store');
    c.header('Set-Cookie', sessionCookie(token), { append: true });
    return c.redirect(next ?? landing.get(tenantId) ?? '/', 303);
  }

  async function logout(c: Ctx) {
    const { tenantId, tenant } = formTenant(c);
    const method = c.req.method;
    if (method === 'GET' || method === 'HEAD') {
      const { token, setCookie } = core.csrf.issue(c);
      const lang = langOf(c, c.req.query('lang'));
      const html = renderLogoutPage({ lang, tenantName: tenant.name ?? tenantId, csrf: token });
      return page(c, 200, html, setCookie ? { 'Set-Cookie': setCookie } : {});
    }
    if (method !== 'POST')
      throw new GatewayError('method_not_allowed', { headers: { Allow: 'GET, HEAD, POST' } });
    const form = await readForm(c);
    if (!core.csrf.check(c, form.csrf))
      throw new GatewayError('csrf_failed', { headers: { 'Cache-Control': 'no-store' } });
    const claims = await endSession(c, core, tenantId, core.deps.now());
    if (claims) {
      core.deps.audit.write({
        type: 'logout',
        tenant: tenantId,
        reqId: rq(c).requestId,
        ip: rq(c).clientIp,
        user: claims.user,
      });
    }
    c.header('Cache-Control', 'no-store');
    c.header('Set-Cookie', clearedSessionCookie(), { append: true });
    const lang = langOf(c, form.lang);
    return c.redirect(`/.gateway/login?reason=logged-out&lang=${lang}`, 303);
  }

  return { '/.gateway/login': login, '/.gateway/logout': logout };
}

interface LoginPageState {
  lang: Lang;
  next?: string | undefined;
  username?: string;
  message?: LoginMessage | undefined;
  lockedUntil?: number | undefined;
}

/** Revokes the session this browser holds, if it is an authentic one of this tenant. */
async function endSession(c: Ctx, core: SessionCore, tenantId: string, now: number) {
  const old = readCookie(c, SESSION_COOKIE);
  const claims = old ? await core.tokens.verify(old, tenantId, now) : null;
  if (claims) await core.revoked.revoke(claims.sid, claims.expiresAt, now);
  return claims;
}
