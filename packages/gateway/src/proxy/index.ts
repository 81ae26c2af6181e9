/**
 * Step 13 of the pipeline: the proxy hop (docs/architecture.md §10). Served by Node, it takes the fast path:
 * request headers read from `incoming.rawHeaders`, the body streamed from `incoming`, the answer
 * streamed by an undici dispatch handler straight into the Node response (node-hop.ts), then
 * `RESPONSE_ALREADY_SENT` — no web `Request`/`Response` is built, nothing is buffered.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { Context, MiddlewareHandler } from 'hono';
import type { Dispatcher } from 'undici';
import type { PipelineContext, UpstreamErrorKind } from '../deps.js';
import { GatewayError } from '../errors.js';
import { BodyAbortedError, BodyStream, BodyTimeoutError, BodyTooLargeError, readBody } from '../http/body.js';
import { mergePresetHeaders } from '../http/cookies.js';
import { hostName } from '../http/host.js';
import { encodePath } from '../http/path.js';
import { type RequestState, rq } from '../request-state.js';
import type { GatewayEnv } from '../types.js';
import { ClientSlots, perClientShare, STREAMING_BODIES } from './client-slots.js';
import { appendProxiedHeaders, copyRequestHeaders, copyResponseHeaders } from './headers.js';
import { appendIdentityHeaders, type SignedRequest } from './identity.js';
import { type HopCallbacks, NodeHop } from './node-hop.js';
import { upstreamPool } from './pool.js';

type Ctx = Context<GatewayEnv>;

const NO_ROLES: readonly string[] = Object.freeze([]);

function appendGatewayHeaders(
  c: Ctx,
  host: string,
  request: SignedRequest,
  secret: Uint8Array,
  nowMs: number,
  out: string[],
): void {
  const state = rq(c);
  // The peer and the client as decided once, by net/peer.ts and the client-address step.
  const peer = state.peer;
  const client = state.clientIp || peer;
  // The address the gateway decided on, then the hop it came through when that was a trusted proxy.
  out.push('x-forwarded-for', client === peer || peer === '' ? client : `${client}, ${peer}`);
  out.push('x-forwarded-proto', 'https', 'x-forwarded-host', host);
  const user = state.user;
  appendIdentityHeaders(
    out,
    secret,
    {
      tenant: state.tenantId ?? '',
      user: user?.name ?? '',
      roles: user?.roles ?? NO_ROLES,
      requestId: state.requestId,
    },
    request,
    nowMs,
  );
}

function responseHead(c: Ctx, headers: Record<string, string | string[] | undefined>): string[] {
  const out: string[] = [];
  copyResponseHeaders(headers, out);
  appendProxiedHeaders(out, rq(c).requestId);
  // The session's renewed cookie and no-store, preset on the Node response before this hop.
  mergePresetHeaders(c.env.outgoing, out);
  return out;
}

/** The body was not read to its end: the connection closes after the answer (nothing more is read). */
const CLOSE = { connection: 'close' } as const;

const ALLOW = { allow: 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS' } as const;

/**
 * The `kind` of an upstream failure for `resultgate_upstream_errors_total`; `undefined` for a
 * request body's own failure.
 */
export function upstreamErrorKind(err: unknown): UpstreamErrorKind | undefined {
  // The client's body (too large, too slow, cut): answered 413/408/499, not the upstream's fault.
  if (
    err instanceof BodyTooLargeError ||
    err instanceof BodyTimeoutError ||
    err instanceof BodyAbortedError
  ) {
    return undefined;
  }
  const code = (err as { code?: string }).code ?? '';
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return 'timeout';
  if (/^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|UND_ERR_CONNECT_TIMEOUT)$/.test(code)) {
    return 'connect';
  }
  if (/^(ECONNRESET|EPIPE|UND_ERR_SOCKET|UND_ERR_CLOSED)$/.test(code)) return 'reset';
  return 'other';
}

function upstreamError(err: unknown): GatewayError {
  if (err instanceof BodyTooLargeError) return new GatewayError('payload_too_large', { headers: CLOSE });
  if (err instanceof BodyTimeoutError) return new GatewayError('request_timeout', { headers: CLOSE });
  const code = (err as { code?: string }).code;
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return new GatewayError('upstream_timeout', { cause: err });
  }
  return new GatewayError('upstream_unavailable', { cause: err });
}

/** The client went away before its answer: logged as nginx does (499); nobody is left to answer. */
function clientLeft(c: Ctx, outgoing: ServerResponse): Response {
  rq(c).decision = 'client_closed';
  if (!outgoing.headersSent) outgoing.statusCode = 499;
  outgoing.destroy();
  return RESPONSE_ALREADY_SENT;
}

/**
 * `X-Forwarded-Host`: the tenant's host as the gateway matched it (lower case, no trailing dot),
 * not the client's spelling; its port only when it is the one the request really reached (or a
 * trusted proxy said so) — a client can write any port in `Host`.
 */
function forwardedHost(state: RequestState, incoming: IncomingMessage): string {
  const raw = incoming.headers.host ?? '';
  const name = state.host ?? hostName(raw);
  const shown = name.includes(':') ? `[${name}]` : name;
  const m = /:(\d{1,5})$/.exec(raw);
  if (!m) return shown;
  const port = Number(m[1]);
  return state.peerTrusted || port === incoming.socket.localPort ? `${shown}:${port}` : shown;
}

/**
 * Forwards the request to `server.upstream` with the identity the gateway established.
 * @throws {GatewayError} `payload_too_large` (413), `request_timeout` (408), `overloaded` (503, one
 *   address over `upstream.connectionsPerClient`), `upstream_unavailable` (502), `upstream_timeout` (504)
 * @example app.all('*', proxy({ policy, deps }))
 */
export function proxy(ctx: PipelineContext): MiddlewareHandler<GatewayEnv> {
  const upstream = ctx.policy.server.upstream;
  const url = new URL(upstream.url);
  const basePath = url.pathname.replace(/\/+$/, '');
  const pool = upstreamPool(ctx.deps, url.origin, upstream);
  const { identitySecret: secret, now } = ctx.deps;
  const maxBody = upstream.maxBodySize;
  const metrics = ctx.deps.metrics;

  // A client that reads none of its answer for this long loses it (and frees the upstream connection).
  const sendTimeout = ctx.policy.server.bodyTimeout;
  const limits = {
    buffer: ctx.policy.server.bufferBodySize,
    max: maxBody,
    idleMs: ctx.policy.server.bodyTimeout,
  };
  // Half the pool by default: one address can never take the other half, while a school's or a
  // carrier's NAT, which puts many recipients behind one address, is rarely refused. Shared out
  // among the workers, as a zone's maxConcurrent is.
  const perClient = perClientShare(
    upstream.connectionsPerClient ?? Math.max(1, Math.ceil(upstream.connections / 2)),
    ctx.deps.workers ?? 1,
  );
  // Streamed bodies (over bufferBodySize) hold a connection while their clients send them: at most
  // half the pool, whatever the addresses (client-slots.ts STREAMING_BODIES).
  const maxStreaming = perClientShare(
    Math.max(1, Math.floor(upstream.connections / 2)),
    ctx.deps.workers ?? 1,
  );
  const slots = new ClientSlots(ctx.deps.clientSlots);
  const shared: ForwardingShared = { slots, metrics, now };

  return function proxy(c) {
    const incoming = c.env.incoming;
    const outgoing = c.env.outgoing;
    // TRACE echoes the request (cookies included) back; nginx refuses it too.
    if (incoming.method === 'TRACE') throw new GatewayError('method_not_allowed', { headers: ALLOW });
    const cl = incoming.headers['content-length'];
    if (cl !== undefined && Number(cl) > maxBody)
      throw new GatewayError('payload_too_large', { headers: CLOSE });
    const hasBody = cl !== undefined ? cl !== '0' : incoming.headers['transfer-encoding'] !== undefined;
    if (!hasBody) return forward(c, incoming, outgoing, null);
    // A small body is read whole first: a slow or abandoned upload then holds no upstream connection.
    return readBody(incoming, limits).then(
      (body) => forward(c, incoming, outgoing, body),
      (err: unknown) => {
        if (err instanceof BodyAbortedError) return clientLeft(c, outgoing);
        throw upstreamError(err);
      },
    );
  };

  function forward(
    c: Ctx,
    incoming: IncomingMessage,
    outgoing: ServerResponse,
    body: Buffer | BodyStream | null,
  ): Promise<Response> {
    const state = rq(c);
    const streamSlot = body instanceof BodyStream ? slots.takeKey(STREAMING_BODIES, maxStreaming) : undefined;
    if (body instanceof BodyStream && streamSlot === undefined) {
      body.destroy();
      throw new GatewayError('overloaded', {
        message: 'Too many uploads in progress. Please try again shortly.',
        headers: { 'retry-after': '1', ...CLOSE },
      });
    }
    const slot = slots.take(state.clientIp, perClient);
    if (slot === undefined) {
      if (streamSlot !== undefined) slots.release(streamSlot);
      if (body instanceof BodyStream) body.destroy();
      throw new GatewayError('overloaded', {
        message: 'Too many requests from your address at once. Please try again shortly.',
        headers: { 'retry-after': '1', ...(body instanceof BodyStream ? CLOSE : {}) },
      });
    }
    const method = incoming.method ?? 'GET';
    const headers: string[] = [];
    copyRequestHeaders(incoming.rawHeaders, state.zone?.auth !== 'none', headers);
    const started = now();
    // The signature is bound to the method and the exact target the upstream receives.
    const target = basePath + encodePath(state.path ?? '/') + (state.search ?? '');
    appendGatewayHeaders(c, forwardedHost(state, incoming), { method, target }, secret, started, headers);
    const answer = Promise.withResolvers<Response>();
    const hop = new Forwarding(c, state, body, slot, started, answer, shared);
    if (streamSlot !== undefined) hop.holdStreamSlot(streamSlot);
    const nodeHop = new NodeHop(outgoing, hop);
    nodeHop.stallTimeoutMs = sendTimeout;
    // The admission step holds a slot for this request until the upstream is done with it.
    if (state.zone?.maxConcurrent !== undefined) nodeHop.finishUpstream = true;
    pool.dispatch({ path: target, method: method as Dispatcher.HttpMethod, headers, body }, nodeHop);
    return answer.promise;
  }
}

/** What every forwarded request of one proxy step shares. */
interface ForwardingShared {
  slots: ClientSlots;
  metrics: PipelineContext['deps']['metrics'];
  now: () => number;
}

/**
 * One forwarded request's answer: writes the head, frees the client's slot, settles the step's
 * promise. One object per request where closures over the same variables would be five.
 */
class Forwarding implements HopCallbacks {
  private released = false;
  private readonly tenant: string;
  /** The {@link STREAMING_BODIES} slot, held until the body has been sent (or the hop ends). */
  private streamSlot: string | undefined;

  constructor(
    private readonly c: Ctx,
    private readonly state: RequestState,
    private readonly body: Buffer | BodyStream | null,
    private readonly slot: string,
    private readonly started: number,
    private readonly answer: PromiseWithResolvers<Response>,
    private readonly shared: ForwardingShared,
  ) {
    this.tenant = state.tenantId ?? '_gateway';
  }

  head(statusCode: number, upstreamHeaders: Record<string, string | string[] | undefined>): void {
    const ms = this.shared.now() - this.started;
    this.state.upstreamMs = ms;
    this.shared.metrics.upstream(this.tenant, ms / 1000);
    this.c.env.outgoing.writeHead(statusCode, responseHead(this.c, upstreamHeaders));
  }

  done(bytes: number): void {
    this.release();
    this.state.bytesSent = bytes;
    this.answer.resolve(RESPONSE_ALREADY_SENT);
  }

  failed(err: Error, clientGone: boolean): void {
    this.release();
    const { c, body, answer } = this;
    const outgoing = c.env.outgoing;
    // The body's own failure (timeout, too large) says more than undici's wrapping of it.
    const cause = body instanceof BodyStream && body.failure ? body.failure : err;
    if (clientGone || cause instanceof BodyAbortedError) {
      answer.resolve(clientLeft(c, outgoing));
      return;
    }
    const kind = upstreamErrorKind(cause);
    if (kind) this.shared.metrics.upstreamError(this.tenant, kind);
    if (!outgoing.headersSent) {
      answer.reject(upstreamError(cause));
      return;
    }
    // Once the head is out, the only honest signal left is to cut the connection.
    outgoing.destroy();
    answer.resolve(RESPONSE_ALREADY_SENT);
  }

  /** Holds `slot` until the streamed body closes (sent whole, or failed) or the hop ends. */
  holdStreamSlot(slot: string): void {
    this.streamSlot = slot;
    (this.body as BodyStream).once('close', () => this.releaseStreamSlot());
  }

  private releaseStreamSlot(): void {
    if (this.streamSlot === undefined) return;
    this.shared.slots.release(this.streamSlot);
    this.streamSlot = undefined;
  }

  private release(): void {
    this.releaseStreamSlot();
    if (this.released) return;
    this.released = true;
    this.shared.slots.release(this.slot);
  }
}
