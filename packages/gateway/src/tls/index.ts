/**
 * Step 3 of the pipeline: TLS only (docs/architecture.md §4). The plain-HTTP listener serves the same app; a
 * request is plain when its socket is not encrypted. GET/HEAD get `308` to the same host on the
 * HTTPS port (path and query kept), every other method `403 tls_required` — never forwarded, so a
 * body sent in clear is not passed on. Behind a TLS-terminating proxy `X-Forwarded-Proto: https`
 * counts only from a trusted peer. HTTPS responses carry HSTS and the security headers.
 */
import type { TLSSocket } from 'node:tls';
import type { Context, MiddlewareHandler } from 'hono';
import type { PipelineContext } from '../deps.js';
import { GatewayError } from '../errors.js';
import { setPageHeaders } from '../http/headers.js';
import { hostName } from '../http/host.js';
import { peerTrusted, trustedProxies } from '../net/peer.js';
import { requestHeader } from '../request-header.js';
import { rq } from '../request-state.js';
import type { GatewayEnv } from '../types.js';

/** A Host we are willing to put into a Location: a name or IP literal, an optional port. */
const HOST_RE = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

function isEncrypted(c: Context<GatewayEnv>): boolean {
  return (c.env.incoming.socket as TLSSocket).encrypted === true;
}

/**
 * Refuses plain HTTP, sets `rq(c).secure`, adds HSTS and security headers to gateway responses.
 * @throws {GatewayError} `tls_required` for non-GET/HEAD requests over plain HTTP
 * @example app.use(requireTls({ policy, deps }))
 */
export function requireTls(ctx: PipelineContext): MiddlewareHandler<GatewayEnv> {
  const trusted = trustedProxies(ctx.policy);
  const anyTrusted = ctx.policy.server.trustedProxies.length > 0;
  const deps = ctx.deps;
  const policyPort = ctx.policy.server.https.port;
  // Only a tenant's host is redirected: `Host: evil.example` must not make the gateway answer
  // with a redirect there (an open redirect, and poison for any cache in front).
  const known = new Set<string>();
  for (const tenant of Object.values(ctx.policy.tenants)) {
    for (const h of tenant.hosts) {
      const bareIpv6 = !h.startsWith('[') && h.indexOf(':') !== h.lastIndexOf(':');
      known.add(bareIpv6 ? h.toLowerCase() : hostName(h));
    }
  }
  // Not async: nothing runs after next(), so no extra promise per request (a sync throw is still
  // caught by Hono's compose and rendered by onError).
  return function requireTls(c, next) {
    const state = rq(c);
    let secure = isEncrypted(c);
    let viaProxy = false;
    // The peer was decided once (net/peer.ts): the client-address step's answer, read again here.
    if (!secure && anyTrusted && peerTrusted(c, trusted, state)) {
      viaProxy = true;
      secure = requestHeader(c, 'x-forwarded-proto')?.toLowerCase() === 'https';
    }
    state.secure = secure;
    if (!secure) return Promise.resolve(plain(c, viaProxy));
    // The security headers go on in requestId's after-step (one place for every response).
    return next();
  };

  function plain(c: Context<GatewayEnv>, viaProxy: boolean): Response {
    const method = c.req.method;
    if (method !== 'GET' && method !== 'HEAD') throw new GatewayError('tls_required');
    // (No Host header — HTTP/1.0 with an absolute-form target: the URL's authority stands in for it.)
    const host = c.req.header('host') ?? new URL(c.req.url).host;
    if (!HOST_RE.test(host)) throw new GatewayError('bad_request', { message: 'Invalid Host header.' });
    if (!known.has(hostName(host))) throw new GatewayError('unknown_host');
    const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0]!;
    // Behind a proxy the public HTTPS port is the proxy's (443); directly, it is ours.
    const port = viaProxy ? 443 : (deps.httpsPort ?? policyPort);
    const target = c.env.incoming.url ?? '/';
    const path = target.startsWith('/') ? target : '/';
    const res = new Response(null, {
      status: 308,
      headers: { location: `https://${name}${port === 443 ? '' : `:${port}`}${path}` },
    });
    setPageHeaders(res.headers, false);
    return res;
  }
}
