/**
 * One measured load run against one target: a warm-up, then autocannon for the given duration
 * while the target's RSS is sampled from /proc. Loopback only: the URL is always 127.0.0.1.
 */
import autocannon from 'autocannon';
import { request } from 'undici';
import { cpuOfAll, mainThreadCpuOfAll, sampleRss } from './proc.js';

/** The request every target receives — the same bytes on the wire for all of them. */
export interface BenchRequest {
  path: string;
  headers: Record<string, string>;
}

/** How hard and how long. */
export interface LoadOptions {
  connections: number;
  pipelining: number;
  durationS: number;
  warmupS: number;
}

/** The figures of one run. */
export interface RunResult {
  rps: number;
  p50: number;
  p99: number;
  rss: number;
  /** CPU time the target used per request (user + system, all its processes), in microseconds. */
  cpuUs: number;
  /** The same, of each process's main thread only (Node: the event loop). */
  mainCpuUs: number;
  non2xx: number;
  errors: number;
  requests: number;
}

function cannon(port: number, request: BenchRequest, opts: LoadOptions, durationS: number) {
  return autocannon({
    url: `http://127.0.0.1:${port}${request.path}`,
    headers: request.headers,
    connections: opts.connections,
    pipelining: opts.pipelining,
    duration: durationS,
  });
}

/** Warms the target up, then measures it. */
export async function measure(
  port: number,
  pids: () => number[],
  request: BenchRequest,
  opts: LoadOptions,
): Promise<RunResult> {
  if (opts.warmupS > 0) await cannon(port, request, opts, opts.warmupS);
  const rss = sampleRss(pids);
  const cpuBefore = cpuOfAll(pids());
  const mainBefore = mainThreadCpuOfAll(pids());
  const result = await cannon(port, request, opts, opts.durationS);
  const cpuUsed = cpuOfAll(pids()) - cpuBefore;
  const mainUsed = mainThreadCpuOfAll(pids()) - mainBefore;
  const peak = rss.stop();
  return {
    rps: result.requests.total / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    rss: peak,
    cpuUs: result.requests.total > 0 ? cpuUsed / result.requests.total : 0,
    mainCpuUs: result.requests.total > 0 ? mainUsed / result.requests.total : 0,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    requests: result.requests.total,
  };
}

/** One request, to check that a target answers 200 with the expected body before it is measured. */
export async function probe(
  port: number,
  req: BenchRequest,
): Promise<{ status: number; bytes: number; text: string }> {
  // undici.request, not fetch: fetch may not let a caller set Host.
  const res = await request(`http://127.0.0.1:${port}${req.path}`, {
    headers: req.headers,
    headersTimeout: 5_000,
    bodyTimeout: 5_000,
  });
  const body = Buffer.from(await res.body.arrayBuffer());
  return { status: res.statusCode, bytes: body.length, text: body.subarray(0, 300).toString() };
}
