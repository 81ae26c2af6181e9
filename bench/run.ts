/**
 * `npm run bench`: starts every target as its own process on 127.0.0.1, loads them interleaved
 * round by round with autocannon (this process only generates load and samples RSS), prints one
 * table of medians with ratios and the issue's targets, and writes the same as JSON to
 * bench/results/<timestamp>.json. Bounded by --duration per run and --max-wall overall.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type AllocationFigures, allocationReport, measureAllocation } from './lib/alloc.js';
import { type BenchOptions, HELP, parseBenchArgs, type TargetName } from './lib/args.js';
import {
  cacheText,
  countInstructions,
  floorCheck,
  hasCallgrind,
  hotspotText,
  instructionTable,
  scaleCheck,
} from './lib/instructions.js';
import { findWrk, measure, probe, type RunResult } from './lib/load.js';
import { cannotPin, freeTarget, pinHarness, pinTarget } from './lib/pin.js';
import { profileReport, profileTargets } from './lib/profile-run.js';
import { checks, cpuNotes, LABELS, machine, type ScaleFigures, summarise, table } from './lib/report.js';
import { runSpike, SPIKE_DEFAULTS, spikeTable } from './lib/spike.js';
import { runStack, stackTable } from './lib/stack.js';
import { startTargets, type Target } from './lib/targets.js';

const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));
const EXPECTED_BYTES = 1024;

function options(): BenchOptions {
  try {
    return parseBenchArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${HELP}`);
    process.exit(2);
  }
}

/** Checks each target answers 200 with the 1 KB body; a target that does not is left out. */
async function probeAll(targets: Target[], failed: Record<string, string>): Promise<Target[]> {
  const ok: Target[] = [];
  for (const t of targets) {
    try {
      const r = await probe(t.running.port, t.request);
      if (r.status === 200 && r.bytes === EXPECTED_BYTES) ok.push(t);
      else failed[t.name] = `probe answered ${r.status} with ${r.bytes} bytes: ${r.text.slice(0, 160)}`;
    } catch (err) {
      failed[t.name] = `probe failed: ${(err as Error).message}`;
    }
  }
  return ok;
}

const mib = (bytes: number) => (bytes / 1024 ** 2).toFixed(0);

function loadOpts(o: BenchOptions) {
  const loader: 'wrk' | 'autocannon' = o.loader === 'auto' ? (findWrk() ? 'wrk' : 'autocannon') : o.loader;
  return {
    connections: o.connections,
    pipelining: o.pipelining,
    durationS: o.durationS,
    warmupS: o.warmupS,
    loader,
  };
}

/** `--instructions`: counts instead of timings (lib/instructions.ts), one table, the same JSON file. */
async function instructionsRun(
  o: BenchOptions,
  scratch: string,
  stamp: string,
  command: string,
  host: ReturnType<typeof machine>,
): Promise<void> {
  if (!hasCallgrind()) {
    await rm(scratch, { recursive: true, force: true });
    console.error('bench --instructions needs valgrind (apt-get install valgrind)');
    process.exit(2);
  }
  try {
    const { counts, skipped } = await countInstructions(o, scratch, { annotate: o.annotate, cache: o.cache });
    console.log(`\n${instructionTable(counts)}\n`);
    const scale = scaleCheck(counts);
    if (scale) console.log(`  ${scale}\n`);
    const floor = floorCheck(counts);
    if (floor) console.log(`  ${floor}\n`);
    if (o.annotate) console.log(`${hotspotText(counts)}\n`);
    const misses = cacheText(counts);
    if (misses) console.log(`${misses}\n`);
    for (const [name, why] of Object.entries(skipped)) console.log(`skipped ${name}: ${why}`);
    const file = join(RESULTS, `${stamp}-instructions.json`);
    await writeFile(file, `${JSON.stringify({ command, machine: host, counts, skipped }, null, 2)}\n`);
    console.log(`wrote ${file}`);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** `--spike`: the announcement-day spike (lib/spike.ts), one table, its JSON file. */
async function spikeRun(
  o: BenchOptions,
  scratch: string,
  stamp: string,
  command: string,
  host: ReturnType<typeof machine>,
) {
  try {
    const result = await runSpike(
      { ...SPIKE_DEFAULTS, clients: o.clients, cutoffS: Math.min(o.spikeSeconds, o.maxWallS) },
      scratch,
      o.nodeFlags,
    );
    console.log(`\n${spikeTable(result)}\n`);
    const file = join(RESULTS, `${stamp}-spike.json`);
    await writeFile(file, `${JSON.stringify({ command, machine: host, result }, null, 2)}\n`);
    console.log(`wrote ${file}`);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** `--stack`: the whole stack (lib/stack.ts), one table, its JSON file. */
async function stackRun(
  o: BenchOptions,
  scratch: string,
  stamp: string,
  command: string,
  host: ReturnType<typeof machine>,
) {
  try {
    const result = await runStack(
      {
        concurrency: o.connections,
        durationS: o.durationS,
        warmupS: Math.max(o.warmupS, 2),
        recipients: 2000,
      },
      scratch,
      o.nodeFlags,
    );
    console.log(`\n${stackTable(result)}\n`);
    const file = join(RESULTS, `${stamp}-stack.json`);
    await writeFile(file, `${JSON.stringify({ command, machine: host, result }, null, 2)}\n`);
    console.log(`wrote ${file}`);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const o = options();
  if (o.help) {
    console.log(HELP);
    return;
  }
  const startedAt = Date.now();
  const deadline = startedAt + o.maxWallS * 1000;
  // A last resort if something hangs: the children die with their IPC channel when we exit.
  setTimeout(
    () => {
      console.error(`bench: wall-clock cap of ${o.maxWallS} s exceeded by 60 s, giving up`);
      process.exit(3);
    },
    (o.maxWallS + 60) * 1000,
  ).unref();

  const stamp = new Date(startedAt).toISOString().replace(/[:.]/g, '-');
  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  const host = machine();
  // Before the header, which would otherwise say "pinned" for a run that cannot be.
  const noPin = o.pin && !o.instructions && !o.spike && !o.stack ? cannotPin() : undefined;
  if (noPin) throw new Error(`--pin: ${noPin}`);
  console.log(
    `resultgate bench · ${host.nproc} × ${host.model} · node ${host.node}${o.instructions || o.spike || o.stack ? '' : ` · load ${loadOpts(o).loader} · ${o.pin ? 'pinned (equal cores)' : 'not pinned'}`} · ${command}`,
  );
  await mkdir(RESULTS, { recursive: true });
  const scratch = await mkdtemp(join(tmpdir(), 'resultgate-bench-'));
  if (o.instructions) {
    await instructionsRun(o, scratch, stamp, command, host);
    return;
  }
  if (o.stack) {
    await stackRun(o, scratch, stamp, command, host);
    return;
  }
  if (o.spike) {
    await spikeRun(o, scratch, stamp, command, host);
    return;
  }
  // Before the upstream starts, so that it (and every load run) inherits the first CPU.
  if (o.pin) pinHarness();
  const { upstream, targets, skipped } = await startTargets(o, scratch).catch(async (err: unknown) => {
    await rm(scratch, { recursive: true, force: true });
    throw err;
  });
  if (o.pin) {
    for (const t of targets) {
      if (t.name === 'gateway-workers' || t.name === 'nginx') freeTarget(t.running.pids());
      else pinTarget(t.running.pids());
    }
  }
  const failed: Record<string, string> = {};
  const runs = new Map<TargetName, RunResult[]>();
  let profile: Awaited<ReturnType<typeof profileTargets>> | undefined;
  const allocations: AllocationFigures[] = [];
  let capped = false;
  const heaps: Record<string, { heapUsedAfterGc: number; heapTotal: number; rss: number }> = {};
  try {
    const live = await probeAll(targets, failed);
    for (const t of live) runs.set(t.name, []);
    const perRun = o.warmupS + o.durationS + 0.5;
    for (let round = 0; round < o.rounds && !capped; round++) {
      // Rotate the order each round so drift (heat, page cache, JIT) is not always on one target.
      const order = live.map((_, i) => live[(i + round) % live.length]!);
      for (const t of order) {
        // The first round warms each target longer: V8 is still compiling its hot path (args.ts).
        const opts = loadOpts(o);
        if (round === 0) opts.warmupS = Math.max(o.warmupS, o.firstWarmupS);
        if (Date.now() + (opts.warmupS + o.durationS + 0.5) * 1000 > deadline) {
          capped = true;
          break;
        }
        const r = await measure(t.running.port, t.running.pids, t.request, opts);
        runs.get(t.name)!.push(r);
        console.log(
          `  round ${round + 1}/${o.rounds}  ${LABELS[t.name].padEnd(36)} ${Math.round(r.rps).toString().padStart(7)} req/s  p99 ${r.p99} ms`,
        );
      }
    }
    // What the gateways' heaps really hold once V8 collects (RSS under load is mostly uncollected garbage).
    for (const t of live) {
      if (t.name.startsWith('gateway') && t.running.memory) {
        const m = await t.running.memory();
        heaps[t.name] = {
          heapUsedAfterGc: m.after.heapUsed,
          heapTotal: m.before.heapTotal,
          rss: m.before.rss,
        };
      }
    }
    for (const t of o.alloc ? live : []) {
      if (Date.now() + perRun * 1000 > deadline) {
        capped = true;
        break;
      }
      const figures = await measureAllocation(
        t,
        loadOpts(o),
        join(RESULTS, `${t.name}-${stamp}.heapprofile`),
      );
      if (figures) allocations.push(figures);
    }
    if (
      o.profile &&
      Date.now() + 2 * (Math.max(o.warmupS, o.firstWarmupS) + Math.max(o.durationS, 5) + 5) * 1000 < deadline
    ) {
      profile = await profileTargets(o, upstream.port, scratch, RESULTS, stamp);
    } else if (o.profile) capped = true;
  } finally {
    await Promise.all([upstream, ...targets.map((t) => t.running)].map((t) => t.stop()));
    await rm(scratch, { recursive: true, force: true });
  }

  const summary = summarise(runs);
  const info = (name: TargetName) =>
    targets.find((t) => t.name === name)?.running.info as ScaleFigures | undefined;
  const scale = info('gateway-10k');
  const one = info('gateway');
  const results = checks(summary, scale, runs);

  console.log(`\n${table(summary)}\n`);
  for (const [name, why] of Object.entries({ ...skipped, ...failed })) console.log(`skipped ${name}: ${why}`);
  if (capped) console.log(`note: stopped early at the ${o.maxWallS} s wall-clock cap`);
  const policyRow = (s: ScaleFigures | undefined) =>
    s &&
    `  ${s.tenants.toLocaleString('en-US').padStart(6)} tenants: ${(s.policyBytes / 1024 ** 2).toFixed(1)} MB JSON, load ${s.loadMs.toFixed(0)} ms + compile ${s.compileMs.toFixed(0)} ms, heap +${(s.heapDelta / 1024 ** 2).toFixed(1)} MB, RSS +${(s.rssDelta / 1024 ** 2).toFixed(1)} MB`;
  if (one || scale)
    console.log(
      ['policy scale (parsePolicy + createGateway):', policyRow(one), policyRow(scale)]
        .filter(Boolean)
        .join('\n'),
    );
  for (const [name, h] of Object.entries(heaps)) {
    console.log(
      `heap of ${name} after load: ${mib(h.heapUsedAfterGc)} MB live after a full GC (heap grown to ${mib(h.heapTotal)} MB, RSS ${mib(h.rss)} MB)`,
    );
  }
  for (const note of cpuNotes(summary)) console.log(note);
  console.log('\ntargets:');
  for (const c of results)
    console.log(`  ${c.pass === null ? 'n/a ' : c.pass ? 'PASS' : 'FAIL'}  ${c.name}: ${c.value}`);
  if (profile) console.log(`\n${profileReport(profile)}`);
  if (allocations.length > 0) console.log(`\n${allocationReport(allocations)}`);

  const file = join(RESULTS, `${stamp}.json`);
  const json = {
    date: new Date(startedAt).toISOString(),
    command,
    machine: host,
    options: o,
    wallS: (Date.now() - startedAt) / 1000,
    capped,
    targets: Object.fromEntries(
      targets.map((t) => [
        t.name,
        {
          label: LABELS[t.name],
          info: t.running.info,
          runs: runs.get(t.name) ?? [],
          median: summary.get(t.name) ?? null,
        },
      ]),
    ),
    skipped: { ...skipped, ...failed },
    heaps,
    scale: { oneTenant: one ?? null, manyTenants: scale ?? null },
    checks: results,
    profile: profile ?? null,
    allocations,
  };
  await writeFile(file, `${JSON.stringify(json, null, 2)}\n`);
  console.log(`\nwrote ${file}`);
}

try {
  await main();
} catch (err) {
  // A target that will not start is skipped inside main(); what reaches here is the harness itself
  // (say, callgrind_control failing): one clear line, not a stack trace.
  console.error(`bench: ${(err as Error).message}`);
  process.exit(1);
}
