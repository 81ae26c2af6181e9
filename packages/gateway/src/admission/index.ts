/**
 * Step 12 of the pipeline: per-zone admission control and the waiting room (`maxConcurrent`,
 * `maxQueue`, `queueTimeout`, `opensAt`). A zone without `maxConcurrent` or `opensAt` is not
 * touched.
 *
 * - A full zone queues the request, in ticket order (see limiter.ts); the slot is held until the
 *   response has finished streaming (the Node response's `close`), not merely until the handler
 *   returns. A queued request whose client leaves leaves the queue.
 * - Past the queue (or after `queueTimeout` in it), a browser navigating (GET/HEAD, `Accept:
 *   text/html`) gets the waiting page — its place, an estimate, a self-refresh — and a signed
 *   ticket cookie that keeps its place (ticket.ts); anything else gets `503 overloaded` with
 *   `Retry-After`.
 * - Before `opensAt` the gateway answers a countdown page itself and, in the last `ticketWindow`,
 *   gives out tickets; at the opening those are admitted in the order of their draw (random, the
 *   same in every process), then later arrivals in order.
 */
import { performance } from 'node:perf_hooks';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { Context, MiddlewareHandler, Next } from 'hono';
import { generateCookie, getCookie } from 'hono/cookie';
import type { PipelineContext } from '../deps.js';
import { GatewayError } from '../errors.js';
import { type BodyLimits, bodyToBuffer, prereadBody } from '../http/body.js';
import { setPageHeaders } from '../http/headers.js';
import { watchStalled } from '../http/stalled.js';
import { pickLang, wantsHtml } from '../pages/index.js';
import { renderCountdownPage, renderWaitingPage } from '../pages/waiting.js';
import { rq } from '../request-state.js';
import type { GatewayEnv } from '../types.js';
import type { Key, Outcome } from './limiter.js';
import { type Entry, ROOM_DEFAULTS, Room } from './room.js';
import { TICKET_COOKIE, type Ticket, TicketSigner } from './ticket.js';

export { compareKeys, type Key, Limiter } from './limiter.js';
export { ROOM_DEFAULTS, Room } from './room.js';
export { TICKET_COOKIE, TicketSigner } from './ticket.js';

/** Defaults for a zone that sets `maxConcurrent` only. */
export const ADMISSION_DEFAULTS = { queueTimeout: 10_000, retryAfterSeconds: 2 } as const;

/**
 * The key of a zone's room: tenant and zone name, so the rooms of one load are matched with the
 * next (a reload carries their counters over).
 */
export function roomKey(tenantId: string, zoneName: string): string {
  return `${tenantId}\u0000${zoneName}`;
}

/**
 * The rooms of the policy load currently serving, by {@link roomKey}.
 * @example admissionRooms(gw.deps).get(roomKey('school-a', 'recipient'))?.limiter?.queued
 */
export function admissionRooms(deps: PipelineContext['deps']): ReadonlyMap<string, Room> {
  // Only this step puts rooms there (buildRooms), so they are Rooms.
  return deps.admissionRooms as ReadonlyMap<string, Room>;
}

/**
 * A zone's limits as one process applies them. `server.replicas` gateways, each running
 * `deps.workers` processes, share the policy's numbers: each process admits
 * floor(maxConcurrent / processes) (at least 1), so all of them together never exceed
 * `maxConcurrent` while it is at least the number of processes; the queue is shared out the same
 * way (rounded up).
 */
export function processLimits(
  maxConcurrent: number,
  maxQueue: number,
  processes: number,
): { maxConcurrent: number; maxQueue: number } {
  const n = Math.max(1, Math.floor(processes));
  return { maxConcurrent: Math.max(1, Math.floor(maxConcurrent / n)), maxQueue: Math.ceil(maxQueue / n) };
}

function buildRooms(ctx: PipelineContext, signer: TicketSigner): Map<object, Room> {
  const processes = (ctx.policy.server.replicas ?? 1) * (ctx.deps.workers ?? 1);
  // The rooms of the previous load, by tenant and zone name: a reload keeps counting the requests
  // that hold a slot or wait (a reload used to start every zone from zero), and the line's
  // numbering and pace. A zone the policy no longer has is dropped; its in-flight requests still
  // release the limiter they hold.
  const previous = admissionRooms(ctx.deps);
  const byZone = new Map<object, Room>();
  const byKey = new Map<string, Room>();
  for (const [tenantId, tenant] of Object.entries(ctx.policy.tenants)) {
    for (const zone of tenant.zones) {
      const opensAtText = zone.opensAt ?? tenant.opensAt;
      if (zone.maxConcurrent === undefined && opensAtText === undefined) continue;
      const before = previous.get(roomKey(tenantId, zone.name));
      const room = new Room(
        {
          tenantId,
          zoneName: zone.name,
          limits:
            zone.maxConcurrent === undefined
              ? undefined
              : {
                  // By default a zone may queue as many requests as it runs.
                  ...processLimits(zone.maxConcurrent, zone.maxQueue ?? zone.maxConcurrent, processes),
                  queueTimeout: zone.queueTimeout ?? ADMISSION_DEFAULTS.queueTimeout,
                },
          opensAt: opensAtText === undefined ? undefined : Date.parse(opensAtText),
          ticketWindow: zone.ticketWindow ?? ROOM_DEFAULTS.ticketWindow,
        },
        signer,
        ctx.deps.now,
        before?.limiter,
      );
      if (before) room.takeOver(before);
      byZone.set(zone, room);
      byKey.set(roomKey(tenantId, zone.name), room);
    }
  }
  for (const [key, room] of previous) {
    room.dispose();
    // A zone that is no longer limited (or gone): who waits in its line goes on now, rather than
    // waiting out queueTimeout for a slot of a limit that no longer exists.
    if (!byKey.get(key)?.limiter)
      room.limiter?.reconfigure({ ...room.limiter.options, maxConcurrent: Infinity });
  }
  ctx.deps.admissionRooms = byKey;
  return byZone;
}

/** A browser navigating: it can follow a waiting page's refresh back to the same URL. */
function isNavigation(c: Context<GatewayEnv>): boolean {
  const method = c.req.method;
  return (method === 'GET' || method === 'HEAD') && wantsHtml(c);
}

function ticketCookie(value: string, maxAgeSeconds: number): string {
  return generateCookie('rg-ticket', value, {
    prefix: 'host',
    httpOnly: true,
    sameSite: 'Lax',
    maxAge: Math.max(1, Math.ceil(maxAgeSeconds)),
  });
}

/** The gateway's own answer (waiting or countdown page): 503, no-store, Retry-After, the ticket. */
function pageResponse(
  c: Context<GatewayEnv>,
  html: string,
  retryAfter: number,
  setCookie?: string,
): Response {
  const state = rq(c);
  state.decision = 'overloaded';
  const res = new Response(c.req.method === 'HEAD' ? null : html, {
    status: 503,
    headers: { 'content-type': 'text/html; charset=utf-8', 'retry-after': String(retryAfter) },
  });
  setPageHeaders(res.headers, state.secure === true);
  if (setCookie) res.headers.append('set-cookie', setCookie);
  if (state.requestId) res.headers.set('x-request-id', state.requestId);
  return res;
}

/**
 * Limits concurrent requests per zone, runs its waiting room and its scheduled opening.
 * @throws {GatewayError} `overloaded` (503) with `Retry-After`, for requests that are not a browser navigating
 * @example app.use(admission({ policy, deps }))
 */
export function admission(ctx: PipelineContext): MiddlewareHandler<GatewayEnv> {
  const signer = new TicketSigner(ctx.deps.sessionKeys);
  const rooms = buildRooms(ctx, signer);
  if (rooms.size === 0) {
    return function admission(_c, next) {
      return next();
    };
  }
  const { now } = ctx.deps;
  // The proxy's body limits (it reads the body this step has read ahead).
  const bodyLimits: BodyLimits = {
    buffer: ctx.policy.server.bufferBodySize,
    max: ctx.policy.server.upstream.maxBodySize,
    idleMs: ctx.policy.server.bodyTimeout,
  };
  // An answer whose client takes none of it for as long as a body may idle is cut.
  const sendTimeout = ctx.policy.server.bodyTimeout;

  // Not async itself: a zone without a limit passes on without a promise of its own.
  return function admission(c, next) {
    const zone = rq(c).zone;
    const room = zone && rooms.get(zone);
    if (!room) return next();
    if (room.opensAt !== undefined) {
      const t = now();
      if (t < room.opensAt) return Promise.resolve(beforeOpening(c, room, t));
      room.checkGate(t);
    }
    if (!room.limiter) return next();
    // A body is read before the request takes a slot or a place in line: otherwise `maxConcurrent`
    // slow uploads (a byte every few seconds keeps bodyTimeout from firing) hold the zone shut
    // for everyone. A body that fails (cut, idle, too large) goes on to the proxy, which answers
    // 499/408/413 from the same read without touching the upstream.
    const incoming = c.env.incoming;
    if (bodyToBuffer(incoming, bodyLimits)) {
      return prereadBody(incoming, bodyLimits).then(
        () => admit(c, next, room),
        () => next(),
      );
    }
    return admit(c, next, room);
  };

  function admit(c: Context<GatewayEnv>, next: Next, room: Room): Promise<Response | undefined> {
    const limiter = room.limiter!;
    // The fast path: a free slot and nobody holding a ticket outside.
    if (limiter.free && !room.ticketsOut(now)) {
      limiter.active++;
      return hold(c, next, room);
    }
    return wait(c, next, room, now());
  }

  function readTicket(c: Context<GatewayEnv>, room: Room, t: number): Ticket | undefined {
    const value = getCookie(c, TICKET_COOKIE);
    return signer.verify(room.config.tenantId, room.config.zoneName, value, t);
  }

  function sign(room: Room, entry: Entry, until: number): string {
    return signer.sign(room.config.tenantId, room.config.zoneName, { ...entry, until });
  }

  /** Runs the rest of the pipeline in an admitted slot; frees it when the answer has been sent. */
  async function hold(c: Context<GatewayEnv>, next: Next, room: Room): Promise<undefined> {
    const started = performance.now();
    let released = false;
    // A client that stops reading its answer must not hold the slot for ever (stalled.ts).
    const unwatch = watchStalled(c.env.outgoing, sendTimeout);
    const release = () => {
      if (released) return;
      released = true;
      unwatch();
      room.served(performance.now() - started);
      room.limiter!.release();
    };
    try {
      await next();
      return undefined;
    } finally {
      const outgoing = c.env.outgoing;
      if (outgoing.writableFinished || outgoing.destroyed) release();
      else outgoing.once('close', release);
    }
  }

  /** A full zone: waits in line, then runs, or answers the waiting page / 503. */
  async function wait(
    c: Context<GatewayEnv>,
    next: Next,
    room: Room,
    t: number,
  ): Promise<Response | undefined> {
    const held = readTicket(c, room, t);
    // A ticket that has used up its admissions counts as no ticket: its holder is a new arrival.
    const ticket = held && room.mayUse(held) ? held : undefined;
    const entry: Entry = ticket ? { issued: ticket.issued, seq: ticket.seq } : room.arrive(t);
    const key = room.keyOf(entry);
    // A newcomer does not queue ahead of ticket holders who are between refreshes (it may still
    // take a slot that is free right now: capacity is not left idle for someone not yet back).
    const limiter = room.limiter!;
    const got = !ticket && !limiter.free && room.ticketAhead(key, t) ? false : limiter.acquire(key);
    let outcome: Outcome | 'refused';
    if (got === true) outcome = 'admitted';
    else if (got === false) outcome = 'refused';
    else {
      if (ticket) room.returned(key);
      const outgoing = c.env.outgoing;
      const leave = () => got.leave();
      outgoing.once('close', leave);
      outcome = await got.promise;
      outgoing.off('close', leave);
    }
    if (outcome === 'left') {
      // Logged as the proxy logs a client that left (nginx's 499): nobody is left to answer.
      const out = c.env.outgoing;
      rq(c).decision = 'client_closed';
      if (!out.headersSent) out.statusCode = 499;
      return RESPONSE_ALREADY_SENT;
    }
    if (outcome === 'admitted') {
      if (ticket) {
        room.returned(key);
        room.used(entry);
      }
      // A ticket holder keeps its place for the rest of the visit (the form, then the result).
      const out = c.env.outgoing;
      if (ticket && !out.headersSent) {
        const at = now();
        const until = room.passUntil(ticket, at);
        out.appendHeader('Set-Cookie', ticketCookie(sign(room, entry, until), (until - at) / 1000));
        // An answer carrying one person's ticket must not be kept by a shared cache and handed
        // to others (the upstream's own Cache-Control gives way, as for a renewed session).
        out.setHeader('Cache-Control', 'no-store');
      }
      await hold(c, next, room);
      return undefined;
    }
    return sendAway(c, room, entry, key);
  }

  /** No slot and no room in line: the waiting page with a ticket, or 503 with Retry-After. */
  function sendAway(c: Context<GatewayEnv>, room: Room, entry: Entry, key: Key): Response {
    const t = now();
    const place = room.place(key);
    const estimate = room.estimateSeconds(place);
    const refresh = room.refreshSeconds(estimate);
    if (!isNavigation(c)) {
      throw new GatewayError('overloaded', { headers: { 'retry-after': String(refresh) } });
    }
    const until = t + (refresh + ROOM_DEFAULTS.grace) * 1000;
    room.ticketed(key, t + (refresh + ROOM_DEFAULTS.due) * 1000, t);
    const html = renderWaitingPage({
      lang: pickLang(c.req.header('accept-language')),
      tenantName: rq(c).tenant?.name,
      place,
      estimateSeconds: estimate,
      refreshSeconds: refresh,
      requestId: rq(c).requestId ?? '',
    });
    return pageResponse(c, html, refresh, ticketCookie(sign(room, entry, until), (until - t) / 1000));
  }

  /** Before opensAt: the countdown page (and, in the last minutes, a pre-opening ticket). */
  function beforeOpening(c: Context<GatewayEnv>, room: Room, t: number): Response {
    const opensAt = room.opensAt!;
    const secondsLeft = (opensAt - t) / 1000;
    if (!isNavigation(c)) {
      throw new GatewayError('overloaded', {
        message: `Not open yet: opens at ${new Date(opensAt).toISOString()}.`,
        headers: { 'retry-after': String(Math.max(1, Math.ceil(secondsLeft))) },
      });
    }
    let setCookie: string | undefined;
    const ticketed = t >= room.ticketsFrom!;
    if (ticketed) {
      const held = readTicket(c, room, t);
      const entry: Entry =
        held && room.isPreOpening(held) ? { issued: held.issued, seq: held.seq } : room.arrive(t);
      // Back at the opening (plus a random spread, so the reloads do not all land in one
      // millisecond), and by this time at the latest, or the place is lost.
      const until = opensAt + (ROOM_DEFAULTS.openingSpread + ROOM_DEFAULTS.grace) * 1000;
      room.ticketed(room.keyOf(entry), opensAt + (ROOM_DEFAULTS.openingSpread + ROOM_DEFAULTS.due) * 1000, t);
      setCookie = ticketCookie(sign(room, entry, until), (until - t) / 1000);
    }
    const refresh =
      secondsLeft <= 60
        ? Math.ceil(secondsLeft) + Math.floor(Math.random() * (ROOM_DEFAULTS.openingSpread + 1))
        : 60;
    const html = renderCountdownPage({
      lang: pickLang(c.req.header('accept-language')),
      tenantName: rq(c).tenant?.name,
      opensAt,
      secondsLeft,
      refreshSeconds: refresh,
      ticketed,
    });
    return pageResponse(c, html, Math.max(1, Math.ceil(secondsLeft)), setCookie);
  }
}
