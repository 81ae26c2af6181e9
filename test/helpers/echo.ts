/**
 * A tiny upstream for the end-to-end tests: answers every request with JSON of what it received
 * (method, url, headers, body length), so tests can assert what the gateway forwarded.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the echo upstream saw. */
export interface EchoRecord {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  bodyBytes: number;
}

/** Options of {@link startEchoUpstream}. */
export interface EchoOptions {
  /** Wait this long before answering (to test upstream timeouts). @default 0 */
  delayMs?: number;
  /** Answer some requests yourself (return true when handled). */
  handle?: (req: http.IncomingMessage, res: http.ServerResponse) => boolean;
}

/** A running echo upstream. */
export interface EchoUpstream {
  url: string;
  port: number;
  /** Every request received, in order. */
  requests: EchoRecord[];
  close(): Promise<void>;
}

/**
 * Starts the echo upstream on 127.0.0.1, a free port.
 * @example const echo = await startEchoUpstream(); try { … } finally { await echo.close(); }
 */
export async function startEchoUpstream(options: EchoOptions = {}): Promise<EchoUpstream> {
  const requests: EchoRecord[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const server = http.createServer((req, res) => {
    let bodyBytes = 0;
    req.on('data', (c: Buffer) => {
      bodyBytes += c.length;
    });
    req.on('end', () => {
      const record: EchoRecord = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        bodyBytes,
      };
      requests.push(record);
      if (options.handle?.(req, res)) return;
      const answer = () => {
        res.writeHead(200, {
          'content-type': 'application/json',
          connection: 'X-Upstream-Secret',
          'x-upstream-secret': 'leak',
        });
        res.end(JSON.stringify(record));
      };
      if (!options.delayMs) return answer();
      const t = setTimeout(() => {
        timers.delete(t);
        answer();
      }, options.delayMs);
      timers.add(t);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
