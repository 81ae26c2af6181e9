/**
 * Requests refused before the pipeline sees them (issue #14): what Node's HTTP parser rejects
 * (smuggling attempts — `Content-Length` with `Transfer-Encoding`, two `Content-Length`s —, a
 * malformed request line, headers too large) and what the listener refuses itself (two `Host`
 * lines, a target that is no URL). Each gets the same JSON error with a request id as every other
 * refusal, and an access line under `_gateway`, so an auditor sees every request that was made.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { GatewayDeps } from '../deps.js';
import { ERROR_CODES } from '../errors.js';
import { PAGE_HEADERS } from '../http/headers.js';
import { GATEWAY_TENANT } from '../logs/files.js';
import { canonicalAddress } from '../net/cidr.js';
import type { AccessLogSink } from '../types.js';
import { newRequestId } from './index.js';
import { NO_ZONE } from './metrics.js';

/** The status a parser error earns: 431 for headers too large, 408 for a request that never came, else 400. */
function statusOf(code: string | undefined): 400 | 408 | 431 {
  if (code === 'HPE_HEADER_OVERFLOW') return 431;
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return 408;
  return 400;
}

/** The peer's canonical address (net/cidr.ts: IPv4-mapped IPv6 unmapped), '' when unknown. */
function unmapped(ip: string | undefined): string {
  return (ip && canonicalAddress(ip)) || '';
}

/** Writes the access line of a request refused before the pipeline. */
export function logRefused(
  sink: AccessLogSink,
  fields: {
    requestId: string;
    ip: string;
    method: string;
    status: number;
    bytes: number;
    ua?: string | null;
  },
): void {
  sink.write({
    ts: new Date().toISOString(),
    reqId: fields.requestId,
    tenant: GATEWAY_TENANT,
    zone: null,
    ip: fields.ip,
    method: fields.method,
    path: '',
    status: fields.status,
    bytes: fields.bytes,
    ms: 0,
    upstreamMs: null,
    user: null,
    decision: fields.status === 408 ? 'request_timeout' : 'bad_request',
    ua: fields.ua ?? null,
  });
}

/**
 * A `'clientError'` listener for the gateway's servers: answers what can still be answered and
 * logs it; a connection reset by the client is only closed (there was no request to log).
 * @example server.on('clientError', onClientError(deps))
 */
export function onClientError(deps: GatewayDeps): (err: NodeJS.ErrnoException, socket: Duplex) => void {
  const metrics = deps.metrics;
  return (err, socket) => {
    if (err.code === 'ECONNRESET' || err.code === 'EPIPE' || !socket.writable) {
      socket.destroy();
      return;
    }
    // A keep-alive connection that simply timed out between requests made no request at all.
    if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT' && (err as { bytesParsed?: number }).bytesParsed === 0) {
      socket.destroy();
      return;
    }
    const status = statusOf(err.code);
    const requestId = newRequestId();
    const code = status === 408 ? 'request_timeout' : 'bad_request';
    const body = JSON.stringify({ error: { code, message: ERROR_CODES[code].en, requestId } });
    const head = [
      `HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : status === 408 ? 'Request Timeout' : 'Bad Request'}`,
      'content-type: application/json; charset=utf-8',
      `content-length: ${Buffer.byteLength(body)}`,
      'connection: close',
      `x-request-id: ${requestId}`,
      ...PAGE_HEADERS.map(([name, value]) => `${name}: ${value}`),
    ];
    socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
    const peer = socket as Duplex & { remoteAddress?: string };
    logRefused(deps.accessLog, {
      requestId,
      ip: unmapped(peer.remoteAddress),
      method: '',
      status,
      bytes: Buffer.byteLength(body),
    });
    metrics.request(status, code, GATEWAY_TENANT, NO_ZONE, 0);
  };
}

/** The client's address of a parsed request, IPv4-mapped IPv6 unmapped. */
export function requestPeer(req: IncomingMessage): string {
  return unmapped(req.socket.remoteAddress);
}
