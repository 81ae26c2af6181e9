/**
 * Step 2 of the pipeline (docs/architecture.md §4): the client address every later decision uses, logs and
 * forwards. It is the socket peer, unless the peer is one of `server.trustedProxies`; then
 * `X-Forwarded-For` is walked from the right, skipping trusted hops, and the first untrusted hop is
 * the client. Entries left of it were written by the client itself and are never read, so they can
 * neither spoof an address nor cause an error. A malformed entry among those walked is a `400`:
 * a header from a trusted proxy that cannot be read is a broken proxy, and guessing would let the
 * client pick its own address.
 */
import type { MiddlewareHandler } from 'hono';
import type { PipelineContext } from '../deps.js';
import { GatewayError } from '../errors.js';
import { type CidrSet, type Ip, ipText, keptIp, parseIp } from '../net/cidr.js';
import { peerTrusted, trustedProxies } from '../net/peer.js';
import { requestHeader } from '../request-header.js';
import { type GatewayEnv, type RequestState, rq } from '../request-state.js';

function malformed(): GatewayError {
  return new GatewayError('bad_request', { message: 'Malformed X-Forwarded-For header.' });
}

/**
 * The canonical text of one hop already parsed as `ip`. A hop without `:` that parsed as IPv4 was
 * a strict dotted quad (parseIp reads IPv6 only from text with `:`), which is its own text.
 */
function hopText(hop: string, ip: Ip): string {
  return typeof ip === 'number' && !hop.includes(':') ? hop : ipText(ip);
}

/**
 * Walks `X-Forwarded-For` from the right, skipping trusted hops, and sets `state.clientIp` and
 * `state.clientAddr`: the first untrusted hop; the leftmost hop when every hop is trusted; the
 * (trusted) socket peer without a header.
 * @throws GatewayError `bad_request` for an entry (among those walked) that is not an address
 */
export function forwardedClient(header: string | undefined, state: RequestState, trusted: CidrSet): void {
  let text = state.peer;
  let addr = state.peerAddr;
  if (header !== undefined) {
    let end = header.length;
    // Right to left without split(): the common header is one hop, and nothing left of the client
    // is even looked at.
    for (let first = true; end >= 0; first = false) {
      const comma = header.lastIndexOf(',', end - 1);
      const hop = header.slice(comma + 1, end).trim();
      end = comma;
      if (first && comma < 0 && hop === '') break; // an empty header: no hop at all
      const ip = parseIp(hop);
      if (ip === null) throw malformed();
      text = hopText(hop, ip);
      addr = keptIp(ip);
      if (!trusted.hasIp(ip)) break;
      if (comma < 0) break;
    }
  }
  state.clientIp = text;
  state.clientAddr = addr;
}

/**
 * Sets `rq(c).clientIp` and `clientAddr` (deciding the peer through net/peer.ts, if no step
 * before did). An unknown peer (socket already gone) gives `''` and null, which no allow-list
 * contains.
 * @example app.use(clientIp({ policy, deps }))
 */
export function clientIp(ctx: PipelineContext): MiddlewareHandler<GatewayEnv> {
  const trusted = trustedProxies(ctx.policy);
  // Not async: nothing runs after next(), so no extra promise per request.
  return function clientIp(c, next) {
    const state = rq(c);
    if (peerTrusted(c, trusted, state)) forwardedClient(requestHeader(c, 'x-forwarded-for'), state, trusted);
    else {
      // The common deployment: no proxy in front, the peer is the client.
      state.clientIp = state.peer;
      state.clientAddr = state.peerAddr;
    }
    return next();
  };
}
