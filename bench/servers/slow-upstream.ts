/**
 * The spike's upstream: node:http answering every request after a fixed delay (200 ms: a result
 * page rendered from a database), counting how many requests it holds at once. The harness asks
 * for `{ type: 'stats' }` over IPC: the highest concurrency seen and the requests served — the
 * figure the waiting room must keep at or under the zone's `maxConcurrent`.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { announceReady, childConfig, exitOnSignal } from './child.js';

/** What the harness asks of this target. */
export interface SlowUpstreamConfig {
  delayMs: number;
}

const { delayMs } = childConfig<SlowUpstreamConfig>();
const body = Buffer.from('<!doctype html><title>result</title><p>合格 / Passed</p>\n');
let active = 0;
let maxActive = 0;
let served = 0;
/** The paths in the order they arrived: the gateway's admission order (bounded). */
const order: string[] = [];

const server = createServer((req, res) => {
  active++;
  if (active > maxActive) maxActive = active;
  if (order.length < 100_000) order.push(req.url ?? '');
  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    active--;
  };
  // A request the gateway gave up on (its client left) stops counting at once.
  res.on('close', finish);
  req.resume();
  setTimeout(() => {
    if (done) return;
    served++;
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': String(body.length) });
    res.end(body);
    finish();
  }, delayMs);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => announceReady((server.address() as AddressInfo).port));
process.on('message', (m: { type?: string }) => {
  if (m?.type === 'stats') process.send?.({ type: 'stats', maxActive, active, served, order });
});
exitOnSignal(() => new Promise<void>((resolve) => server.close(() => resolve())));
