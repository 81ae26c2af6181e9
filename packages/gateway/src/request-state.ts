/**
 * The pipeline's per-request values (docs/architecture.md §4) in one plain object. Hono keeps context
 * variables in a Map per request; a dozen of them set and read thirty times by the steps cost the gateway
 * more than its allow-lists and zone matching together (the Map grows twice on every request). Steps
 * read and write `rq(c)` instead: one object of a fixed shape, one Map entry.
 */
import type { Socket } from 'node:net';
import type { HttpBindings } from '@hono/node-server';
import type { Context } from 'hono';
import type { Tenant, Zone } from './policy/schema.js';

/** The identity established by authentication (Basic, session or `authBypass`). */
export interface GatewayUser {
  name: string;
  roles: readonly string[];
  /** How the identity was established. */
  via: 'basic' | 'session' | 'bypass';
}

/**
 * The Hono context variables of the gateway: one, the per-request state (see `rq` in
 * request-state.ts — steps never set variables of their own).
 */
export interface GatewayVariables {
  state: RequestState;
}

/** The Hono environment of the gateway app. */
export interface GatewayEnv {
  Bindings: HttpBindings;
  Variables: GatewayVariables;
}

/** Everything the steps establish about one request, in pipeline order. */
export class RequestState {
  requestId!: string;
  /** Start of the request, from `deps.now()`. */
  startedAt!: number;
  /**
   * The socket peer's address, canonical (IPv4-mapped IPv6 unmapped); '' when there is no socket.
   * Decided once, with {@link peerTrusted}, by net/peer.ts.
   */
  peer = '';
  /** {@link peer} parsed (an `Ip` of net/cidr.ts, IPv4 kept signed: `keptIp`), or null. */
  peerAddr: number | Uint16Array | null = null;
  /** True when the socket peer is one of `server.trustedProxies`; undefined until decided. */
  peerTrusted: boolean | undefined;
  /** The client address the decisions use, canonical (IPv4-mapped IPv6 already unmapped). */
  clientIp!: string;
  /**
   * {@link clientIp} parsed (an `Ip` of net/cidr.ts, IPv4 kept signed: `keptIp`), set with it by
   * the client-address step;
   * null when unknown, which no allow-list contains.
   */
  clientAddr: number | Uint16Array | null = null;
  /** True when the request came over TLS (directly, or from a trusted TLS-terminating proxy). */
  secure!: boolean;
  /** The `Host` header's name in the one form the gateway compares (http/host.ts), once the tenant step read it. */
  host: string | undefined;
  tenantId: string | undefined;
  tenant: Tenant | undefined;
  zone: Zone | undefined;
  /** The normalised path: what zones match and what the upstream receives. */
  path: string | undefined;
  /** The original query string including `?`, or ''. */
  search: string | undefined;
  user: GatewayUser | undefined;
  /** Time the upstream took to answer with headers, for the access log. */
  upstreamMs: number | undefined;
  /** Response body bytes sent by the proxy's fast path, for the access log. */
  bytesSent: number | undefined;
  /** The error code that denied the request (set by the error handler); absent when allowed. */
  decision: string | undefined;
  /**
   * The connection the answer goes down, kept by the access log (the response lets go of it when
   * done), and its byte count before the answer: the length of an answer nobody counted.
   */
  socket: Socket | null = null;
  socketWrittenBefore = 0;
  /** The headers every request's checks read, read in one pass (request-header.ts). */
  hotHeaders: (string | undefined)[] | undefined;
}

/** Where the state hangs on Hono's context (a property: Hono keeps variables in a Map per request). */
const STATE = Symbol('resultgate.state');

type WithState = Context<GatewayEnv> & { [STATE]?: RequestState };

/**
 * The request's state, created on first use (so a handler outside the pipeline — a test app, the
 * error page — sees the same object as the steps). `c.var.state` is the same object once
 * {@link exposeState} ran (the built-in pages and a caller's `reserved` handlers read it there).
 * @example rq(c).tenantId
 */
export function rq(c: Context<GatewayEnv>): RequestState {
  const holder = c as WithState;
  let state = holder[STATE];
  if (state === undefined) {
    state = new RequestState();
    holder[STATE] = state;
  }
  return state;
}

/** Sets `c.var.state` to {@link rq}'s object, for a handler that reads Hono's variables. */
export function exposeState(c: Context<GatewayEnv>): RequestState {
  const state = rq(c);
  c.set('state', state);
  return state;
}
