/**
 * Who the socket peer is, and whether it is a trusted proxy (`server.trustedProxies`): decided
 * once per request and kept in the request state (`rq(c).peer`, `peerAddr`, `peerTrusted`).
 * Forwarded headers (`X-Request-Id`, `X-Forwarded-For`, `X-Forwarded-Proto`) are believed only
 * from such a peer (docs/architecture.md §9); the request id, the client address, TLS, the proxy
 * and the access log all read this one answer instead of parsing the address again.
 */
import type { Context } from 'hono';
import type { Policy } from '../policy/schema.js';
import { type GatewayEnv, type RequestState, rq } from '../request-state.js';
import { CidrSet, type Ip, ipText, keptIp, parseIPv4, parseIp } from './cidr.js';

// Keyed by the policy's array itself: a reload brings a new array, so a new set.
const sets = new WeakMap<readonly string[], CidrSet>();

/**
 * `server.trustedProxies` compiled once per policy load, shared by every step that asks.
 * @example trustedProxies(policy).hasText('10.0.0.5')
 */
export function trustedProxies(policy: Policy): CidrSet {
  const cidrs = policy.server.trustedProxies;
  let set = sets.get(cidrs);
  if (!set) {
    set = new CidrSet(cidrs);
    sets.set(cidrs, set);
  }
  return set;
}

const MAPPED = '::ffff:';

/** Parses the socket's address into the state: its canonical text and its `Ip`. */
function readPeer(state: RequestState, raw: string | undefined): Ip | null {
  if (raw === undefined) return null;
  // Node reports an IPv4 peer as a dotted quad, or on a dual-stack socket as `::ffff:a.b.c.d`:
  // both read with the allocation-free IPv4 parser, the second unmapped by one slice.
  let v4 = parseIPv4(raw);
  if (v4 >= 0) {
    state.peer = raw;
    return v4 | 0; // kept signed (keptIp): no heap number per request
  }
  if (raw.startsWith(MAPPED)) {
    const tail = raw.slice(MAPPED.length);
    v4 = parseIPv4(tail);
    if (v4 >= 0) {
      state.peer = tail;
      return v4 | 0;
    }
  }
  const ip = parseIp(raw);
  if (ip === null) return null;
  state.peer = ipText(ip);
  return keptIp(ip);
}

/**
 * Whether the socket peer is a trusted proxy, deciding the peer (`rq(c).peer`, `peerAddr`,
 * `peerTrusted`) on the request's first call; later calls read the state. An unknown peer (no
 * socket, or one already closed) is `''` and never trusted.
 * @param trusted {@link trustedProxies} of the policy
 * @param state `rq(c)`, when the caller has it already
 * @example if (peerTrusted(c, trusted)) id = requestHeader(c, 'x-request-id');
 */
export function peerTrusted(c: Context<GatewayEnv>, trusted: CidrSet, state: RequestState = rq(c)): boolean {
  const known = state.peerTrusted;
  if (known !== undefined) return known;
  const socket = c.env.incoming.socket as PeerSocket;
  // A keep-alive connection asks the same question on every request: answered once per connection
  // (and again after a reload, which brings a new set).
  const memo = socket[PEER];
  if (memo !== undefined && memo.trusted === trusted) {
    state.peer = memo.peer;
    state.peerAddr = memo.addr;
    state.peerTrusted = memo.answer;
    return memo.answer;
  }
  const ip = readPeer(state, socket.remoteAddress);
  state.peerAddr = ip;
  const answer = ip !== null && trusted.size > 0 && trusted.hasIp(ip);
  state.peerTrusted = answer;
  // Not remembered while the address is unknown (a socket already closed): nothing to reuse.
  if (ip !== null) socket[PEER] = { trusted, peer: state.peer, addr: ip, answer };
  return answer;
}

/** What {@link peerTrusted} decided of a connection's peer, kept on the socket. */
interface PeerMemo {
  /** The set it was decided against. */
  trusted: CidrSet;
  peer: string;
  addr: Ip;
  answer: boolean;
}

const PEER = Symbol('resultgate.peer');

type PeerSocket = Context<GatewayEnv>['env']['incoming']['socket'] & { [PEER]?: PeerMemo };
