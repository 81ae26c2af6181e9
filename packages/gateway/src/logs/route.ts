/**
 * `GET /.gateway/logs?from&to&kind=access|audit`: a tenant's own logs, for its users with the
 * `admin` role. The path is reserved (no zone), so the route authenticates itself: an identity
 * already on the request (`rq(c).user`), else the session hook the lead wires (form-login
 * cookie), else `Authorization: Basic` of a tenant user checked with scrypt under the tenant's
 * lockout. Only the host's tenant's directory is ever read.
 */
import type { Context, Handler } from 'hono';
import { basicChallenge, parseBasicAuthorization } from '../basic-auth/header.js';
import { lockoutStore } from '../basic-auth/lockout.js';
import { KeyedQueue } from '../basic-auth/queue.js';
import { type CompiledTenant, compileTenant } from '../basic-auth/verifier.js';
import { verifyPassword } from '../basic-auth/password.js';
import { GatewayError } from '../errors.js';
import type { PipelineContext } from '../pipeline.js';
import { requireNetwork, zoneNetworks } from '../reserved.js';
import type { GatewayEnv, GatewayUser } from '../types.js';
import { csvHeader, csvRow, exportLines, parseRange } from './export.js';
import type { LogKind } from './files.js';
import { rq } from '../request-state.js';

type Ctx = Context<GatewayEnv>;

/** Hooks of {@link logsRoute}. */
export interface LogsRouteOptions {
  /**
   * Reads the form-login session of the request (wired by the lead to the session module), so a
   * logged-in admin can open the route in a browser. Returns undefined without a valid session.
   */
  sessionUser?: (c: Ctx) => GatewayUser | undefined | Promise<GatewayUser | undefined>;
  /** The role that may read the logs. @default 'admin' */
  role?: string;
}

/**
 * The handler of `/.gateway/logs` (mount it with `reserved: { '/.gateway/logs': logsRoute(ctx) }`).
 * @throws GatewayError `unauthorized` (with a Basic challenge), `locked_out`, `forbidden` (no
 *   admin role), `bad_request` (bad from/to/kind/format), `method_not_allowed`
 * @example curl -u admin:… 'https://school-a.localhost/.gateway/logs?from=2026-11-01&to=2026-11-28&kind=audit'
 */
export function logsRoute(ctx: PipelineContext, options: LogsRouteOptions = {}): Handler<GatewayEnv> {
  const { policy, deps } = ctx;
  const role = options.role ?? 'admin';
  const lockouts = lockoutStore(deps);
  // Guesses are verified one at a time per (tenant, user) and (tenant, address), each after a
  // fresh lockout check, as Basic auth does: parallel guesses cannot outrun maxFailures.
  const queue = new KeyedQueue();
  // The logs are an admin screen: open only to the networks of the zones of that role.
  const networks = new Map(
    Object.entries(policy.tenants).map(([id, t]) => [
      id,
      zoneNetworks(t.zones.filter((z) => z.roles?.includes(role))),
    ]),
  );
  const compiled = new Map<string, CompiledTenant>();
  const tenantOf = (id: string): CompiledTenant | undefined => {
    let t = compiled.get(id);
    const tenant = policy.tenants[id];
    if (!t && tenant) {
      t = compileTenant(id, tenant);
      compiled.set(id, t);
    }
    return t;
  };

  async function basicUser(c: Ctx, tenantId: string): Promise<GatewayUser> {
    const tenant = tenantOf(tenantId);
    if (!tenant) throw new GatewayError('no_route');
    const challenge = basicChallenge(
      `${policy.tenants[tenantId]?.name ?? tenantId} logs`,
      `${tenantId} logs`,
    );
    const unauthorized = () =>
      new GatewayError('unauthorized', { headers: { 'WWW-Authenticate': challenge } });
    const ip = rq(c).clientIp ?? '';
    const parsed = parseBasicAuthorization(c.req.header('authorization'));
    const name = parsed.kind === 'credentials' ? parsed.user : undefined;
    const state = lockouts.check(tenantId, name, ip, deps.now());
    if (state.locked)
      throw new GatewayError('locked_out', { headers: { 'Retry-After': String(state.retryAfterSeconds) } });
    if (parsed.kind !== 'credentials') throw unauthorized();
    // Only users of the role log in here: a right password of another user must not be told
    // apart from a wrong one (a 403 would confirm it to a client the user's zones refuse).
    const found = tenant.users.get(parsed.user);
    const user = found?.identity.roles.includes(role) ? found : undefined;
    const keys = [`user\0${tenantId}\0${parsed.user}`, `ip\0${tenantId}\0${ip}`];
    const outcome = await queue.run(keys, async () => {
      const again = lockouts.check(tenantId, parsed.user, ip, deps.now());
      if (again.locked) return again;
      // Unknown and disabled users are checked against the dummy hash: same time, no enumeration.
      const ok = await verifyPassword(parsed.password, user?.hash ?? (await tenant.dummy));
      if (ok && user?.hash !== undefined) {
        lockouts.succeed(tenantId, parsed.user);
        return user.identity;
      }
      // Counted inside the queue, so the next queued guess already sees this failure.
      const started = lockouts.fail(tenantId, user ? parsed.user : undefined, ip, tenant.lockout, deps.now());
      const event = {
        type: 'auth_failure' as const,
        tenant: tenantId,
        user: found ? parsed.user : undefined,
        ip,
        reqId: rq(c).requestId,
        zone: '/.gateway/logs',
        reason: !found
          ? 'unknown_user'
          : !user
            ? 'missing_role'
            : found.disabled
              ? 'disabled'
              : 'bad_password',
      };
      deps.audit.write(event);
      if (started) deps.audit.write({ ...event, type: 'lockout', reason: 'max_failures' });
      return undefined;
    });
    if (outcome && 'locked' in outcome)
      throw new GatewayError('locked_out', { headers: { 'Retry-After': String(outcome.retryAfterSeconds) } });
    if (outcome) return outcome;
    throw unauthorized();
  }

  return async function logsRoute(c) {
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') throw new GatewayError('method_not_allowed');
    const tenantId = rq(c).tenantId;
    if (!tenantId || !policy.tenants[tenantId]) throw new GatewayError('no_route');
    requireNetwork(networks.get(tenantId), rq(c).clientIp);
    const user = rq(c).user ?? (await options.sessionUser?.(c)) ?? (await basicUser(c, tenantId));
    rq(c).user = user;
    if (!user.roles.includes(role)) throw new GatewayError('forbidden');

    const kind = (c.req.query('kind') ?? 'access') as LogKind;
    if (kind !== 'access' && kind !== 'audit')
      throw new GatewayError('bad_request', { message: 'kind: access or audit' });
    const format = c.req.query('format') ?? 'jsonl';
    if (format !== 'jsonl' && format !== 'csv')
      throw new GatewayError('bad_request', { message: 'format: jsonl or csv' });
    const range = parseRange(c.req.query('from'), c.req.query('to'), deps.now());
    if (typeof range === 'string') throw new GatewayError('bad_request', { message: range });

    const lines = exportLines(policy.logs.dir, tenantId, kind, range);
    const encoder = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        if (format === 'csv') controller.enqueue(encoder.encode(csvHeader(kind)));
      },
      async pull(controller) {
        const next = await lines.next();
        if (next.done) return controller.close();
        controller.enqueue(encoder.encode(format === 'csv' ? csvRow(kind, next.value) : `${next.value}\n`));
      },
      async cancel() {
        await lines.return(undefined);
      },
    });
    return c.body(body, 200, {
      'Content-Type': format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
      'Cache-Control': 'no-store',
    });
  };
}
