/**
 * The identity the gateway forwards to the upstream, and its signature (docs/architecture.md §8).
 *
 * `X-Gateway-Signature: t=<unix seconds>,v2=<base64url HMAC-SHA256>` over a canonical string of
 * the timestamp, the request's method and target (path and query exactly as the upstream receives
 * them, Node's `req.url`), tenant, user, roles and request id (user and roles percent-encoded on
 * the wire, so UTF-8 names survive Latin-1 headers; the signature covers the decoded values), with
 * a per-deployment secret. Upstreams import `verifyIdentity` from `@resultgate/gateway/identity`
 * (node:crypto only, no other dependency) so a request that skipped the gateway, or forged an
 * `X-Gateway-*` header, is refused.
 *
 * Why v2 binds the request: a v1 signature covered only the identity, so a header set seen once
 * (an upstream debug echo, an upstream-side log) could be replayed for the whole tolerance straight
 * at the upstream with any method and path — a GET's identity reused for `POST /admin/…`, past
 * the gateway's zone, IP and role checks. v1 is no longer accepted. Replaying the IDENTICAL request
 * within the tolerance stays possible; the request id is signed, so an upstream that needs more
 * can keep a cache of the ids it has seen for `toleranceSeconds`.
 */
import { timingSafeEqual } from 'node:crypto';
import { hmacSha256 } from './hmac.js';

export const IDENTITY_HEADERS = {
  tenant: 'x-gateway-tenant',
  user: 'x-gateway-user',
  roles: 'x-gateway-roles',
  requestId: 'x-request-id',
  signature: 'x-gateway-signature',
} as const;

/** What the gateway established about a request. `user` is '' and `roles` empty when anonymous. */
export interface Identity {
  tenant: string;
  user: string;
  roles: readonly string[];
  requestId: string;
}

/** The request a signature is bound to, as the upstream receives it. */
export interface SignedRequest {
  /** The method, as sent (compared case-sensitively): `GET`, `POST`… */
  method: string;
  /** The request target, path and query byte for byte (Node's `req.url`): `/api/v1/results?x=1` */
  target: string;
}

function canonical(id: Identity, req: SignedRequest, timestamp: number): string {
  // Newlines cannot occur in a request line or header values, so fields cannot shift into each other.
  return `v2\n${timestamp}\n${req.method}\n${req.target}\n${id.tenant}\n${id.user}\n${id.roles.join(',')}\n${id.requestId}`;
}

// Preparing a key costs more than one HMAC; the gateway signs every proxied request.
const byteKeys = new WeakMap<Uint8Array, (text: string) => string>();
const textKeys = new Map<string, (text: string) => string>();

function macOf(secret: string | Uint8Array): (text: string) => string {
  if (typeof secret === 'string') {
    let mac = textKeys.get(secret);
    if (!mac) {
      if (textKeys.size > 16) textKeys.clear();
      mac = hmacSha256(Buffer.from(secret, 'utf8'));
      textKeys.set(secret, mac);
    }
    return mac;
  }
  let mac = byteKeys.get(secret);
  if (!mac) {
    mac = hmacSha256(secret);
    byteKeys.set(secret, mac);
  }
  return mac;
}

function mac(secret: string | Uint8Array, text: string): string {
  return macOf(secret)(text);
}

/**
 * Signs an identity for one request.
 * @param secret the per-deployment key (`identity.secretFile`)
 * @param identity tenant, user, roles and request id
 * @param request the method and the exact request target the upstream will receive
 * @param nowMs the current time in milliseconds (default `Date.now()`)
 * @returns the value of `X-Gateway-Signature` (`t=…,v2=…`)
 * @example headers['x-gateway-signature'] = signIdentity(secret, identity, { method: 'GET', target: '/api/x?y=1' })
 */
export function signIdentity(
  secret: string | Uint8Array,
  identity: Identity,
  request: SignedRequest,
  nowMs = Date.now(),
): string {
  const t = Math.floor(nowMs / 1000);
  return `t=${t},v2=${mac(secret, canonical(identity, request, t))}`;
}

// The roles of a user compiled from the policy are one frozen array for the life of a policy load:
// their wire form is worked out once, not percent-encoded and joined on every request.
const encodedRoles = new WeakMap<readonly string[], string>();

function rolesHeader(roles: readonly string[]): string {
  if (roles.length === 0) return '';
  let value = encodedRoles.get(roles);
  if (value === undefined) {
    value = roles.map(encodeURIComponent).join(',');
    if (Object.isFrozen(roles)) encodedRoles.set(roles, value);
  }
  return value;
}

/**
 * Appends the identity headers, signature included, to a flat name/value list (what undici takes):
 * what the proxy does on every forwarded request, without an object per request.
 * @param request the method and the exact request target the upstream will receive
 * @example appendIdentityHeaders(upstreamHeaders, secret, identity, { method, target }, Date.now())
 */
export function appendIdentityHeaders(
  out: string[],
  secret: string | Uint8Array,
  identity: Identity,
  request: SignedRequest,
  nowMs = Date.now(),
): void {
  out.push(
    IDENTITY_HEADERS.tenant,
    identity.tenant,
    // Header values are Latin-1 on the wire; UTF-8 user names and roles travel percent-encoded.
    IDENTITY_HEADERS.user,
    identity.user === '' ? '' : encodeURIComponent(identity.user),
    IDENTITY_HEADERS.roles,
    rolesHeader(identity.roles),
    IDENTITY_HEADERS.requestId,
    identity.requestId,
    IDENTITY_HEADERS.signature,
    signIdentity(secret, identity, request, nowMs),
  );
}

/**
 * Returns the identity headers, signature included, that the gateway sets on a forwarded request.
 * @param request the method and the exact request target the upstream will receive
 * @example Object.assign(upstreamHeaders, identityHeaders(secret, identity, { method, target }))
 */
export function identityHeaders(
  secret: string | Uint8Array,
  identity: Identity,
  request: SignedRequest,
  nowMs = Date.now(),
): Record<string, string> {
  const list: string[] = [];
  appendIdentityHeaders(list, secret, identity, request, nowMs);
  const headers: Record<string, string> = {};
  for (let i = 0; i < list.length; i += 2) headers[list[i]!] = list[i + 1]!;
  return headers;
}

type HeaderSource = Headers | Record<string, string | string[] | undefined>;

function read(headers: HeaderSource, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const v = (headers as Record<string, string | string[] | undefined>)[name];
  return Array.isArray(v) ? undefined : v; // a repeated identity header is never trusted
}

/** Options of {@link verifyIdentity}. */
export interface VerifyIdentityOptions {
  /**
   * The request as this upstream received it: the method and the raw target (Node's `req.url`,
   * not a normalised URL). Required: the signature is bound to them.
   */
  request: SignedRequest;
  /** Current time in milliseconds. @default Date.now() */
  now?: number;
  /** Largest accepted age (and clock skew) of a signature, in seconds. @default 300 */
  toleranceSeconds?: number;
}

/**
 * Verifies the identity headers of a request forwarded by the gateway.
 * @param headers a `Headers` object or Node's `IncomingHttpHeaders`
 * @param secret the same per-deployment key the gateway signs with
 * @param options `request` (required): the method and raw target received; `now`, `toleranceSeconds`
 * @returns the verified identity, or `null` when absent, forged, altered, too old, signed for
 *   another method or target, or signed in the retired `v1` form
 * @throws TypeError when `options.request` is missing (a caller written for v1)
 * @example
 * const id = verifyIdentity(req.headers, secret, { request: { method: req.method, target: req.url } });
 * if (!id) return res.writeHead(401).end();
 */
export function verifyIdentity(
  headers: HeaderSource,
  secret: string | Uint8Array,
  options: VerifyIdentityOptions,
): Identity | null {
  const request = options?.request;
  if (typeof request?.method !== 'string' || typeof request.target !== 'string') {
    // Loud, not a silent 401 on every request: an upstream written for v1 must say what it received.
    throw new TypeError('verifyIdentity: options.request { method, target } is required (signature v2)');
  }
  if (request.method.includes('\n') || request.target.includes('\n')) return null;
  const sig = read(headers, IDENTITY_HEADERS.signature);
  const tenant = read(headers, IDENTITY_HEADERS.tenant);
  const requestId = read(headers, IDENTITY_HEADERS.requestId);
  if (!sig || !tenant || !requestId) return null;
  const m = /^t=(\d{1,12}),v2=([A-Za-z0-9_-]{43})$/.exec(sig);
  if (!m) return null;
  const t = Number(m[1]);
  const now = Math.floor((options.now ?? Date.now()) / 1000);
  if (Math.abs(now - t) > (options.toleranceSeconds ?? 300)) return null;
  const rolesHeader = read(headers, IDENTITY_HEADERS.roles) ?? '';
  let identity: Identity;
  try {
    identity = {
      tenant,
      user: decodeURIComponent(read(headers, IDENTITY_HEADERS.user) ?? ''),
      roles: rolesHeader === '' ? [] : rolesHeader.split(',').map(decodeURIComponent),
      requestId,
    };
  } catch {
    return null; // malformed percent-encoding: not something the gateway wrote
  }
  const expected = Buffer.from(mac(secret, canonical(identity, request, t)));
  const given = Buffer.from(m[2]!);
  return expected.length === given.length && timingSafeEqual(expected, given) ? identity : null;
}
