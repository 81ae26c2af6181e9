/**
 * Step 2 of the pipeline (docs/architecture.md §4): the client address every later decision uses, logs and
 * forwards. It is the socket peer, unless the peer is one of `server.trustedProxies`; then
 * `X-Forwarded-For` is walked from the right, skipping trusted hops, and the first untrusted hop is
 * the client. Entries left of it were written by the client itself and are never read, so they can
 * neither spoof an address nor cause an error. A malformed entry among those walked is a `400`:
 * a header from a trusted proxy that cannot be read is a broken proxy, and guessing would let the
 * client pick its own address.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { GatewayError } from '../errors.js';
import { trustedSet } from '../ops/trusted-peer.js';
import type { PipelineContext } from '../pipeline.js';
import type { Policy } from '../policy/schema.js';
import { requestHeader } from '../request-header.js';
import { rq } from '../request-state.js';
import type { GatewayEnv } from '../types.js';
import { type CidrSet, canonicalAddress, ipText, parseIp } from './cidr.js';

export {
  Address,
  CidrSet,
  canonicalAddress,
  type Ip,
  ipText,
  parseAddress,
  parseIp,
  parseIPv4,
} from './cidr.js';

/**
 * `server.trustedProxies` compiled once per policy load (memoised, so every module that asks —
 * client address, TLS, request id — shares one set).
 */
export function trustedProxies(policy: Policy): CidrSet {
  return trustedSet(policy.server.trustedProxies);
}

/**
 * The socket peer's address as Node reports it, or `undefined` when the socket has already closed.
 */
export function socketPeer(c: Context<GatewayEnv>): string | undefined {
  return c.env.incoming.socket.remoteAddress;
}

/**
 * Compiles `server.trustedProxies` once and returns the per-request check "is the socket peer a
 * trusted proxy" — what decides whether `X-Request-Id`, `X-Forwarded-For` and
 * `X-Forwarded-Proto` may be believed.
 * @example
 * const fromTrustedProxy = isTrustedPeer(ctx.policy); // in the factory
 * if (fromTrustedProxy(c)) id = c.req.header('x-request-id'); // per request
 */
export function isTrustedPeer(policy: Policy): (c: Context<GatewayEnv>) => boolean {
  const trusted = trustedProxies(policy);
  if (trusted.size === 0) return () => false;
  return function isTrustedPeer(c) {
    const peer = socketPeer(c);
    return peer !== undefined && trusted.hasText(peer);
  };
}

function malformed(): GatewayError {
  return new GatewayError('bad_request', { message: 'Malformed X-Forwarded-For header.' });
}

/**
 * The canonical text of one hop already parsed as `ip`. A hop without `:` that parsed as IPv4 was
 * a strict dotted quad (parseIp reads IPv6 only from text with `:`), which is its own text.
 */
function hopText(hop: string, ip: number | Uint16Array): string {
  return typeof ip === 'number' && !hop.includes(':') ? hop : ipText(ip);
}

/**
 * Walks `X-Forwarded-For` from the right, skipping trusted hops.
 * @param peer the canonical text of the (trusted) socket peer
 * @returns the canonical text of the first untrusted hop; of the leftmost hop when every hop is
 *   trusted; `peer` without a header
 * @throws GatewayError `bad_request` for an entry (among those walked) that is not an address
 */
export function forwardedClient(header: string | undefined, peer: string, trusted: CidrSet): string {
  if (header === undefined) return peer;
  let client = peer;
  let end = header.length;
  // Right to left without split(): the common header is one hop, and nothing left of the client
  // is even looked at.
  for (let first = true; end >= 0; first = false) {
    const comma = header.lastIndexOf(',', end - 1);
    const hop = header.slice(comma + 1, end).trim();
    end = comma;
    if (first && comma < 0 && hop === '') return peer; // an empty header: no hop at all
    const ip = parseIp(hop);
    if (ip === null) throw malformed();
    client = hopText(hop, ip);
    if (!trusted.hasIp(ip)) break;
    if (comma < 0) break;
  }
  return client;
}

/**
 * Sets `rq(c).clientIp`. An unknown peer (socket already gone) gives `''`, which no allow-list
 * contains.
 * @example app.use(clientIp({ policy, deps }))
 */
export function clientIp(ctx: PipelineContext): MiddlewareHandler<GatewayEnv> {
  const trusted = trustedProxies(ctx.policy);
  if (trusted.size === 0) {
    // The common deployment: no proxy in front, the peer is the client.
    return function clientIp(c, next) {
      const peer = socketPeer(c);
      const state = rq(c);
      state.clientIp = peer === undefined ? '' : (canonicalAddress(peer) ?? '');
      state.peerTrusted = false;
      return next();
    };
  }
  // Not async: nothing runs after next(), so no extra promise per request.
  return function clientIp(c, next) {
    const text = socketPeer(c);
    const peer = text === undefined ? null : canonicalAddress(text);
    let client = peer ?? '';
    const peerTrusted = peer !== null && trusted.hasText(peer);
    if (peerTrusted) client = forwardedClient(requestHeader(c, 'x-forwarded-for'), peer, trusted);
    const state = rq(c);
    state.clientIp = client;
    state.peerTrusted = peerTrusted;
    return next();
  };
}
