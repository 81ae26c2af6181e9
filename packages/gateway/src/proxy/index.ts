/**
 * Step 13 of the pipeline: the proxy hop (DESIGN §10). Served by Node, it takes the fast path:
 * request headers read from `incoming.rawHeaders`, the body streamed from `incoming`, the answer
 * streamed by an undici dispatch handler straight into the Node response (node-hop.ts), then
 * `RESPONSE_ALREADY_SENT` — no web `Request`/`Response` is built, nothing is buffered. Under
 * `app.request()` (unit tests) it answers with a web `Response` with the same header hygiene.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { Context, MiddlewareHandler } from 'hono';
import type { Dispatcher } from 'undici';
import { GatewayError } from '../errors.js';
import { gatewayMetrics } from '../ops/metrics.js';
import { peerAddress } from '../ops/trusted-peer.js';
import type { PipelineContext } from '../pipeline.js';
import { mergePresetHeaders } from '../session/cookies.js';
import { encodePath } from '../tenant/normalize.js';
import { HSTS, PROXIED_HEADERS } from '../tls/headers.js';
import type { GatewayEnv } from '../types.js';
import { BodyTooLargeError, limitBody } from './body.js';
import { copyRequestHeaders, copyResponseHeaders, hasHeader } from './headers.js';
import { appendIdentityHeaders, type SignedRequest } from './identity.js';
import { NodeHop } from './node-hop.js';
import { upstreamPool } from './pool.js';
import { rq } from '../request-state.js';

export { closeUpstreamPools } from './pool.js';

type Ctx = Context<GatewayEnv>;

const NO_ROLES: readonly string[] = Object.freeze([]);

function appendGatewayHeaders(
  c: Ctx,
  host: string,
  request: SignedRequest,
  secret: Uint8Array,
  nowMs: number,
  out: string[],
): void {
  const state = rq(c);
  const peer = peerAddress(c);
  const client = state.clientIp || peer;
  // The address the gateway decided on, then the hop it came through when that was a trusted proxy.
  out.push('x-forwarded-for', client === peer || peer === '' ? client : `${client}, ${peer}`);
  out.push('x-forwarded-proto', 'https', 'x-forwarded-host', host);
  const user = state.user;
  appendIdentityHeaders(
    out,
    secret,
    {
      tenant: state.tenantId ?? '',
      user: user?.name ?? '',
      roles: user?.roles ?? NO_ROLES,
      requestId: state.requestId,
    },
    request,
    nowMs,
  );
}

function responseHead(c: Ctx, headers: Record<string, string | string[] | undefined>): string[] {
  const out: string[] = [];
  copyResponseHeaders(headers, out);
  out.push('x-request-id', rq(c).requestId, HSTS[0], HSTS[1]);
  for (const [name, value] of PROXIED_HEADERS) if (!hasHeader(out, name)) out.push(name, value);
  // The session's renewed cookie and no-store, preset on the Node response before this hop.
  mergePresetHeaders(c.env?.outgoing as ServerResponse | undefined, out);
  return out;
}

function upstreamError(err: unknown): GatewayError {
  if (err instanceof BodyTooLargeError) return new GatewayError('payload_too_large');
  const code = (err as { code?: string }).code;
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return new GatewayError('upstream_timeout', { cause: err });
  }
  return new GatewayError('upstream_unavailable', { cause: err });
}

/**
 * Forwards the request to `server.upstream` with the identity the gateway established.
 * @throws {GatewayError} `payload_too_large` (413), `upstream_unavailable` (502), `upstream_timeout` (504)
 * @example app.all('*', proxy({ policy, deps }))
 */
export function proxy(ctx: PipelineContext): MiddlewareHandler<GatewayEnv> {
  const upstream = ctx.policy.server.upstream;
  const url = new URL(upstream.url);
  const basePath = url.pathname.replace(/\/+$/, '');
  const pool = upstreamPool(ctx.deps, url.origin, upstream);
  const { identitySecret: secret, now } = ctx.deps;
  const maxBody = upstream.maxBodySize;
  const metrics = gatewayMetrics(ctx.deps);

  return function proxy(c) {
    const incoming = c.env?.incoming as IncomingMessage | undefined;
    const outgoing = c.env?.outgoing as ServerResponse | undefined;
    if (!incoming || !outgoing) return proxyResponse(c);
    const method = incoming.method ?? 'GET';
    const cl = incoming.headers['content-length'];
    if (cl !== undefined && Number(cl) > maxBody) throw new GatewayError('payload_too_large');
    const hasBody = cl !== undefined ? cl !== '0' : incoming.headers['transfer-encoding'] !== undefined;
    const state = rq(c);
    const headers: string[] = [];
    copyRequestHeaders(incoming.rawHeaders, state.zone?.auth !== 'none', headers);
    const started = now();
    // The signature is bound to the method and the exact target the upstream receives.
    const target = basePath + encodePath(state.path ?? '/') + (state.search ?? '');
    appendGatewayHeaders(c, incoming.headers.host ?? '', { method, target }, secret, started, headers);
    const tenant = state.tenantId ?? '_gateway';
    return new Promise<Response>((resolve, reject) => {
      const hop = new NodeHop(outgoing, {
        head(statusCode, upstreamHeaders) {
          const ms = now() - started;
          state.upstreamMs = ms;
          metrics.upstream(tenant, ms / 1000);
          outgoing.writeHead(statusCode, responseHead(c, upstreamHeaders));
        },
        done(bytes) {
          state.bytesSent = bytes;
          resolve(RESPONSE_ALREADY_SENT);
        },
        failed(err, clientGone) {
          if (clientGone) {
            // Logged as nginx does (499): nobody is left to answer, and it is no upstream failure.
            state.decision = 'client_closed';
            if (!outgoing.headersSent) outgoing.statusCode = 499;
          } else if (!outgoing.headersSent) {
            reject(upstreamError(err));
            return;
          }
          // Once the head is out, the only honest signal left is to cut the connection.
          outgoing.destroy();
          resolve(RESPONSE_ALREADY_SENT);
        },
      });
      pool.dispatch(
        {
          path: target,
          method: method as Dispatcher.HttpMethod,
          headers,
          body: hasBody ? limitBody(incoming, maxBody) : null,
        },
        hop,
      );
    });
  };

  /** The same hop, answered with a web Response (no Node response to write into). */
  async function proxyResponse(c: Ctx): Promise<Response> {
    const raw: string[] = [];
    c.req.raw.headers.forEach((value, name) => {
      raw.push(name, value);
    });
    const cl = c.req.header('content-length');
    if (cl !== undefined && Number(cl) > maxBody) throw new GatewayError('payload_too_large');
    const headers: string[] = [];
    copyRequestHeaders(raw, rq(c).zone?.auth !== 'none', headers);
    const started = now();
    const target = basePath + encodePath(rq(c).path ?? '/') + (rq(c).search ?? '');
    const method = c.req.method;
    appendGatewayHeaders(c, new URL(c.req.url).host, { method, target }, secret, started, headers);
    let res: Dispatcher.ResponseData;
    try {
      res = await pool.request({
        path: target,
        method: method as Dispatcher.HttpMethod,
        headers,
        body: c.req.raw.body
          ? Readable.fromWeb(c.req.raw.body as import('node:stream/web').ReadableStream)
          : null,
      });
    } catch (err) {
      throw upstreamError(err);
    }
    rq(c).upstreamMs = now() - started;
    const out = new Headers();
    const head = responseHead(c, res.headers);
    for (let i = 0; i < head.length; i += 2) out.append(head[i]!, head[i + 1]!);
    const empty = c.req.method === 'HEAD' || res.statusCode === 204 || res.statusCode === 304;
    if (empty) res.body.resume();
    return new Response(empty ? null : (Readable.toWeb(res.body) as ReadableStream), {
      status: res.statusCode,
      headers: out,
    });
  }
}
