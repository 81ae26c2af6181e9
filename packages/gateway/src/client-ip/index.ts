/**
 * Step 2 of the pipeline (DESIGN §4): the client address every later decision uses, logs and
 * forwards. It is the socket peer, unless the peer is one of `server.trustedProxies`; then
 * `X-Forwarded-For` is walked from the right, skipping trusted hops, and the first untrusted hop is
 * the client. Entries left of it were written by the client itself and are never read, so they can
 * neither spoof an address nor cause an error. A malformed entry among those walked is a `400`:
 * a header from a trusted proxy that cannot be read is a broken proxy, and guessing would let the
 * client pick its own address.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { GatewayError } from '../errors.js';
import type { PipelineContext } from '../pipeline.js';
import type { Policy } from '../policy/schema.js';
import type { GatewayEnv } from '../types.js';
import { type Address, CidrSet, canonicalAddress, parseAddress } from './cidr.js';

export { type Address, CidrSet, canonicalAddress, parseAddress } from './cidr.js';

const trustedSets = new WeakMap<Policy, CidrSet>();

/**
 * `server.trustedProxies` compiled once per policy load (memoised per policy object, so every
 * module that asks shares one set).
 */
export function trustedProxies(policy: Policy): CidrSet {
  let set = trustedSets.get(policy);
  if (!set) {
    set = new CidrSet(policy.server.trustedProxies);
    trustedSets.set(policy, set);
  }
  return set;
}

/**
 * The socket peer's address as Node reports it, or `undefined` when there is no socket
 * (e.g. `app.request()` without bindings) or it is already closed.
 */
export function socketPeer(c: Context<GatewayEnv>): string | undefined {
  return c.env?.incoming?.socket?.remoteAddress;
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

/**
 * Walks `X-Forwarded-For` from the right, skipping trusted hops.
 * @returns the first untrusted hop; the leftmost hop when every hop is trusted; `peer` without a header
 * @throws GatewayError `bad_request` for an entry (among those walked) that is not an address
 */
export function forwardedClient(header: string | undefined, peer: Address, trusted: CidrSet): Address {
  if (header === undefined || header.trim() === '') return peer;
  const hops = header.split(',');
  let client = peer;
  for (let i = hops.length - 1; i >= 0; i--) {
    const addr = parseAddress(hops[i]!.trim());
    if (!addr) throw new GatewayError('bad_request', { message: 'Malformed X-Forwarded-For header.' });
    client = addr;
    if (!trusted.has(addr)) break;
  }
  return client;
}

/**
 * Sets `c.var.clientIp`. An unknown peer (socket already gone) gives `''`, which no allow-list
 * contains.
 * @example app.use(clientIp({ policy, deps }))
 */
export function clientIp(ctx: PipelineContext): MiddlewareHandler<GatewayEnv> {
  const trusted = trustedProxies(ctx.policy);
  if (trusted.size === 0) {
    // The common deployment: no proxy in front, the peer is the client. No parse on this path.
    return async function clientIp(c, next) {
      const peer = socketPeer(c);
      c.set('clientIp', peer === undefined ? '' : (canonicalAddress(peer) ?? ''));
      await next();
    };
  }
  return async function clientIp(c, next) {
    const text = socketPeer(c);
    const peer = text === undefined ? null : parseAddress(text);
    let client = peer;
    if (peer && trusted.has(peer)) client = forwardedClient(c.req.header('x-forwarded-for'), peer, trusted);
    c.set('clientIp', client ? client.toString() : '');
    await next();
  };
}
