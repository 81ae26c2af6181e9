/**
 * One measured load run against one target: a warm-up, then autocannon for the given duration
 * while the target's RSS is sampled from /proc. Loopback only: the URL is always 127.0.0.1.
 */
import { execFile, execFileSync } from 'node:child_process';
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
  /** wrk (one thread), or autocannon. @default 'autocannon' */
  loader?: 'wrk' | 'autocannon';
}

/** The wrk binary, or null when it is not installed. */
export function findWrk(): string | null {
  try {
    return execFileSync('sh', ['-c', 'command -v wrk'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

/** What one load run returns, whichever generator ran it. */
interface LoadFigures {
  requests: number;
  durationS: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

function ms(value: string, unit: string): number {
  const n = Number(value);
  return unit === 'us' ? n / 1000 : unit === 's' ? n * 1000 : n;
}

/** Parses wrk's report (`--latency`). */
export function parseWrk(out: string): LoadFigures {
  const lat = (p: string) => {
    const m = new RegExp(`^\\s*${p}%\\s+([\\d.]+)(us|ms|s)\\s*$`, 'm').exec(out);
    return m ? Math.round(ms(m[1]!, m[2]!) * 10) / 10 : 0;
  };
  const total = /(\d+) requests in ([\d.]+)(us|ms|s|m)/.exec(out);
  if (!total) throw new Error(`wrk: unexpected output: ${out.slice(0, 300)}`);
  const unit = total[3]!;
  const durationS = Number(total[2]) * (unit === 'm' ? 60 : unit === 's' ? 1 : unit === 'ms' ? 1e-3 : 1e-6);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const errors = sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  return { requests: Number(total[1]), durationS, p50: lat('50'), p99: lat('99'), non2xx, errors };
}

function wrk(
  port: number,
  request: BenchRequest,
  opts: LoadOptions,
  durationS: number,
): Promise<LoadFigures> {
  const args = [
    '-t1',
    `-c${opts.connections}`,
    `-d${Math.max(1, Math.round(durationS))}s`,
    '--latency',
    '--timeout',
    '10s',
  ];
  // wrk adds its own `Host` unless one is given spelled exactly so: Title-Case every name.
  const title = (name: string) =>
    name.replace(/(^|-)([a-z])/g, (_, dash: string, ch: string) => dash + ch.toUpperCase());
  for (const [name, value] of Object.entries(request.headers)) args.push('-H', `${title(name)}: ${value}`);
  args.push(`http://127.0.0.1:${port}${request.path}`);
  return new Promise((resolve, reject) => {
    execFile('wrk', args, { timeout: (durationS + 30) * 1000 }, (err, stdout) => {
      if (err) reject(err);
      else {
        try {
          resolve(parseWrk(stdout));
        } catch (e) {
          reject(e);
        }
      }
    });
  });
}

async function run(
  port: number,
  request: BenchRequest,
  opts: LoadOptions,
  durationS: number,
): Promise<LoadFigures> {
  if (opts.loader === 'wrk' && opts.pipelining === 1) return wrk(port, request, opts, durationS);
  const r = await cannon(port, request, opts, durationS);
  return {
    requests: r.requests.total,
    durationS: r.duration,
    p50: r.latency.p50,
    p99: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
  };
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
  if (opts.warmupS > 0) await run(port, request, opts, opts.warmupS);
  const rss = sampleRss(pids);
  const cpuBefore = cpuOfAll(pids());
  const mainBefore = mainThreadCpuOfAll(pids());
  const result = await run(port, request, opts, opts.durationS);
  const cpuUsed = cpuOfAll(pids()) - cpuBefore;
  const mainUsed = mainThreadCpuOfAll(pids()) - mainBefore;
  const peak = rss.stop();
  return {
    rps: result.requests / result.durationS,
    p50: result.p50,
    p99: result.p99,
    rss: peak,
    cpuUs: result.requests > 0 ? cpuUsed / result.requests : 0,
    mainCpuUs: result.requests > 0 ? mainUsed / result.requests : 0,
    non2xx: result.non2xx,
    errors: result.errors,
    requests: result.requests,
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
