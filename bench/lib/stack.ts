/**
 * `npm run bench -- --stack`: the whole stack as recipients use it on announcement day. Recipients
 * open their result through the gateway (recipient zone, `auth: none`, access log to disk) into the
 * reference result service (Hono + node:sqlite, real pages): `GET /r` (the form), then `POST /r`
 * with the access code and PIN (which marks it viewed and answers 303 with a view cookie), then the
 * `GET /r/result` it redirects to (the result page). The same load is run
 * straight at the result service too (the harness signs the identity headers as the gateway
 * would), so the gateway's share of the stack is measured in the same run. Loopback only; bounded
 * by --duration.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { identityHeaders } from '@resultgate/gateway/identity';
import { Pool } from 'undici';
import { launchFlags } from '../../packages/gateway/src/cli/launch-flags.js';
import type { ResultServiceTargetConfig } from '../servers/result-service.js';
import type { SpikeGatewayConfig } from '../servers/spike-gateway.js';
import { cpuOfAll, mainThreadCpuOfAll, type RunningTarget, startNodeTarget } from './proc.js';

const HOST = 'school.bench.example';
const TENANT = 'school';
const WARMUP = 1500;

/** What the stack run is asked to do. */
export interface StackOptions {
  /** Recipients opening their result at the same time (virtual users). */
  concurrency: number;
  durationS: number;
  warmupS: number;
  /** Results seeded (each virtual user cycles through them). */
  recipients: number;
}

/** The figures of one path (through the gateway, or straight at the service). */
export interface StackRun {
  recipientsPerS: number;
  p50Ms: number;
  p99Ms: number;
  failures: number;
  /** CPU per recipient of each process (µs): all threads, and the main thread alone. */
  cpuUs: Record<string, { all: number; main: number }>;
  /** Share of the wall clock each process's main thread was on a CPU. */
  mainBusy: Record<string, number>;
}

/** Both paths and the machine's view. */
export interface StackResult {
  options: StackOptions;
  viaGateway: StackRun;
  direct: StackRun;
}

interface Credential {
  code: string;
  pin: string;
}

type Sign = (method: string, target: string) => Record<string, string>;

async function oneRecipient(
  pool: Pool,
  cred: Credential,
  base: Record<string, string>,
  sign?: Sign,
): Promise<boolean> {
  const form = await pool.request({
    path: '/r',
    method: 'GET',
    headers: { ...base, ...sign?.('GET', '/r') },
  });
  const page = await form.body.text();
  if (form.statusCode !== 200 || !page.includes('name="pin"')) return false;
  const body = `lang=ja&code=${encodeURIComponent(cred.code)}&pin=${cred.pin}`;
  const res = await pool.request({
    path: '/r',
    method: 'POST',
    headers: {
      ...base,
      ...sign?.('POST', '/r'),
      'content-type': 'application/x-www-form-urlencoded',
      'content-length': String(body.length),
    },
    body,
  });
  await res.body.dump();
  // Post/redirect/get: the PIN's answer is a 303 with a short-lived view cookie, and the result page
  // is the GET it redirects to (so a reload never re-posts the PIN).
  const location = res.headers.location;
  const cookie = res.headers['set-cookie'];
  if (res.statusCode !== 303 || typeof location !== 'string' || cookie === undefined) return false;
  const target = new URL(location, 'http://recipient.invalid');
  const path = target.pathname + target.search;
  const view = await pool.request({
    path,
    method: 'GET',
    headers: {
      ...base,
      ...sign?.('GET', path),
      cookie: (Array.isArray(cookie) ? cookie : [cookie]).map((c) => c.split(';')[0]).join('; '),
    },
  });
  const result = await view.body.text();
  return view.statusCode === 200 && result.includes('class="outcome"');
}

async function load(
  port: number,
  creds: Credential[],
  o: StackOptions,
  seconds: number,
  procs: Record<string, RunningTarget>,
  sign?: Sign,
  /** Stop after this many recipients (the warm-up: enough for V8 to optimise the hot path). */
  maxCount = Number.POSITIVE_INFINITY,
): Promise<StackRun> {
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: o.concurrency });
  // Each recipient from an address of its own, as on the day (one address is capped at
  // upstream.connectionsPerClient in-flight requests, half of the pool by default).
  const baseOf = (vu: number) => ({
    host: HOST,
    'x-forwarded-proto': 'https',
    'x-forwarded-for': `198.18.${(vu >> 8) & 255}.${vu & 255}`,
    accept: 'text/html',
  });
  const latencies: number[] = [];
  let failures = 0;
  let next = 0;
  const cpu0 = Object.fromEntries(Object.entries(procs).map(([k, p]) => [k, cpuOfAll(p.pids())]));
  const main0 = Object.fromEntries(Object.entries(procs).map(([k, p]) => [k, mainThreadCpuOfAll(p.pids())]));
  const started = performance.now();
  const end = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: o.concurrency }, async (_, vu) => {
      const base = baseOf(vu);
      while (performance.now() < end && latencies.length + failures < maxCount) {
        const cred = creds[next++ % creds.length]!;
        const t0 = performance.now();
        let ok = false;
        try {
          ok = await oneRecipient(pool, cred, base, sign);
        } catch {
          ok = false;
        }
        if (ok) latencies.push(performance.now() - t0);
        else failures++;
      }
    }),
  );
  const wallS = (performance.now() - started) / 1000;
  await pool.close();
  latencies.sort((a, b) => a - b);
  const n = Math.max(1, latencies.length);
  const cpuUs: StackRun['cpuUs'] = {};
  const mainBusy: StackRun['mainBusy'] = {};
  for (const [k, p] of Object.entries(procs)) {
    const all = cpuOfAll(p.pids()) - cpu0[k]!;
    const main = mainThreadCpuOfAll(p.pids()) - main0[k]!;
    cpuUs[k] = { all: all / n, main: main / n };
    mainBusy[k] = main / 1e6 / wallS;
  }
  const pick = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return {
    recipientsPerS: latencies.length / wallS,
    p50Ms: pick(0.5),
    p99Ms: pick(0.99),
    failures,
    cpuUs,
    mainBusy,
  };
}

/** Starts the result service and a gateway in front of it, loads both paths, stops them. */
export async function runStack(o: StackOptions, scratch: string, nodeArgs: string[]): Promise<StackResult> {
  const secret = randomBytes(32);
  const rsConfig: ResultServiceTargetConfig = {
    dir: `${scratch}/result-service`,
    identitySecretHex: secret.toString('hex'),
    tenant: TENANT,
    recipients: o.recipients,
  };
  const service = await startNodeTarget('result-service', rsConfig, { nodeArgs, timeoutMs: 120_000 });
  let gateway: RunningTarget | undefined;
  try {
    const creds = service.info.credentials as Credential[];
    const gwConfig: SpikeGatewayConfig = {
      upstream: `http://127.0.0.1:${service.port}`,
      dir: `${scratch}/stack-gateway`,
      host: HOST,
      tenant: TENANT,
      zonePath: '/r',
      identitySecretHex: secret.toString('hex'),
    };
    // The gateway runs with the Node flags it ships with (the CLI's shebang, the Dockerfile).
    gateway = await startNodeTarget('spike-gateway', gwConfig, { nodeArgs: [...launchFlags(), ...nodeArgs] });
    let seq = 0;
    const sign: Sign = (method, target) =>
      identityHeaders(
        secret,
        { tenant: TENANT, user: '', roles: [], requestId: `bench-${++seq}` },
        { method, target },
        Date.now(),
      );
    const both = { gateway, 'result service': service };
    // (the warm-up is bounded by count and by --warmup seconds, whichever comes first)
    // Warm-ups of up to WARMUP recipients: at tens a second, a few seconds would leave the
    // code in V8's interpreter and charge its compilation to the measurement.
    await load(gateway.port, creds, o, o.warmupS, both, undefined, WARMUP);
    await load(service.port, creds, o, o.warmupS, { 'result service': service }, sign, WARMUP);
    // Both paths warmed before either is measured: the service's code is as optimised for both.
    const viaGateway = await load(gateway.port, creds, o, o.durationS, both);
    const direct = await load(service.port, creds, o, o.durationS, { 'result service': service }, sign);
    return { options: o, viaGateway, direct };
  } finally {
    await gateway?.stop();
    await service.stop();
  }
}

/** The whole-stack report. */
export function stackTable(r: StackResult): string {
  const row = (name: string, s: StackRun) => {
    const procs = Object.keys(s.cpuUs);
    return `| ${name} | ${Math.round(s.recipientsPerS).toLocaleString('en-US')} | ${s.p50Ms.toFixed(1)} | ${s.p99Ms.toFixed(1)} | ${procs
      .map((p) => `${p} ${s.cpuUs[p]!.main.toFixed(0)} / ${s.cpuUs[p]!.all.toFixed(0)}`)
      .join(
        '; ',
      )} | ${procs.map((p) => `${p} ${(s.mainBusy[p]! * 100).toFixed(0)} %`).join('; ')} | ${s.failures} |`;
  };
  const g = r.viaGateway;
  const busiest = Object.entries(g.mainBusy).sort((a, b) => b[1] - a[1])[0];
  return [
    `${r.options.concurrency} recipients at a time, ${r.options.durationS} s each path; a recipient = GET /r (form) + POST /r (code + PIN → 303) + GET /r/result (result page)`,
    '',
    '| path | recipients/s | p50 ms | p99 ms | CPU µs per recipient, main thread / all threads | main thread busy | failed |',
    '| ---- | -----------: | -----: | -----: | ----------------------------------------------- | ---------------- | -----: |',
    row('through the gateway', g),
    row('straight at the result service', r.direct),
    '',
    `through the gateway: ${(g.recipientsPerS / Math.max(1, r.direct.recipientsPerS)).toFixed(2)}× the service alone; busiest main thread: ${busiest?.[0]} (${((busiest?.[1] ?? 0) * 100).toFixed(0)} %)`,
  ].join('\n');
}
