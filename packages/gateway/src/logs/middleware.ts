/**
 * Step 14 of the pipeline: one access-log line for every request, denied ones included. It wraps
 * everything after the request id, so it sees each denial (`c.error`, set by the pipeline's
 * compose when a later middleware throws) and the final status.
 *
 * The proxy writes straight into the Node response and returns RESPONSE_ALREADY_SENT, so the line
 * is written from the Node response once it is done (status and bytes as sent).
 */
import type { Context } from 'hono';
import { type AroundStep, around } from '../around.js';
import type { PipelineContext } from '../deps.js';
import { GatewayError } from '../errors.js';
import { rq } from '../request-state.js';
import type { AccessRecord, GatewayEnv } from '../types.js';
import { GATEWAY_TENANT } from './files.js';

type Ctx = Context<GatewayEnv>;

/** `allow`, or the code of the error that denied the request. */
export function decisionOf(err: unknown): string {
  if (err === undefined) return 'allow';
  return err instanceof GatewayError ? err.code : 'internal_error';
}

// One Date formatting per second instead of per line (toISOString costs about a microsecond).
let isoSecond = Number.NaN;
let isoPrefix = '';

/** `new Date(ms).toISOString()`, from a per-second cache. */
export function isoTime(ms: number): string {
  const whole = Math.floor(ms);
  const second = Math.floor(whole / 1000);
  if (second !== isoSecond) {
    const full = new Date(second * 1000).toISOString(); // …T10:08:08.000Z
    isoPrefix = full.slice(0, -4);
    isoSecond = second;
  }
  const milli = whole - second * 1000;
  return `${isoPrefix}${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
}

function record(c: Ctx, start: number, end: number, status: number, bytes: number): AccessRecord {
  const state = rq(c);
  const incoming = c.env.incoming;
  // Read method and User-Agent from the Node request: touching c.req.raw's headers makes
  // node-server build a full web Request, which costs on the hot path.
  const ua = incoming.headers['user-agent'];
  return {
    ts: isoTime(start),
    reqId: state.requestId ?? '',
    tenant: state.tenantId ?? GATEWAY_TENANT,
    zone: state.zone?.name ?? null,
    // No client address when step 2 refused X-Forwarded-For: the peer it decided on, then.
    ip: state.clientIp ?? state.peer,
    method: incoming.method ?? c.req.method,
    // The normalised path (no query); before normalisation ran, the raw path, also without query.
    path: state.path ?? c.req.path,
    status,
    bytes,
    ms: end - start,
    upstreamMs: state.upstreamMs ?? null,
    user: state.user?.name ?? null,
    decision: state.decision ?? decisionOf(c.error),
    ua: ua ?? null,
  };
}

function contentLength(value: unknown): number {
  const n = Number(value);
  return Number.isFinite(n) && n >= 0 ? n : 0;
}

/**
 * The access-log middleware. With `logs.failClosed` and a failing sink it answers
 * `503 logs_unavailable` before anything is proxied.
 * @example app.use(accessLog(ctx)) // right after requestId(ctx)
 */
export function accessLog(ctx: PipelineContext): AroundStep {
  const sink = ctx.deps.accessLog;
  const now = ctx.deps.now;
  const failClosed = ctx.policy.logs?.failClosed === true;

  function writeLine(c: Ctx): void {
    const state = rq(c);
    const outgoing = c.env.outgoing;
    // The proxy's count; else the Content-Length; else what went down the socket for this answer
    // (headers included — an answer the gateway wrote itself with writeHead keeps no header object).
    const bytes =
      state.bytesSent ??
      (contentLength(outgoing.getHeader('content-length')) ||
        Math.max(0, (state.socket?.bytesWritten ?? state.socketWrittenBefore) - state.socketWrittenBefore));
    sink.write(record(c, state.startedAt, now(), outgoing.statusCode, bytes));
  }

  return around(
    'accessLog',
    function before(c) {
      const state = rq(c);
      if (state.startedAt === undefined) state.startedAt = now();
      // One request at a time per HTTP/1.1 connection: the socket's count from here is this answer.
      const socket = c.env.outgoing.socket;
      state.socket = socket;
      state.socketWrittenBefore = socket?.bytesWritten ?? 0;
      if (failClosed && !sink.healthy) throw new GatewayError('logs_unavailable');
    },
    function after(c) {
      // The line waits until the pipeline returned (the proxy sets bytesSent once its stream
      // ended) and the response is complete. A proxied response has been ended by then (the
      // common case: status and length are final, no listener needed); one the gateway made
      // itself (a denial rendered by onError) is written by node-server after this, so its
      // status and length are final at 'close'.
      const outgoing = c.env.outgoing;
      if (outgoing.writableEnded || outgoing.destroyed) writeLine(c);
      else outgoing.once('close', () => writeLine(c));
    },
  );
}
