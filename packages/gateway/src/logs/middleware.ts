/**
 * Step 14 of the pipeline: one access-log line for every request, denied ones included. It wraps
 * everything after the request id, so it sees each denial (`c.error`, set by Hono's compose
 * when a later middleware throws) and the final status.
 *
 * Served by node-server, the proxy writes straight into the Node response and returns
 * RESPONSE_ALREADY_SENT, so the line is written on the response's 'close' (status and bytes
 * as sent); under `app.request()` (tests) it is written from `c.res` after `next()`.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { GatewayError } from '../errors.js';
import type { PipelineContext } from '../pipeline.js';
import type { AccessRecord, GatewayEnv } from '../types.js';
import { GATEWAY_TENANT } from './files.js';

type Ctx = Context<GatewayEnv>;

/** `allow`, or the code of the error that denied the request. */
export function decisionOf(err: unknown): string {
  if (err === undefined) return 'allow';
  return err instanceof GatewayError ? err.code : 'internal_error';
}

function record(c: Ctx, start: number, end: number, status: number, bytes: number): AccessRecord {
  const v = c.var;
  const incoming = c.env?.incoming;
  // Read method and User-Agent from the Node request when there is one: touching c.req.raw's
  // headers makes node-server build a full web Request, which costs on the hot path.
  const ua = incoming ? incoming.headers['user-agent'] : c.req.header('user-agent');
  return {
    ts: new Date(start).toISOString(),
    reqId: v.requestId ?? '',
    tenant: v.tenantId ?? GATEWAY_TENANT,
    zone: v.zone?.name ?? null,
    ip: v.clientIp ?? incoming?.socket?.remoteAddress ?? '',
    method: incoming?.method ?? c.req.method,
    // The normalised path (no query); before normalisation ran, the raw path, also without query.
    path: v.path ?? c.req.path,
    status,
    bytes,
    ms: end - start,
    upstreamMs: v.upstreamMs ?? null,
    user: v.user?.name ?? null,
    decision: v.decision ?? decisionOf(c.error),
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
export function accessLog(ctx: PipelineContext): MiddlewareHandler<GatewayEnv> {
  const sink = ctx.deps.accessLog;
  const now = ctx.deps.now;
  const failClosed = ctx.policy.logs?.failClosed === true;

  return async function accessLog(c, next) {
    const start = c.var.startedAt ?? now();
    const outgoing = c.env?.outgoing;
    if (outgoing) {
      // The line is written once both have happened: the response closed (finished or aborted;
      // after onError rendered a denial, so the status is final) and the pipeline returned (the
      // proxy sets bytesSent after its stream ends, which can be just after 'close').
      let waiting = 2;
      const done = () => {
        if (--waiting !== 0) return;
        const bytes = c.var.bytesSent ?? contentLength(outgoing.getHeader('content-length'));
        sink.write(record(c, start, now(), outgoing.statusCode, bytes));
      };
      outgoing.once('close', done);
      try {
        if (failClosed && !sink.healthy) throw new GatewayError('logs_unavailable');
        await next();
      } finally {
        done();
      }
      return;
    }
    if (failClosed && !sink.healthy) {
      const err = new GatewayError('logs_unavailable');
      c.error = err;
      sink.write(record(c, start, now(), err.status, 0));
      throw err;
    }
    await next();
    sink.write(record(c, start, now(), c.res.status, contentLength(c.res.headers.get('content-length'))));
  };
}
