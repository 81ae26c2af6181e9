/**
 * `--instructions`: the CPU instructions each Node target executes per request, counted by valgrind's
 * callgrind instead of timed. On a shared 2-core VM req/s and CPU time move by ±5 µs per request
 * from one run to the next, which hides any change smaller than that; instruction counts repeat to
 * about 1 % whatever else the machine does, so a change of a few per cent shows in one run. They
 * count user-space work only (the kernel's share of a request — socket reads and writes — is the
 * same for every proxy) and ignore cache misses, so they rank changes, they do not predict req/s.
 *
 * Each target runs alone under callgrind (about 50× slower): a warm-up of `warm` requests (V8 has
 * optimised the hot path by then), the counters zeroed, `measured` requests at 10 connections, the
 * counters dumped. The main thread's count (the event loop, which bounds a Node proxy's req/s) and
 * all threads' (GC helpers, libuv's pool) are reported per request.
 */
import { execFileSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import autocannon from 'autocannon';
import type { BenchOptions, TargetName } from './args.js';
import { LABELS } from './report.js';
import { startTargets } from './targets.js';

/** Requests before the counters are zeroed, and requests counted. */
export const INSTRUCTION_RUN = { warm: 4000, measured: 3000, connections: 10 } as const;

/** One target's counts per request. */
export interface InstructionCount {
  name: TargetName;
  mainPerRequest: number;
  allPerRequest: number;
  requests: number;
  non2xx: number;
  /** With `--annotate`: the main thread's top functions by own instructions per request. */
  hotspots?: Hotspot[];
  /** With `--cache`: the main thread's simulated cache misses per request, by callgrind event. */
  misses?: CacheMisses;
}

/**
 * Main-thread cache misses per request, as callgrind's cache simulation counts them (a model of
 * this CPU's caches, not the hardware's counters — which this VM does not expose).
 */
export interface CacheMisses {
  /** First-level instruction cache misses (code not in L1i). */
  I1mr: number;
  /** First-level data cache misses, reads and writes. */
  D1m: number;
  /** Last-level misses, instruction and data (each a trip to memory). */
  LLm: number;
}

/** One function's own (self) instructions per request on the main thread. */
export interface Hotspot {
  fn: string;
  perRequest: number;
}

/** True when valgrind and callgrind_control are on the PATH. */
export function hasCallgrind(): boolean {
  try {
    execFileSync('valgrind', ['--version'], { stdio: 'ignore' });
    execFileSync('callgrind_control', ['--help'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A dump's totals by event name (`Ir`, and with --cache-sim `I1mr`, `D1mr`, `DLmw`…). */
function events(text: string): Map<string, number> {
  const names = /^events: (.+)$/m.exec(text)?.[1]?.trim().split(/\s+/) ?? [];
  const values = /^(?:summary|totals): (.+)$/m.exec(text)?.[1]?.trim().split(/\s+/).map(Number) ?? [];
  return new Map(names.map((n, i) => [n, values[i] ?? 0]));
}

/** Sums the `measured` dump of every thread of one target: main thread (thread 1) and all. */
async function readDumps(
  dir: string,
  prefix: string,
): Promise<{
  main: number;
  all: number;
  mainFile: string | undefined;
  mainEvents: Map<string, number> | undefined;
}> {
  let main = 0;
  let all = 0;
  let mainFile: string | undefined;
  let mainEvents: Map<string, number> | undefined;
  for (const file of await readdir(dir)) {
    if (!file.startsWith(prefix)) continue;
    const text = await readFile(join(dir, file), 'utf8');
    if (!/^desc: Trigger: .*measured/m.test(text)) continue;
    const instructions = Number(/^(?:summary|totals): (\d+)/m.exec(text)?.[1] ?? 0);
    all += instructions;
    if (/^thread: 1$/m.test(text)) {
      main += instructions;
      mainFile = join(dir, file);
      mainEvents = events(text);
    }
  }
  return { main, all, mainFile, mainEvents };
}

/** The perf map V8 writes with `--perf-basic-prof`: code start, size and name, sorted by start. */
async function readPerfMap(file: string): Promise<[number, number, string][]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const entries: [number, number, string][] = [];
  for (const line of text.split('\n')) {
    const m = /^([0-9a-f]+) ([0-9a-f]+) (.*)$/.exec(line);
    if (m) entries.push([Number.parseInt(m[1]!, 16), Number.parseInt(m[2]!, 16), m[3]!]);
  }
  return entries.sort((a, b) => a[0] - b[0]);
}

function codeAt(map: [number, number, string][], address: number): string | undefined {
  let lo = 0;
  let hi = map.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [start, size, name] = map[mid]!;
    if (address < start) hi = mid - 1;
    else if (address >= start + size) lo = mid + 1;
    else return name;
  }
  return undefined;
}

/**
 * The main thread's top functions by own instructions, from `callgrind_annotate`: C++ and V8
 * builtins come named; JIT-compiled JavaScript comes as an address, named from V8's perf map.
 */
async function hotspots(
  dump: string,
  mapFile: string,
  requests: number,
  top = Number(process.env.BENCH_TOP ?? 30),
): Promise<Hotspot[]> {
  const out = execFileSync('callgrind_annotate', ['--inclusive=no', '--threshold=100', dump], {
    maxBuffer: 1 << 28,
  }).toString();
  const map = await readPerfMap(mapFile);
  const total = Number(/([\d,]+) \([^)]*\)\s+PROGRAM TOTALS/.exec(out)?.[1]?.replace(/,/g, '') ?? 0);
  const byName = new Map<string, number>();
  for (const line of out.split('\n')) {
    const m = /^\s*([\d,]+) \([^)]*\)\s+(.*)$/.exec(line);
    if (!m) continue;
    const cost = Number(m[1]!.replace(/,/g, ''));
    // The entry points (main, the event loop…) are listed with the whole program's cost.
    if (cost >= total) continue;
    const jit = /^\?\?\?:0x([0-9a-f]+) \[\?\?\?\]/.exec(m[2]!);
    const name = jit
      ? `JS ${(codeAt(map, Number.parseInt(jit[1]!, 16)) ?? `code at 0x${jit[1]}`).replaceAll(`${process.cwd()}/`, '')}`
      : m[2]!.replace(/ \[[^\]]*\]$/, '').replace(/^\?\?\?:/, '');
    byName.set(name, (byName.get(name) ?? 0) + cost);
  }
  return [...byName]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([fn, cost]) => ({ fn, perRequest: cost / requests }));
}

/**
 * Counts the instructions per request of every requested Node target (not `upstream`, which the
 * others need running natively, nor nginx).
 * @returns one count per target, and why any were left out
 */
export async function countInstructions(
  o: BenchOptions,
  scratch: string,
  { annotate = false, cache = false }: { annotate?: boolean; cache?: boolean } = {},
): Promise<{ counts: InstructionCount[]; skipped: Record<string, string> }> {
  const only = o.only.filter((n) => n !== 'upstream' && !n.startsWith('nginx'));
  const counts: InstructionCount[] = [];
  const skipped: Record<string, string> = {};
  for (const name of only) {
    const out = join(scratch, `callgrind-${name}`);
    const wrapper = [
      'valgrind',
      '--quiet',
      '--tool=callgrind',
      // V8 writes machine code at run time: valgrind must notice code it already translated changing.
      '--smc-check=all-non-file',
      '--separate-threads=yes',
      // --cache: simulate this CPU's caches too (about twice as slow).
      ...(cache ? ['--cache-sim=yes'] : []),
      // --workers: the cluster's workers are forked node processes, counted too (one file each).
      ...(name === 'gateway-workers' ? ['--trace-children=yes'] : []),
      `--callgrind-out-file=${name === 'gateway-workers' ? `${out}.%p` : out}`,
    ];
    // One target at a time (each its own upstream), so no two run under valgrind together.
    // --annotate: V8 writes a map of its generated code (and its log, kept out of the cwd).
    const nodeFlags = annotate
      ? [
          ...o.nodeFlags,
          '--perf-basic-prof',
          `--perf-basic-prof-path=${scratch}`,
          '--no-logfile-per-isolate',
          `--logfile=${join(scratch, 'v8.log')}`,
        ]
      : o.nodeFlags;
    const {
      upstream,
      targets,
      skipped: notStarted,
    } = await startTargets({ ...o, nodeFlags, only: [name] }, scratch, wrapper);
    Object.assign(skipped, notStarted);
    try {
      const t = targets[0];
      if (!t) continue;
      const run = (amount: number) =>
        autocannon({
          url: `http://127.0.0.1:${t.running.port}${t.request.path}`,
          headers: t.request.headers,
          connections: INSTRUCTION_RUN.connections,
          amount,
          timeout: 60,
        });
      const pid = String(t.running.pids()[0]);
      // Every process of the target (the primary and its workers with --workers): the main-thread
      // figure is then the sum of every process's main thread.
      const pids = t.running.pids().map(String);
      // Under --cache valgrind runs slower still, and V8's background compiler with it: three times
      // the warm-up, or the count may catch the hot path before it is optimised (bench/README.md).
      await run(INSTRUCTION_RUN.warm * (cache ? 3 : 1));
      for (const p of pids) execFileSync('callgrind_control', ['--zero', p], { stdio: 'ignore' });
      const r = await run(INSTRUCTION_RUN.measured);
      for (const p of pids) execFileSync('callgrind_control', ['--dump=measured', p], { stdio: 'ignore' });
      const { main, all, mainFile, mainEvents } = await readDumps(scratch, `callgrind-${name}.`);
      const count: InstructionCount = {
        name,
        mainPerRequest: main / r.requests.total,
        allPerRequest: all / r.requests.total,
        requests: r.requests.total,
        non2xx: r.non2xx + r.errors,
      };
      if (cache && mainEvents) {
        const per = (...names: string[]) =>
          names.reduce((sum, n) => sum + (mainEvents.get(n) ?? 0), 0) / r.requests.total;
        count.misses = { I1mr: per('I1mr'), D1m: per('D1mr', 'D1mw'), LLm: per('ILmr', 'DLmr', 'DLmw') };
      }
      if (annotate && mainFile) {
        count.hotspots = await hotspots(mainFile, join(scratch, `perf-${pid}.map`), r.requests.total);
      }
      counts.push(count);
      console.log(
        `  ${LABELS[name].padEnd(36)} ${Math.round(main / r.requests.total).toLocaleString('en-US')} instructions per request (main thread)`,
      );
    } finally {
      await Promise.all([upstream, ...targets.map((t) => t.running)].map((t) => t.stop()));
    }
  }
  return { counts, skipped };
}

/**
 * Issue #4's per-request cost target judged on instructions: the 10,000-tenant gateway against the
 * one-tenant one. Timed CPU per request moves ±10 % between runs here; instructions do not.
 */
export function scaleCheck(counts: InstructionCount[]): string | undefined {
  const one = counts.find((c) => c.name === 'gateway')?.mainPerRequest;
  const big = counts.find((c) => c.name === 'gateway-10k')?.mainPerRequest;
  if (!one || !big) return undefined;
  const ratio = big / one;
  return `${ratio <= 1.1 ? 'PASS' : 'FAIL'}  per-request cost, 10k tenants ≤ 1.1× one tenant (instructions): ${ratio.toFixed(2)}×`;
}

/**
 * Issue #21's standing target on instructions: every check on costs at most 10 % more per request
 * than the fixed-work floor (`hono-work`), main thread and all threads.
 */
export function floorCheck(counts: InstructionCount[]): string | undefined {
  const gw = counts.find((c) => c.name === 'gateway');
  const floor = counts.find((c) => c.name === 'hono-work');
  if (!gw || !floor) return undefined;
  const main = gw.mainPerRequest / floor.mainPerRequest;
  const all = gw.allPerRequest / floor.allPerRequest;
  return `${main <= 1.1 ? 'PASS' : 'FAIL'}  every check ≤ 1.1× the fixed-work floor (instructions, main thread): ${main.toFixed(3)}× (all threads ${all.toFixed(3)}×)`;
}

/** With `--cache`: each target's main-thread misses per request, and the gateway's over the floor's. */
export function cacheText(counts: InstructionCount[]): string | undefined {
  const rows = counts.filter((c) => c.misses);
  if (rows.length === 0) return undefined;
  const floor = counts.find((c) => c.name === 'hono-work')?.misses;
  const lines = ['main thread, simulated cache misses per request (callgrind --cache-sim):'];
  for (const c of rows) {
    const m = c.misses!;
    const vs = (k: keyof CacheMisses) =>
      floor && c.name !== 'hono-work' && floor[k] > 0 ? ` (${(m[k] / floor[k]).toFixed(2)}× floor)` : '';
    lines.push(
      `  ${LABELS[c.name].padEnd(36)} L1i ${Math.round(m.I1mr)}${vs('I1mr')} · L1d ${Math.round(m.D1m)}${vs('D1m')} · last level ${Math.round(m.LLm)}${vs('LLm')}`,
    );
  }
  return lines.join('\n');
}

/** Each annotated target's top functions, instructions per request. */
export function hotspotText(counts: InstructionCount[]): string {
  const parts: string[] = [];
  for (const c of counts) {
    if (!c.hotspots) continue;
    parts.push(`${LABELS[c.name]} — main thread, own instructions per request:`);
    for (const h of c.hotspots) {
      const fn = h.fn.length > 140 ? `${h.fn.slice(0, 140)}…` : h.fn;
      parts.push(`  ${Math.round(h.perRequest).toLocaleString('en-US').padStart(7)}  ${fn}`);
    }
  }
  return parts.join('\n');
}

/** The counts as a Markdown table, with ratios to the bare proxy and to Hono + the same hop. */
export function instructionTable(counts: InstructionCount[]): string {
  const bare = counts.find((c) => c.name === 'bare')?.mainPerRequest;
  const hono = counts.find((c) => c.name === 'hono')?.mainPerRequest;
  const k = (n: number) => Math.round(n / 1000).toLocaleString('en-US');
  const x = (n: number, of: number | undefined) => (of ? `${(n / of).toFixed(2)}×` : '-');
  const rows = [
    '| target | main thread k instructions/req | all threads k instructions/req | × bare proxy (main) | × Hono + hop (main) | non-2xx/errors |',
    '|---|---:|---:|---:|---:|---:|',
  ];
  for (const c of counts) {
    rows.push(
      `| ${LABELS[c.name]} | ${k(c.mainPerRequest)} | ${k(c.allPerRequest)} | ${x(c.mainPerRequest, bare)} | ${x(c.mainPerRequest, hono)} | ${c.non2xx} |`,
    );
  }
  return rows.join('\n');
}
