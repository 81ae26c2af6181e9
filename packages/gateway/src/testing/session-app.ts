/**
 * Test fixture of the session module: a two-tenant policy and a small app that sets the request
 * variables the earlier pipeline steps would (tenant by Host, zone by path prefix), then mounts
 * the login routes and `idleSession` exactly as app.ts does. Keeps these tests independent of
 * the other modules. Not exported from the package.
 */
import { Hono } from 'hono';
import { hashPassword } from '../credentials/password.js';
import type { GatewayDeps } from '../deps.js';
import { GatewayError } from '../errors.js';
import { parsePolicy } from '../policy/load.js';
import type { Policy } from '../policy/schema.js';
import { rq } from '../request-state.js';
import { idleSession, sessionCore, sessionRoutes } from '../session/index.js';
import type { GatewayEnv } from '../types.js';
import { nodeRequest } from './node-request.js';

export const PASSWORD = 'correct horse battery staple';
const FAST = { N: 1024, r: 8, p: 1 };

// biome-ignore lint/suspicious/noExplicitAny: tests edit the raw policy freely before it is validated
type RawPolicy = Record<string, any>;

/** A policy with tenants `school-a` (admin zone idle 1 h, reports zone idle 10 min) and `school-b`. */
export async function testPolicy(edit: (raw: RawPolicy) => void = () => {}): Promise<Policy> {
  const hash = await hashPassword(PASSWORD, FAST);
  const tenant = (host: string, name: string) => ({
    name,
    hosts: [host],
    lockout: { maxFailures: 3, window: '15m', duration: '15m' },
    users: {
      admin: { passwordHash: hash, roles: ['admin'] },
      viewer: { passwordHash: hash, roles: ['viewer'] },
    },
    zones: [
      { name: 'admin', path: '/admin', auth: 'form', roles: ['admin'] },
      { name: 'reports', path: '/reports', auth: 'form', idleTimeout: '10m' },
      { name: 'office', path: '/office', auth: 'form', authBypass: ['10.0.0.0/8'] },
      { name: 'recipient', path: '/', auth: 'none' },
    ],
  });
  const raw: RawPolicy = {
    version: 1,
    server: { https: { certFile: 'c.pem', keyFile: 'k.pem' }, upstream: { url: 'http://127.0.0.1:1' } },
    sessions: { idleTimeout: '1h', maxAge: '12h' },
    tenants: {
      'school-a': tenant('school-a.localhost', '市立A高校'),
      'school-b': tenant('school-b.localhost', 'B社'),
    },
  };
  edit(raw);
  return parsePolicy(raw);
}

/** A clock the test moves by hand. */
export function testClock(start = Date.parse('2026-11-28T00:00:00Z')) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms), set: (ms: number) => (t = ms) };
}

/** The app under test: tenant/zone variables, reserved routes, idleSession, an echo upstream. */
export function testApp(policy: Policy, deps: GatewayDeps, ip = '192.0.2.10'): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  const ctx = { policy, deps };
  // One session state for the routes and the step, as createGateway shares it.
  const core = sessionCore(ctx);
  const reserved = sessionRoutes(ctx, core);
  app.onError((err, c) => {
    if (!(err instanceof GatewayError)) throw err;
    return c.json({ error: { code: err.code } }, err.status as 401, err.headers);
  });
  app.use(async function variables(c, next) {
    const url = new URL(c.req.url);
    const host = (c.req.header('host') ?? url.host).split(':')[0]!.toLowerCase();
    const entry = Object.entries(policy.tenants).find(([, t]) => t.hosts.includes(host));
    if (!entry) throw new GatewayError('unknown_host');
    rq(c).requestId = 'req-1';
    rq(c).clientIp = c.req.header('x-test-ip') ?? ip;
    rq(c).tenantId = entry[0];
    rq(c).tenant = entry[1];
    rq(c).path = url.pathname;
    rq(c).search = url.search;
    const zones = [...entry[1].zones].sort((a, b) => b.path.length - a.path.length);
    const zone = zones.find(
      (z) => url.pathname === z.path || url.pathname.startsWith(z.path === '/' ? '/' : `${z.path}/`),
    );
    if (zone) rq(c).zone = zone;
    if (zone?.authBypass && rq(c).clientIp.startsWith('10.'))
      rq(c).user = { name: '10.x', roles: [], via: 'bypass' };
    const handler = reserved[url.pathname];
    if (url.pathname.startsWith('/.gateway/')) {
      if (!handler) throw new GatewayError('no_route');
      return handler(c, next);
    }
    return next();
  });
  app.use(idleSession(ctx, core));
  app.all('*', (c) => c.json({ user: rq(c).user ?? null }));
  return app;
}

/** A browser's view of one tenant host: its cookies, and requests made with them. */
export function browser(app: Hono<GatewayEnv>, host = 'school-a.localhost') {
  const jar = new Map<string, string>();
  const origin = `https://${host}`;
  const keep = (res: Response) => {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const [name, value] = [pair!.slice(0, eq), pair!.slice(eq + 1)];
      if (value === '' || /max-age=0/i.test(line)) jar.delete(name);
      else jar.set(name, value);
    }
    return res;
  };
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  return {
    jar,
    async get(path: string, headers: Record<string, string> = {}) {
      const h = { accept: 'text/html', cookie: cookie(), ...headers };
      return keep(await nodeRequest(app, `${origin}${path}`, { headers: h }));
    },
    async post(path: string, form: Record<string, string>, headers: Record<string, string> = {}) {
      const h = { origin, cookie: cookie(), 'content-type': 'application/x-www-form-urlencoded', ...headers };
      return keep(
        await nodeRequest(app, `${origin}${path}`, {
          method: 'POST',
          headers: h,
          body: new URLSearchParams(form),
        }),
      );
    },
    /** The CSRF token of the login (or logout) form, as a browser would read it from the page. */
    async formToken(path = '/.gateway/login') {
      const html = await (await this.get(path)).text();
      return /name="csrf" value="([^"]+)"/.exec(html)![1]!;
    },
    async login(user = 'admin', password = PASSWORD, next?: string) {
      const csrf = await this.formToken();
      return this.post('/.gateway/login', { csrf, username: user, password, ...(next ? { next } : {}) });
    },
    async logout() {
      const csrf = await this.formToken('/.gateway/logout');
      return this.post('/.gateway/logout', { csrf });
    },
  };
}
