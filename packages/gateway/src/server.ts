/**
 * Binds the gateway's listeners: HTTPS (the only port that proxies), plain HTTP (redirects GET/HEAD
 * to HTTPS, refuses the rest — requireTls tells the two apart by the socket) and the admin port
 * (health, readiness, metrics). One app per policy load; a reload builds the next app and swaps the
 * reference, so in-flight requests finish on the app they started on and an invalid policy never
 * replaces a valid one.
 */

import { randomUUID, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { getRequestListener, type ServerType } from '@hono/node-server';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { Hono } from 'hono';
import { createGateway } from './app.js';
import { openDeps } from './create-deps.js';
import { upgradeOnSignIn } from './credentials/upgrade.js';
import type { GatewayDeps, PipelineContext } from './deps.js';
import { ERROR_CODES } from './errors.js';
import { setPageHeaders } from './http/headers.js';
import type { Logs } from './logs/open.js';
import { adminApp } from './ops/admin.js';
import { gatewayProbe } from './ops/probe.js';
import { logRefused, onClientError, requestPeer } from './ops/refused.js';
import { closeServer } from './ops/shutdown.js';
import { loadPolicyFile, PolicyError } from './policy/load.js';
import type { Policy } from './policy/schema.js';
import { watchPolicy } from './policy/watch.js';
import type { ReservedRoutes } from './reserved.js';
import type { GatewayEnv } from './types.js';

/** A listener override: port (0 = any free port) and bind address. */
export interface ListenOverride {
  port?: number;
  host?: string;
}

/** The header of @hono/node-server's RESPONSE_ALREADY_SENT marker (not exported by name). */
const X_ALREADY_SENT = 'x-hono-already-sent';

/**
 * Hono answers a HEAD by running the GET route and copying its answer into a new `Response`, so
 * the proxy's "already sent" marker comes back as a plain response that @hono/node-server then
 * tries to write a second time (`ERR_HTTP_HEADERS_SENT`, logged for every proxied HEAD). The
 * marker is passed on as the marker itself.
 */
function headAnswer(res: Response): Response {
  return res.headers.get(X_ALREADY_SENT) === 'true' ? RESPONSE_ALREADY_SENT : res;
}

/** Options of {@link startGateway}. Give `policyFile` (reloadable) or `policy`. */
export interface StartGatewayOptions {
  policyFile?: string;
  policy?: Policy;
  /**
   * Replaces parts of the long-lived deps (clock, sinks, secrets, `security`). Secrets default to
   * the key files; without `security`, the state directory's store is opened (and closed on close).
   */
  deps?: Partial<GatewayDeps>;
  https?: ListenOverride;
  /** `false` disables the plain listener. */
  http?: ListenOverride | false;
  /** `false` disables the admin listener. */
  admin?: ListenOverride | false;
  /** Extra `/.gateway/*` handlers, built per policy load (`createGateway` has notices, login, logout, logs). */
  reserved?: (ctx: PipelineContext) => ReservedRoutes;
  /** Reload on SIGHUP, drain and exit on SIGTERM/SIGINT. @default false */
  handleSignals?: boolean;
  /** Reload when `policyFile` changes on disk. @default false */
  watch?: boolean;
  /** Told the outcome of every reload (file change, SIGHUP or `reload()`); `error` when refused. */
  onReload?: (error?: unknown) => void;
  /** How long SIGTERM/close waits for in-flight requests, in ms. @default 10000 */
  drainTimeout?: number;
  /**
   * Write `policy_reload` / `policy_reload_refused` audit lines. A cluster worker passes false:
   * the primary, which validated the file before telling every worker, writes the one line.
   * @default true
   */
  auditReloads?: boolean;
}

/** A running gateway. */
export interface RunningGateway {
  httpsPort: number;
  httpPort: number | null;
  adminPort: number | null;
  /** The deps in use (the tests read `identitySecret` from here). */
  deps: GatewayDeps;
  /** The log files opened from `policy.logs` (absent when `deps` supplied both sinks). */
  logs: Logs | undefined;
  /** The policy currently serving. */
  policy(): Policy;
  /**
   * Loads the policy file again (or takes `next`) and swaps it in.
   * @throws {PolicyError} when invalid — the old policy keeps serving
   */
  reload(next?: Policy): Promise<void>;
  /** Stops accepting, drains in-flight requests, closes the upstream pools. */
  close(): Promise<void>;
}

/**
 * A request Node parsed but that is not a valid URL (`/a\\b`, a bad Host): answered here, before the
 * app, in the same JSON shape as every other error.
 */
function malformedRequest(): Response {
  const requestId = randomUUID();
  const { status, en } = ERROR_CODES.bad_request;
  const body = JSON.stringify({ error: { code: 'bad_request', message: en, requestId } });
  const res = new Response(body, {
    status,
    headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
  });
  setPageHeaders(res.headers, false);
  res.headers.set('x-request-id', requestId);
  return res;
}

/**
 * True when the request has more than one `Host` line. Node keeps the first, the web `Request` joins
 * them: two readings of one request's tenant. RFC 9112 §3.2: such a request gets a `400`.
 */
function duplicateHost(raw: readonly string[]): boolean {
  let seen = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length !== 4 || name.toLowerCase() !== 'host') continue;
    if (seen) return true;
    seen = true;
  }
  return false;
}

/** Writes a web Response to a Node response (only for the few answers made before the app). */
async function writeResponse(res: Response, out: ServerResponse): Promise<void> {
  out.writeHead(res.status, Object.fromEntries(res.headers));
  out.end(Buffer.from(await res.arrayBuffer()));
}

function listen(server: ServerType, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/**
 * Starts the gateway.
 * @throws {PolicyError} when the policy is invalid; an `Error` when a port or key file is unusable
 * @example
 * const gw = await startGateway({ policyFile: 'policy.json', handleSignals: true });
 * console.log(`https://school-a.localhost:${gw.httpsPort}/`);
 */
export async function startGateway(options: StartGatewayOptions): Promise<RunningGateway> {
  const file = options.policyFile;
  if (!options.policy && !file) throw new Error('startGateway: give policyFile or policy');
  let policy = options.policy ?? (await loadPolicyFile(file!));
  const opened = await openDeps(policy, options.deps);
  const { deps, logs } = opened;
  const metrics = deps.metrics;
  const build = (p: Policy): Hono<GatewayEnv> =>
    createGateway({ policy: p, deps, reserved: options.reserved?.({ policy: p, deps }) });
  let app = build(policy);
  metrics.probe(gatewayProbe(policy, deps));
  // One indirection so a reload swaps the app for every listener at once.
  // (HTTP/1.1 listeners only, so the bindings are always HttpBindings.)
  const fetch = (req: Request, env: unknown) => {
    const res = app.fetch(req, env as GatewayEnv['Bindings']);
    return req.method === 'HEAD' ? Promise.resolve(res).then(headAnswer) : res;
  };

  const tls = async (p: Policy) => {
    const cert = await readFile(p.server.https.certFile);
    try {
      metrics.certificateExpiry(Date.parse(new X509Certificate(cert).validTo));
    } catch {
      // Not parsable here: createSecureContext below says why.
    }
    return { cert, key: await readFile(p.server.https.keyFile) };
  };
  const appListener = getRequestListener(fetch, { errorHandler: malformedRequest });
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    if (duplicateHost(req.rawHeaders)) {
      const refused = malformedRequest();
      logRefused(deps.accessLog, {
        requestId: refused.headers.get('x-request-id')!,
        ip: requestPeer(req),
        method: req.method ?? '',
        status: refused.status,
        bytes: Number(refused.headers.get('content-length') ?? 0),
        ua: req.headers['user-agent'] ?? null,
      });
      return writeResponse(refused, res);
    }
    return appListener(req, res);
  };
  // What Node's parser refuses (smuggling attempts, malformed heads) is answered and logged too.
  const clientError = onClientError(deps);
  const https: ServerType = createHttpsServer(await tls(policy), listener);
  https.on('clientError', clientError);
  /** The listeners that carry traffic; the admin one is kept apart so it answers during the drain. */
  const servers: ServerType[] = [https];
  let adminServer: ServerType | undefined;
  let httpPort: number | null = null;
  let adminPort: number | null = null;
  let ready = true;
  let httpsPort: number;
  try {
    httpsPort = await listen(
      https,
      options.https?.port ?? policy.server.https.port,
      options.https?.host ?? policy.server.https.host,
    );
    deps.httpsPort = httpsPort;
    const httpConf = options.http === false ? undefined : (options.http ?? policy.server.http);
    if (httpConf) {
      const plain = createHttpServer(listener);
      plain.on('clientError', clientError);
      servers.push(plain);
      httpPort = await listen(plain, httpConf.port ?? 8080, httpConf.host ?? '0.0.0.0');
    }
    const adminConf = options.admin === false ? undefined : (options.admin ?? policy.server.admin);
    if (adminConf) {
      adminServer = createHttpServer(getRequestListener(adminApp({ deps, ready: () => ready }).fetch));
      adminPort = await listen(adminServer, adminConf.port ?? 9090, adminConf.host ?? '127.0.0.1');
    }
  } catch (err) {
    // A port in use: release the listeners already bound, so the caller can retry or exit cleanly.
    await Promise.all([...servers, ...(adminServer ? [adminServer] : [])].map((srv) => closeServer(srv, 0)));
    await opened.close();
    throw err;
  }

  /**
   * Reloads of the file take turns, and calls that come while one runs share ONE more, started
   * when it ends (the file may have changed after the running one read it). A reload parses and
   * compiles on the event loop — ~1 s for 10,000 tenants — and one edit used to cost two (the
   * editor's own `reload()` and the watcher's), a burst of sign-in upgrades one each.
   */
  let running: Promise<void> | undefined;
  let queued: Promise<void> | undefined;
  function reload(next?: Policy): Promise<void> {
    if (next) return reloadNow(next);
    if (!running) {
      running = reloadNow().finally(() => {
        running = undefined;
      });
      return running;
    }
    queued ??= running
      .catch(() => {})
      .then(() => {
        queued = undefined;
        return reload();
      });
    return queued;
  }

  async function reloadNow(next?: Policy): Promise<void> {
    try {
      const candidate = next ?? (file ? await loadPolicyFile(file) : policy);
      const nextApp = build(candidate);
      (https as unknown as import('node:tls').Server).setSecureContext(await tls(candidate));
      policy = candidate;
      app = nextApp;
      metrics.probe(gatewayProbe(candidate, deps));
      if (options.auditReloads !== false)
        deps.audit.write({ type: 'policy_reload', tenant: '_gateway', file: file ?? null });
      options.onReload?.();
    } catch (err) {
      const reason =
        err instanceof PolicyError ? err.issues.join('; ') : err instanceof Error ? err.message : String(err);
      if (options.auditReloads !== false)
        deps.audit.write({ type: 'policy_reload_refused', tenant: '_gateway', file: file ?? null, reason });
      options.onReload?.(err);
      throw err;
    }
  }

  // Users imported from htpasswd get scrypt at their first sign-in, written to this file.
  if (file) {
    const upgrades = deps.passwordUpgrades;
    if (upgrades.target === undefined) upgradeOnSignIn(deps);
    upgrades.target = { file, reload: () => reload() };
  }

  // A refused reload is already audited and reported through onReload; the old app keeps serving.
  const stopWatching =
    options.watch && file ? watchPolicy(file, () => void reload().catch(() => {})) : undefined;

  let closing: Promise<void> | undefined;
  function close(): Promise<void> {
    ready = false;
    stopWatching?.();
    // Drain first, then write every queued log line: nothing is lost on SIGTERM. The admin
    // listener stays up through the drain, so /readyz answers 503 (not a refused connection) and
    // a load balancer takes the gateway out of rotation; it closes last.
    closing ??= Promise.all(servers.map((s) => closeServer(s, options.drainTimeout ?? 10_000)))
      .then(() => (adminServer ? closeServer(adminServer, 0) : undefined))
      .then(() => opened.close());
    return closing;
  }

  if (options.handleSignals) {
    const onHup = () => void reload().catch(() => {});
    const onTerm = () => {
      process.off('SIGHUP', onHup);
      void close().then(() => process.exit(0));
    };
    process.on('SIGHUP', onHup);
    process.once('SIGTERM', onTerm);
    process.once('SIGINT', onTerm);
  }

  return { httpsPort, httpPort, adminPort, deps, logs, policy: () => policy, reload, close };
}
