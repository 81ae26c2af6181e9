/**
 * Target (a): the upstream alone — node:http answering every request with the same 1 KB JSON body.
 * It is also the upstream behind every proxy target, so the ratios compare like with like.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { announceReady, exitOnSignal } from './child.js';

/** A JSON document of exactly 1024 bytes, built once. */
export function kilobyteJson(): Buffer {
  const base = { id: 'res_0001', status: 'published', outcome: 'pass', padding: '' };
  const overhead = Buffer.byteLength(JSON.stringify(base));
  base.padding = 'x'.repeat(1024 - overhead);
  return Buffer.from(JSON.stringify(base));
}

const body = kilobyteJson();
const headers = { 'content-type': 'application/json', 'content-length': String(body.length) };

const server = createServer((req, res) => {
  // Drain any request body before answering so keep-alive connections stay usable.
  req.resume();
  req.on('end', () => {
    res.writeHead(200, headers);
    res.end(body);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => announceReady((server.address() as AddressInfo).port));
exitOnSignal(() => new Promise<void>((resolve) => server.close(() => resolve())));
