/**
 * `GET /.gateway/logs?from&to&kind=access|audit`: a tenant's own logs, for its users with the
 * `admin` role. The path is reserved (no zone), so the route authenticates itself: an identity
 * already on the request (`rq(c).user`), else the session hook the lead wires (form-login
 * cookie), else `Authorization: Basic` of a tenant user checked with scrypt under the tenant's
 * lockout. Only the host's tenant's directory is ever read.
 */
import type { Context, Handler } from 'hono';
import {
  basicChallenge,
  type Credentials,
  credentials,
  lockedOut,
  parseBasicAuthorization,
} from '../credentials/index.js';
import type { PipelineContext } from '../deps.js';
import { GatewayError } from '../errors.js';
import { rq } from '../request-state.js';
import { requireNetwork, zoneNetworks } from '../reserved.js';
import type { GatewayEnv, GatewayUser } from '../types.js';
import { csvHeader, csvRow, exportLines, parseRange } from './export.js';
import type { LogKind } from './files.js';

type Ctx = Context<GatewayEnv>;

/** Hooks of {@link logsRoute}. */
export interface LogsRouteOptions {
  /**
   * Reads the form-login session of the request (`createGateway` wires it to the session module), so a
   * logged-in admin can open the route in a browser. Returns undefined without a valid session.
   */
  sessionUser?: (c: Ctx) => GatewayUser | undefined | Promise<GatewayUser | undefined>;
  /** The credential checks of this policy load (`createGateway` shares its one). @default a new one */
  credentials?: Credentials;
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
  const creds = options.credentials ?? credentials(ctx);
  // The logs are an admin screen: open only to the networks of the zones of that role.
  const networks = new Map(
    Object.entries(policy.tenants).map(([id, t]) => [
      id,
      zoneNetworks(t.zones.filter((z) => z.roles?.includes(role))),
    ]),
  );

  async function basicUser(c: Ctx, tenantId: string): Promise<GatewayUser> {
    const challenge = basicChallenge(
      `${policy.tenants[tenantId]?.name ?? tenantId} logs`,
      `${tenantId} logs`,
    );
    const unauthorized = () =>
      new GatewayError('unauthorized', { headers: { 'WWW-Authenticate': challenge } });
    const ip = rq(c).clientIp ?? '';
    const parsed = parseBasicAuthorization(c.req.header('authorization'));
    const attempt = { tenantId, ip, via: 'logs' as const, reqId: rq(c).requestId, zone: '/.gateway/logs' };
    if (parsed.kind === 'absent') throw unauthorized();
    if (parsed.kind === 'malformed') {
      creds.auditFailure(attempt, 'malformed');
      throw unauthorized();
    }
    // Only users of the role log in here: a right password of another user must not be told
    // apart from a wrong one (a 403 would confirm it to a client the user's zones refuse).
    const outcome = await creds.authenticate({
      ...attempt,
      user: parsed.user,
      password: parsed.password,
      role,
    });
    if (outcome.ok) return outcome.user.identity;
    if (outcome.code === 'locked_out') throw lockedOut(outcome.until, deps.now());
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
