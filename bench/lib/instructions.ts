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

/** Sums the `measured` dump of every thread of one target: main thread (thread 1) and all. */
async function readDumps(dir: string, prefix: string): Promise<{ main: number; all: number }> {
  let main = 0;
  let all = 0;
  for (const file of await readdir(dir)) {
    if (!file.startsWith(prefix)) continue;
    const text = await readFile(join(dir, file), 'utf8');
    if (!/^desc: Trigger: .*measured/m.test(text)) continue;
    const instructions = Number(/^(?:summary|totals): (\d+)/m.exec(text)?.[1] ?? 0);
    all += instructions;
    if (/^thread: 1$/m.test(text)) main += instructions;
  }
  return { main, all };
}

/**
 * Counts the instructions per request of every requested Node target (not `upstream`, which the
 * others need running natively, nor nginx).
 * @returns one count per target, and why any were left out
 */
export async function countInstructions(
  o: BenchOptions,
  scratch: string,
): Promise<{ counts: InstructionCount[]; skipped: Record<string, string> }> {
  const only = o.only.filter((n) => n !== 'upstream' && n !== 'nginx');
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
      `--callgrind-out-file=${out}`,
    ];
    // One target at a time (each its own upstream), so no two run under valgrind together.
    const {
      upstream,
      targets,
      skipped: notStarted,
    } = await startTargets({ ...o, only: [name] }, scratch, wrapper);
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
      await run(INSTRUCTION_RUN.warm);
      execFileSync('callgrind_control', ['--zero', pid], { stdio: 'ignore' });
      const r = await run(INSTRUCTION_RUN.measured);
      execFileSync('callgrind_control', ['--dump=measured', pid], { stdio: 'ignore' });
      const { main, all } = await readDumps(scratch, `callgrind-${name}.`);
      counts.push({
        name,
        mainPerRequest: main / r.requests.total,
        allPerRequest: all / r.requests.total,
        requests: r.requests.total,
        non2xx: r.non2xx + r.errors,
      });
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
