/**
 * Raw HTTP(S) requests for the end-to-end tests. They connect to 127.0.0.1 (Node cannot resolve
 * `*.localhost` here) and set `Host` and SNI themselves, and send the path exactly as given —
 * `/api/../admin` reaches the gateway unnormalised, as an attacker would send it.
 */
import http from 'node:http';
import https from 'node:https';

/** One request. */
export interface RawRequest {
  port: number;
  /** Host header (and SNI over TLS). @default 'school-a.localhost' */
  host?: string;
  /** The request target, sent verbatim. @default '/' */
  path?: string;
  method?: string;
  /** Extra headers; a value of an array repeats the header. */
  headers?: Record<string, string | string[]>;
  /** The body; with a `transfer-encoding: chunked` header it is sent chunked, in 512-byte writes. */
  body?: string | Buffer;
  /** Local address to connect from (e.g. '127.0.0.2' to test IP rules). */
  localAddress?: string;
  /** Give up after this many ms. @default 10000 */
  timeout?: number;
}

/** The answer, fully read. */
export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** Parses the body as JSON. */
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON bodies
  json<T = any>(): T;
}

function send(mod: typeof http | typeof https, req: RawRequest, tls: boolean): Promise<RawResponse> {
  const host = req.host ?? 'school-a.localhost';
  const headers: Record<string, string | string[]> = { host, ...req.headers };
  const framed = Object.keys(headers).some((h) => /^(content-length|transfer-encoding)$/i.test(h));
  if (req.body !== undefined && !framed) {
    headers['content-length'] = String(Buffer.byteLength(req.body));
  }
  return new Promise((resolve, reject) => {
    const r = (mod.request as typeof https.request)(
      {
        host: '127.0.0.1',
        port: req.port,
        path: req.path ?? '/',
        method: req.method ?? 'GET',
        headers,
        localAddress: req.localAddress,
        agent: false,
        ...(tls ? { servername: host.replace(/:\d+$/, ''), rejectUnauthorized: false } : {}),
        // Node would otherwise refuse to send some of the malformed paths the tests need.
        insecureHTTPParser: true,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body) });
        });
      },
    );
    r.setTimeout(req.timeout ?? 10_000, () => r.destroy(new Error(`request timed out: ${req.path}`)));
    r.on('error', reject);
    const body = typeof req.body === 'string' ? Buffer.from(req.body) : req.body;
    if (body && framed) for (let i = 0; i < body.length; i += 512) r.write(body.subarray(i, i + 512));
    r.end(framed ? undefined : body);
  });
}

/**
 * Sends one HTTPS request to 127.0.0.1 with Host and SNI set (certificate not verified: dev cert).
 * @example const res = await httpsRequest({ port: gw.httpsPort, host: 'school-a.localhost', path: '/api/x' })
 */
export function httpsRequest(req: RawRequest): Promise<RawResponse> {
  return send(https, req, true);
}

/**
 * Sends one plain-HTTP request to 127.0.0.1 with the Host header set.
 * @example const res = await httpRequest({ port: gw.httpPort!, path: '/x' }) // expect 308
 */
export function httpRequest(req: RawRequest): Promise<RawResponse> {
  return send(http, req, false);
}
