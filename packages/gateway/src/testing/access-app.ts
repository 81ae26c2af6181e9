/**
 * Test support for the access-control unit tests (client-ip, ip-allow-list, basic-auth, roles):
 * steps 2 and 8-11 of the pipeline around a minimal host → tenant → zone resolver, ending in a
 * handler that echoes what the pipeline established. Independent of the proxy, so a unit test
 * sees `c.var` directly; the real pipeline is covered end to end in test/access-control.test.ts.
 */
import { Hono } from 'hono';
import { basicAuth } from '../basic-auth/index.js';
import { clientIp } from '../client-ip/index.js';
import { memoryDeps } from '../create-deps.js';
import { hashPassword } from '../credentials/password.js';
import type { GatewayDeps } from '../deps.js';
import { ERROR_CODES, isGatewayError } from '../errors.js';
import { ipAllowList } from '../ip-allow-list/index.js';
import { parsePolicy } from '../policy/load.js';
import type { Policy } from '../policy/schema.js';
import { rq } from '../request-state.js';
import { RESERVED_PREFIX } from '../reserved.js';
import { requireRoles } from '../roles/index.js';
import type { GatewayEnv, GatewayUser } from '../types.js';
import type { Peer } from './node-request.js';

/** What {@link accessApp} answers: the established variables, or the denial's code. */
export interface AccessReply {
  clientIp?: string;
  user?: GatewayUser | null;
  zone?: string | null;
  error?: { code: string; message?: string };
}

/** Cheap scrypt for tests where timing does not matter. */
export const CHEAP_SCRYPT = { N: 1024, r: 8, p: 1 } as const;

/** A request's origin: a socket whose peer is `remoteAddress` (see {@link nodeRequest}). */
export function from(remoteAddress: string): Peer {
  return { remoteAddress };
}

/** An `Authorization: Basic` value for UTF-8 credentials. */
export function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
}

/** A validated policy from a partial input (server block filled in). */
export function testPolicy(input: { trustedProxies?: string[]; tenants: Record<string, unknown> }): Policy {
  return parsePolicy({
    version: 1,
    server: {
      https: { port: 0, certFile: 'cert.pem', keyFile: 'key.pem' },
      trustedProxies: input.trustedProxies ?? [],
      upstream: { url: 'http://127.0.0.1:9' },
    },
    tenants: input.tenants,
  });
}

/** `{ name: { passwordHash, roles } }` for each `[name, password, roles]`, hashed cheaply. */
export async function testUsers(
  users: [name: string, password: string, roles: string[], disabled?: boolean][],
  params: { N: number; r: number; p: number } = CHEAP_SCRYPT,
): Promise<Record<string, { passwordHash: string; roles: string[]; disabled: boolean }>> {
  const entries = await Promise.all(
    users.map(async ([name, password, roles, disabled = false]) => [
      name,
      { passwordHash: await hashPassword(password, params), roles, disabled },
    ]),
  );
  return Object.fromEntries(entries);
}

/**
 * The access-control steps of one policy load. Reply: `{ clientIp, user, zone }`; denials as
 * `{ error: { code } }` with the error's status and headers.
 */
export function accessApp(policy: Policy, deps: GatewayDeps = memoryDeps()): Hono<GatewayEnv> {
  const ctx = { policy, deps };
  const app = new Hono<GatewayEnv>();
  app.onError((err, c) => {
    if (isGatewayError(err)) {
      // A detail message only when the module gave one (as the real error page does).
      const detail = err.message !== ERROR_CODES[err.code].en ? { message: err.message } : {};
      return c.json({ error: { code: err.code, ...detail } }, err.status as 400, err.headers);
    }
    return c.json({ error: { code: 'internal_error', message: String(err) } }, 500);
  });
  app.use(clientIp(ctx));
  app.use(async function fakeTenant(c, next) {
    const host = new URL(c.req.url).hostname;
    const entry = Object.entries(policy.tenants).find(([, t]) => t.hosts.includes(host));
    if (!entry) return c.json({ error: { code: 'unknown_host' } }, 404);
    const [id, tenant] = entry;
    const path = new URL(c.req.url).pathname;
    rq(c).tenantId = id;
    rq(c).tenant = tenant;
    rq(c).path = path;
    if (path.startsWith(RESERVED_PREFIX)) return next();
    const zone = tenant.zones
      .filter((z) => z.path === '/' || path === z.path || path.startsWith(`${z.path}/`))
      .sort((a, b) => b.path.length - a.path.length)[0];
    if (!zone) return c.json({ error: { code: 'no_route' } }, 404);
    rq(c).zone = zone;
    return next();
  });
  app.use(ipAllowList(ctx));
  app.use(basicAuth(ctx));
  app.use(requireRoles(ctx));
  app.all('*', (c) =>
    c.json({ clientIp: rq(c).clientIp, user: rq(c).user ?? null, zone: rq(c).zone?.name ?? null }),
  );
  return app;
}
