/**
 * Step 1 of the pipeline: the request id, and the per-request metrics. `X-Request-Id` is kept only
 * from a trusted proxy (and only when it looks like an id), otherwise a fresh UUID; every response
 * carries it back.
 */
import { randomUUID } from 'node:crypto';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { type AroundStep, around } from '../around.js';
import type { PipelineContext } from '../deps.js';
import { setPageHeaders } from '../http/headers.js';
import { peerTrusted, trustedProxies } from '../net/peer.js';
import { requestHeader } from '../request-header.js';
import { rq } from '../request-state.js';
import { NO_ZONE } from './metrics.js';

/** An id a proxy may hand us: short, no spaces, nothing that could split a log line. */
const ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;

// Request ids: a random UUID per process whose last 12 hex digits count up. Unique per process and
// unguessable across restarts, at the cost of a string concat instead of CSPRNG bytes per request.
// The 48-bit counter is two 24-bit halves: small integers print in hex cheaply, where a 48-bit
// number (a double) is printed digit by digit through fmod.
const ID_BASE = randomUUID().slice(0, 24);
const HALF = 2 ** 24;
let idHigh = Math.floor(Math.random() * HALF);
let idLow = Math.floor(Math.random() * HALF);

/** Sets the counter's halves (tests: the carry from the low half into the high one, the wrap). */
export function setRequestIdCounter(high: number, low: number): void {
  idHigh = high % HALF;
  idLow = low % HALF;
}

/** A fresh request id in UUID form (8-4-4-4-12 hex). */
export function newRequestId(): string {
  if (++idLow === HALF) {
    idLow = 0;
    idHigh = (idHigh + 1) % HALF;
  }
  return ID_BASE + idHigh.toString(16).padStart(6, '0') + idLow.toString(16).padStart(6, '0');
}

/** The header the fast path sets when it wrote the response itself (see proxy/). */
const ALREADY_SENT = 'x-hono-already-sent';

/**
 * Sets `rq(c).requestId` and `rq(c).startedAt`, counts the request, and gives every response the
 * gateway wrote itself `X-Request-Id` and the security headers (HSTS when over TLS).
 * @example app.use(requestId({ policy, deps }))
 */
export function requestId(ctx: PipelineContext): AroundStep {
  const trusted = trustedProxies(ctx.policy);
  const anyTrusted = ctx.policy.server.trustedProxies.length > 0;
  const { now } = ctx.deps;
  const metrics = ctx.deps.metrics;
  return around(
    'requestId',
    function before(c) {
      const state = rq(c);
      state.startedAt = now();
      let id: string | undefined;
      if (anyTrusted) {
        const given = requestHeader(c, 'x-request-id');
        if (given && ID_RE.test(given) && peerTrusted(c, trusted, state)) id = given;
      }
      state.requestId = id ?? newRequestId();
    },
    function after(c) {
      const state = rq(c);
      const res = c.res;
      // The proxy's fast path wrote its own headers (X-Request-Id included) straight to the socket.
      // Identity first: Headers#has costs on every proxied request; a copy of the marker (a later
      // middleware replaced c.res) still carries the header.
      const sent = res === RESPONSE_ALREADY_SENT || res.headers.has(ALREADY_SENT);
      if (!sent) {
        // A response the gateway made itself (error, redirect, login, notices): its headers here.
        res.headers.set('x-request-id', state.requestId);
        setPageHeaders(res.headers, state.secure === true);
      }
      const status = sent ? c.env.outgoing.statusCode : res.status;
      metrics.request(
        status,
        state.decision ?? (status < 400 ? 'allow' : 'error'),
        state.tenantId ?? '_gateway',
        state.zone?.name ?? NO_ZONE,
        (now() - state.startedAt) / 1000,
      );
    },
  );
}
