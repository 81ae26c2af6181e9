/** One HTTPS or HTTP request to 127.0.0.1 with a given Host, for the deployment tests. */
import http from 'node:http';
import https from 'node:https';

/** A finished answer. */
export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** Options of {@link request}. */
export interface RequestOptions {
  port: number;
  path: string;
  /** Host header and TLS server name. */
  host?: string;
  method?: string;
  /** Basic credentials "user:password". */
  auth?: string;
  /** The CA to trust (the demo's self-signed certificate); plain HTTP when absent. */
  ca?: string;
  /** Called with the open request before it is ended; resolve to end it. */
  body?: (req: http.ClientRequest) => Promise<void>;
}

/**
 * @example await request({ port, path: '/api/v1/results', host: 'school-a.localhost', ca, auth: 'u:p' })
 */
export function request(options: RequestOptions): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const common = {
      host: '127.0.0.1',
      port: options.port,
      path: options.path,
      method: options.method ?? 'GET',
      headers: { host: options.host ?? 'localhost' },
      ...(options.auth ? { auth: options.auth } : {}),
      timeout: 30_000,
    };
    const onAnswer = (res: http.IncomingMessage) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    };
    const req = options.ca
      ? https.request({ ...common, ca: options.ca, servername: options.host ?? 'localhost' }, onAnswer)
      : http.request(common, onAnswer);
    req.on('timeout', () => req.destroy(new Error(`${options.path}: no answer in 30 s`)));
    req.on('error', reject);
    if (options.body) options.body(req).then(() => req.end(), reject);
    else req.end();
  });
}
