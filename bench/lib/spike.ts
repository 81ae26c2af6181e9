/**
 * `npm run bench -- --spike`: announcement day in miniature. Several thousand clients arrive within
 * one second at a zone with `maxConcurrent: 50` in front of an upstream that takes 200 ms a
 * request. Half are browsers (they follow the waiting page's meta refresh with its ticket cookie),
 * half API clients (they wait out `Retry-After`). Every client keeps trying until served or until
 * the run's cut-off; every request has its own timeout, and one that gets no answer in time is
 * counted as hung. Loopback only; bounded by `--clients` and `--spike-seconds`.
 */
import { request } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { launchFlags } from '../../packages/gateway/src/cli/launch-flags.js';
import type { SlowUpstreamConfig } from '../servers/slow-upstream.js';
import type { SpikeGatewayConfig } from '../servers/spike-gateway.js';
import { cpuOfAll, type RunningTarget, sampleRss, startNodeTarget } from './proc.js';

/** What the spike is asked to do. */
export interface SpikeOptions {
  clients: number;
  /** The arrivals are spread evenly over this many ms. */
  arrivalMs: number;
  maxConcurrent: number;
  maxQueue: number;
  upstreamDelayMs: number;
  /** No new request after this many seconds from the first arrival. */
  cutoffS: number;
  /** A request without an answer after this long is hung. */
  requestTimeoutMs: number;
}

export const SPIKE_DEFAULTS: SpikeOptions = {
  clients: 3000,
  arrivalMs: 1000,
  maxConcurrent: 50,
  maxQueue: 100,
  upstreamDelayMs: 200,
  cutoffS: 60,
  requestTimeoutMs: 30_000,
};

const HOST = 'spike.bench.example';

type Kind = 'browser' | 'api';

interface Client {
  i: number;
  kind: Kind;
  arrivedAt: number;
  first?: 'served' | 'waiting' | 'overloaded' | 'other';
  servedAt?: number;
  requests: number;
  /** The first ticket's issue time and sequence, as the gateway wrote them (its own arrival order). */
  ticket?: [number, number];
  waitingPages: number;
  overloaded: number;
  hung: boolean;
  error?: string;
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  ttfbMs: number;
}

/** The figures of one spike. */
export interface SpikeResult {
  options: SpikeOptions;
  browsers: number;
  apis: number;
  upstreamMaxConcurrent: number;
  upstreamServed: number;
  served: number;
  servedBrowsers: number;
  servedApis: number;
  lastServedS: number | null;
  firstAnswer: Record<string, number>;
  waitingPages: number;
  overloaded: number;
  hung: number;
  errors: number;
  /** The errors by message (ECONNRESET…). */
  errorKinds: Record<string, number>;
  unservedAtCutoff: number;
  waitingTtfbP50: number | null;
  waitingTtfbP99: number | null;
  gatewayRssPeak: number;
  /** CPU the gateway used during the spike, per request it answered (µs). */
  gatewayCpuUsPerRequest: number;
  /** The load generator's own event-loop delay p99 (ms): when high, the TTFBs include its lag. */
  harnessLagP99Ms: number;
  /** Of all pairs of served clients of a kind, the share admitted in their arrival order. */
  orderedPairs: { browser: number | null; api: number | null };
  /** Spearman's rank correlation of arrival and admission order, per kind. */
  spearman: { browser: number | null; api: number | null };
  /**
   * Ticket holders only, as the gateway saw them: the order of their tickets (issue time and
   * sequence: their arrival at the gateway) against the order the upstream received them.
   */
  tickets: { holders: number; pairs: number | null; rho: number | null };
  /** From the first client's first request to the last client's (ms): the arrival spread achieved. */
  arrivalSpreadMs: number;
  wallS: number;
}

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function send(port: number, path: string, headers: Record<string, string>, timeoutMs: number) {
  return new Promise<Answer>((resolve, reject) => {
    const started = performance.now();
    // A new connection each time, as a browser coming back after seconds would mostly need: a kept-
    // alive socket the server closes while the client waits would fail the reuse (a browser
    // retries that silently; counting it as an error here would blame the gateway).
    const req = request({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      const ttfbMs = performance.now() - started;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          ttfbMs,
        }),
      );
    });
    // From the moment the request is made, connecting included (a SYN the kernel dropped because
    // the gateway's accept queue was full counts against it): no answer by then is hung.
    const timer = setTimeout(
      () => req.destroy(Object.assign(new Error('hung'), { code: 'HUNG' })),
      timeoutMs,
    );
    req.on('close', () => clearTimeout(timer));
    req.on('error', reject);
    req.end();
  });
}

/** Share of pairs (i < j by arrival) admitted in that order; Spearman's ρ. */
export function orderFigures(arrival: number[], admitted: number[]): { pairs: number; rho: number } | null {
  const n = arrival.length;
  if (n < 2) return null;
  const idx = arrival.map((_, i) => i).sort((a, b) => arrival[a]! - arrival[b]!);
  const adm = idx.map((i) => admitted[i]!);
  let ordered = 0;
  let total = 0;
  for (let a = 0; a < n; a++)
    for (let b = a + 1; b < n; b++) {
      total++;
      if (adm[a]! <= adm[b]!) ordered++;
    }
  const rank = (values: number[]) => {
    const order = values.map((_, i) => i).sort((a, b) => values[a]! - values[b]!);
    const r = new Array<number>(n);
    order.forEach((i, k) => {
      r[i] = k;
    });
    return r;
  };
  const ra = rank(arrival);
  const rb = rank(admitted);
  let d2 = 0;
  for (let i = 0; i < n; i++) d2 += (ra[i]! - rb[i]!) ** 2;
  return { pairs: ordered / total, rho: 1 - (6 * d2) / (n * (n * n - 1)) };
}

async function runClient(
  c: Client,
  port: number,
  o: SpikeOptions,
  cutoff: number,
  waitingTtfb: number[],
): Promise<void> {
  const headers: Record<string, string> = {
    host: HOST,
    'x-forwarded-proto': 'https',
    'x-forwarded-for': `198.18.${(c.i >> 8) & 255}.${c.i & 255}`,
    accept: c.kind === 'browser' ? 'text/html,application/xhtml+xml' : 'application/json',
    'accept-language': 'ja',
  };
  while (Date.now() < cutoff) {
    c.requests++;
    let a: Answer;
    try {
      a = await send(port, `/result/${c.i}`, headers, o.requestTimeoutMs);
    } catch (err) {
      if ((err as { code?: string }).code === 'HUNG') c.hung = true;
      else c.error = (err as Error).message;
      return;
    }
    let waitS: number;
    if (a.status === 200) {
      c.first ??= 'served';
      c.servedAt = Date.now();
      return;
    }
    if (a.status === 503 && c.kind === 'browser' && /http-equiv="refresh"/.test(a.body)) {
      c.first ??= 'waiting';
      c.waitingPages++;
      waitingTtfb.push(a.ttfbMs);
      const cookies = ([] as string[]).concat(a.headers['set-cookie'] ?? []);
      const ticket = cookies.map((s) => /^(__Host-rg-ticket=[^;]*)/.exec(s)?.[1]).find(Boolean);
      if (ticket) {
        headers.cookie = ticket;
        const [, issued, seq] = ticket.slice(ticket.indexOf('=') + 1).split('.');
        c.ticket ??= [Number.parseInt(issued!, 36), Number.parseInt(seq!, 36)];
      }
      waitS = Number(/http-equiv="refresh" content="(\d+)"/.exec(a.body)?.[1] ?? 5);
    } else if (a.status === 503) {
      c.first ??= 'overloaded';
      c.overloaded++;
      waitS = Number(a.headers['retry-after'] ?? 2);
    } else {
      c.first ??= 'other';
      c.error = `status ${a.status}`;
      return;
    }
    await sleep(waitS * 1000);
  }
}

/** Starts `o.clients` clients spread over `o.arrivalMs` and waits for every one to finish. */
async function spikeClients(
  port: number,
  o: SpikeOptions,
  cutoff: number,
  waitingTtfb: number[],
): Promise<Client[]> {
  const clients: Client[] = Array.from({ length: o.clients }, (_, i) => ({
    i,
    kind: i % 2 === 0 ? 'browser' : 'api',
    arrivedAt: 0,
    requests: 0,
    waitingPages: 0,
    overloaded: 0,
    hung: false,
  }));
  await Promise.all(
    clients.map(async (c) => {
      await sleep((c.i * o.arrivalMs) / o.clients);
      c.arrivedAt = performance.now();
      await runClient(c, port, o, cutoff, waitingTtfb);
    }),
  );
  return clients;
}

/**
 * Runs the spike against a freshly started slow upstream and gateway (stopped at the end).
 * @param scratch a scratch directory for the gateway's certificate and logs
 */
export async function runSpike(o: SpikeOptions, scratch: string, nodeArgs: string[]): Promise<SpikeResult> {
  const upstreamConfig: SlowUpstreamConfig = { delayMs: o.upstreamDelayMs };
  const upstream = await startNodeTarget('slow-upstream', upstreamConfig, { nodeArgs });
  let gateway: RunningTarget | undefined;
  try {
    const gwConfig: SpikeGatewayConfig = {
      upstream: `http://127.0.0.1:${upstream.port}`,
      dir: `${scratch}/spike-gateway`,
      host: HOST,
      maxConcurrent: o.maxConcurrent,
      maxQueue: o.maxQueue,
    };
    // The gateway runs with the Node flags it ships with (the CLI's shebang, the Dockerfile).
    gateway = await startNodeTarget('spike-gateway', gwConfig, { nodeArgs: [...launchFlags(), ...nodeArgs] });
    const port = gateway.port;
    // A warm-up spike of a fifth of the size, not reported: on announcement day the gateway has
    // been up for hours, its JIT warm; a cold process would charge its compilation to the spike.
    await spikeClients(
      port,
      { ...o, clients: Math.max(100, Math.floor(o.clients / 5)) },
      Date.now() + o.cutoffS * 1000,
      [],
    );
    await sleep(1000);
    const servedBefore = (await upstream.query!<{ served: number }>('stats')).served;
    const rss = sampleRss(gateway.pids, 100);
    const cpuBefore = cpuOfAll(gateway.pids());
    const lag = monitorEventLoopDelay({ resolution: 10 });
    lag.enable();
    const waitingTtfb: number[] = [];
    const start = Date.now();
    const cutoff = start + o.cutoffS * 1000;
    const clients = await spikeClients(port, o, cutoff, waitingTtfb);
    const wallS = (Date.now() - start) / 1000;
    const gatewayRssPeak = rss.stop();
    const gatewayCpuUs = cpuOfAll(gateway.pids()) - cpuBefore;
    lag.disable();
    const stats = await upstream.query!<{ maxActive: number; served: number; order: string[] }>('stats');
    const admittedAt = new Map<string, number>();
    stats.order.forEach((path, k) => {
      if (!admittedAt.has(path)) admittedAt.set(path, k);
    });
    const holders = clients.filter((c) => c.ticket && admittedAt.has(`/result/${c.i}`));
    const byTicket = orderFigures(
      holders.map((c) => c.ticket![0] * 1e6 + c.ticket![1]),
      holders.map((c) => admittedAt.get(`/result/${c.i}`)!),
    );
    const served = clients.filter((c) => c.servedAt !== undefined);
    const firstAnswer: Record<string, number> = {};
    for (const c of clients) firstAnswer[c.first ?? 'none'] = (firstAnswer[c.first ?? 'none'] ?? 0) + 1;
    const order = (kind: Kind) => {
      const s = served.filter((c) => c.kind === kind);
      return orderFigures(
        s.map((c) => c.arrivedAt),
        s.map((c) => c.servedAt!),
      );
    };
    const ob = order('browser');
    const oa = order('api');
    waitingTtfb.sort((a, b) => a - b);
    return {
      options: o,
      browsers: clients.filter((c) => c.kind === 'browser').length,
      apis: clients.filter((c) => c.kind === 'api').length,
      upstreamMaxConcurrent: stats.maxActive,
      upstreamServed: stats.served - servedBefore,
      served: served.length,
      servedBrowsers: served.filter((c) => c.kind === 'browser').length,
      servedApis: served.filter((c) => c.kind === 'api').length,
      lastServedS: served.length ? (Math.max(...served.map((c) => c.servedAt!)) - start) / 1000 : null,
      firstAnswer,
      waitingPages: clients.reduce((n, c) => n + c.waitingPages, 0),
      overloaded: clients.reduce((n, c) => n + c.overloaded, 0),
      hung: clients.filter((c) => c.hung).length,
      errors: clients.filter((c) => c.error !== undefined).length,
      errorKinds: clients.reduce<Record<string, number>>((m, c) => {
        if (c.error) m[c.error] = (m[c.error] ?? 0) + 1;
        return m;
      }, {}),
      unservedAtCutoff: clients.filter((c) => c.servedAt === undefined && !c.hung && c.error === undefined)
        .length,
      waitingTtfbP50: percentile(waitingTtfb, 50),
      waitingTtfbP99: percentile(waitingTtfb, 99),
      gatewayRssPeak,
      gatewayCpuUsPerRequest:
        gatewayCpuUs /
        Math.max(
          1,
          clients.reduce((n, c) => n + c.requests, 0),
        ),
      harnessLagP99Ms: lag.percentile(99) / 1e6,
      orderedPairs: { browser: ob?.pairs ?? null, api: oa?.pairs ?? null },
      spearman: { browser: ob?.rho ?? null, api: oa?.rho ?? null },
      tickets: { holders: holders.length, pairs: byTicket?.pairs ?? null, rho: byTicket?.rho ?? null },
      arrivalSpreadMs:
        Math.max(...clients.map((c) => c.arrivedAt)) - Math.min(...clients.map((c) => c.arrivedAt)),
      wallS,
    };
  } finally {
    await gateway?.stop();
    await upstream.stop();
  }
}

const pct = (x: number | null) => (x === null ? 'n/a' : `${(x * 100).toFixed(1)} %`);
const ms = (x: number | null) => (x === null ? 'n/a' : `${x.toFixed(1)} ms`);

/** The spike's report as a Markdown table and a verdict line per requirement. */
export function spikeTable(r: SpikeResult): string {
  const o = r.options;
  const rows: [string, string][] = [
    [
      'clients',
      `${r.browsers + r.apis} within ${r.arrivalSpreadMs.toFixed(0)} ms (asked: ${o.arrivalMs}; ${r.browsers} browsers, ${r.apis} API clients)`,
    ],
    [
      'zone',
      `maxConcurrent ${o.maxConcurrent}, maxQueue ${o.maxQueue}; upstream ${o.upstreamDelayMs} ms a request`,
    ],
    [
      'upstream max concurrency',
      `${r.upstreamMaxConcurrent} (${r.upstreamMaxConcurrent <= o.maxConcurrent ? 'PASS' : 'FAIL'}: ≤ ${o.maxConcurrent})`,
    ],
    [
      'served',
      `${r.served} (${r.servedBrowsers} browsers, ${r.servedApis} API), the last ${r.lastServedS?.toFixed(1) ?? 'n/a'} s after the first arrival; upstream answered ${r.upstreamServed}`,
    ],
    [
      'first answer',
      Object.entries(r.firstAnswer)
        .map(([k, v]) => `${k} ${v}`)
        .join(', '),
    ],
    ['waiting pages / 503 + Retry-After, in all', `${r.waitingPages} / ${r.overloaded}`],
    ['hung (no answer 30 s after the request was made)', `${r.hung} (${r.hung === 0 ? 'PASS' : 'FAIL'})`],
    [
      'errors, unserved at the cut-off',
      `${r.errors}${
        r.errors
          ? ` (${Object.entries(r.errorKinds)
              .map(([k, v]) => `${k} ×${v}`)
              .join(', ')})`
          : ''
      }, ${r.unservedAtCutoff}`,
    ],
    ['waiting page TTFB p50 / p99', `${ms(r.waitingTtfbP50)} / ${ms(r.waitingTtfbP99)}`],
    ['gateway RSS peak', `${(r.gatewayRssPeak / 1024 ** 2).toFixed(0)} MB`],
    ['gateway CPU per request answered', `${r.gatewayCpuUsPerRequest.toFixed(0)} µs`],
    ['load generator event-loop delay p99', `${r.harnessLagP99Ms.toFixed(0)} ms`],
    [
      `ticket holders admitted in ticket order (pairs) / Spearman ρ — ${r.tickets.holders} holders`,
      `${pct(r.tickets.pairs)} / ${r.tickets.rho?.toFixed(3) ?? 'n/a'}`,
    ],
    [
      'served in client-side arrival order (pairs) / ρ — browsers',
      `${pct(r.orderedPairs.browser)} / ${r.spearman.browser?.toFixed(3) ?? 'n/a'}`,
    ],
    [
      'the same — API clients (no ticket: each retry is a new arrival)',
      `${pct(r.orderedPairs.api)} / ${r.spearman.api?.toFixed(3) ?? 'n/a'}`,
    ],
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  return [
    `| ${'spike'.padEnd(w)} | value |`,
    `| ${'-'.repeat(w)} | ----- |`,
    ...rows.map(([k, v]) => `| ${k.padEnd(w)} | ${v} |`),
  ].join('\n');
}
