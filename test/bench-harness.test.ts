/**
 * A smoke test of the bench harness (`npm run bench`, bench/): nothing else runs its code, so a
 * change elsewhere could break it unseen — twice it did (the bundled gateway could not start; a
 * post/redirect/get change made `--stack` count every recipient as failed). Each mode runs here in
 * miniature, through the harness's own functions, against the same bundled target processes.
 *
 * Behaviour only, never speed: speed is what the bench measures; a test asserts no timing. The
 * figures asserted are counts (requests answered, failures, errors, concurrency), with loads
 * bounded in time and size. Loopback only; every process is stopped in `finally`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { measureAllocation } from '../bench/lib/alloc.js';
import { parseBenchArgs } from '../bench/lib/args.js';
import { findWrk, type LoadOptions, measure, probe, type RunResult } from '../bench/lib/load.js';
import { cannotPin } from '../bench/lib/pin.js';
import { medianInterval, pairedRatio } from '../bench/lib/report.js';
import { runSpike, SPIKE_DEFAULTS } from '../bench/lib/spike.js';
import { runStack } from '../bench/lib/stack.js';
import { startTargets } from '../bench/lib/targets.js';

/**
 * The Node targets of a default run, one of each kind: the upstream alone, the two floors, the
 * all-checks gateway and its `serve --workers` form (a cluster primary). Not nginx: it may be absent.
 */
const TARGETS = 'upstream,bare,hono,hono-work,gateway,gateway-workers';

async function withScratch<T>(body: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'resultgate-bench-smoke-'));
  try {
    return await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('bench harness', () => {
  it('parses its flags and refuses an unknown target', () => {
    const o = parseBenchArgs(['--only', TARGETS, '--duration', '1', '--warmup', '0', '--connections', '4']);
    expect(o.only).toEqual(TARGETS.split(','));
    expect(o).toMatchObject({ durationS: 1, warmupS: 0, connections: 4, alloc: false });
    expect(() => parseBenchArgs(['--only', 'gateway,nope'])).toThrow(/unknown target nope/);
    // Equal cores are enforced by default wherever they can be; --no-pin and --pin say otherwise.
    expect(parseBenchArgs([]).pin).toBe(cannotPin() === undefined);
    expect(parseBenchArgs(['--no-pin']).pin).toBe(false);
    expect(parseBenchArgs(['--pin']).pin).toBe(true);
    // The first round warms each target longer than the next ones (V8 still compiling).
    expect(parseBenchArgs([])).toMatchObject({ warmupS: 1, firstWarmupS: 6 });
  });

  it('starts the throughput targets, each answers the 1 KB body under load, and --alloc samples the gateway', async () => {
    const flags = [
      '--only',
      TARGETS,
      '--duration',
      '1',
      '--warmup',
      '0',
      '--connections',
      '4',
      '--workers',
      '2',
    ];
    const o = parseBenchArgs(flags);
    // Both load generators the bench may pick: autocannon (a dependency, always there) and wrk
    // when installed (`--loader auto` prefers it), each parsed its own way.
    const loaders: LoadOptions['loader'][] = ['autocannon', ...(findWrk() ? (['wrk'] as const) : [])];
    const loadWith = (loader: LoadOptions['loader']): LoadOptions => ({
      connections: o.connections,
      pipelining: o.pipelining,
      durationS: o.durationS,
      warmupS: o.warmupS,
      loader,
    });
    await withScratch(async (scratch) => {
      const { upstream, targets, skipped } = await startTargets(o, scratch);
      try {
        expect(skipped).toEqual({});
        expect(targets.map((t) => t.name)).toEqual(o.only);
        for (const t of targets) {
          const answer = await probe(t.running.port, t.request);
          // What run.ts's probe requires before measuring a target: 200 with the upstream's 1 KB JSON.
          expect({ target: t.name, status: answer.status, bytes: answer.bytes }).toEqual({
            target: t.name,
            status: 200,
            bytes: 1024,
          });
          expect(answer.text.startsWith('{"id":"res_0001","status":"published"')).toBe(true);
          for (const loader of loaders) {
            const run = await measure(t.running.port, t.running.pids, t.request, loadWith(loader));
            expect({ target: t.name, loader, non2xx: run.non2xx, errors: run.errors }).toEqual({
              target: t.name,
              loader,
              non2xx: 0,
              errors: 0,
            });
            expect(run.requests).toBeGreaterThan(0);
            expect(run.rps).toBeGreaterThan(0);
            expect(run.rss).toBeGreaterThan(0);
          }
        }
        // --alloc: the gateway's heap sampled over one more load, its profile written where asked.
        const gateway = targets.find((t) => t.name === 'gateway')!;
        const file = join(scratch, 'gateway.heapprofile');
        const figures = await measureAllocation(gateway, loadWith('autocannon'), file);
        expect(figures).toBeDefined();
        expect(figures!.requests).toBeGreaterThan(0);
        expect(figures!.bytesPerRequest).toBeGreaterThan(0);
        expect(figures!.functions.length).toBeGreaterThan(0);
        expect(figures!.modules.length).toBeGreaterThan(0);
        const profile = JSON.parse(await readFile(file, 'utf8')) as { head?: { children?: unknown[] } };
        expect(profile.head?.children?.length).toBeGreaterThan(0);
        // The sampler is off again: the gateway still answers.
        expect((await probe(gateway.running.port, gateway.request)).status).toBe(200);
      } finally {
        await Promise.all(
          [upstream, ...targets.map((t) => t.running)]
            // `upstream` is also the `upstream` target: stop it once.
            .filter((t, i, all) => all.indexOf(t) === i)
            .map((t) => t.stop()),
        );
      }
    });
  }, 180_000);

  it('--stack: recipients open their results through the gateway and straight at the service', async () => {
    const result = await withScratch((scratch) =>
      runStack({ concurrency: 5, durationS: 1, warmupS: 1, recipients: 50 }, scratch, []),
    );
    for (const [path, run] of [
      ['via gateway', result.viaGateway],
      ['direct', result.direct],
    ] as const) {
      // A recipient counts only when the form, the PIN's 303 and the result page all came back.
      expect({ path, failures: run.failures }).toEqual({ path, failures: 0 });
      expect(run.recipientsPerS).toBeGreaterThan(0);
      expect(run.p99Ms).toBeGreaterThan(0);
      expect(Object.keys(run.cpuUs).sort()).toEqual(
        path === 'direct' ? ['result service'] : ['gateway', 'result service'],
      );
    }
  }, 120_000);

  it('--spike: the upstream never sees more than maxConcurrent, no client hangs, every client is served', async () => {
    const result = await withScratch((scratch) =>
      runSpike(
        {
          ...SPIKE_DEFAULTS,
          clients: 300,
          // 300 arrivals within 0.3 s against 50 upstream places of 0.5 s and a queue of 100: more
          // than the 150 places, even if a busy machine stretches the arrivals to over a second, so
          // the waiting page and the 503 are exercised too.
          arrivalMs: 300,
          upstreamDelayMs: 500,
          cutoffS: 60,
        },
        scratch,
        [],
      ),
    );
    expect(result.browsers + result.apis).toBe(300);
    expect(result.upstreamMaxConcurrent).toBeGreaterThan(0);
    expect(result.upstreamMaxConcurrent).toBeLessThanOrEqual(SPIKE_DEFAULTS.maxConcurrent);
    expect(result.hung).toBe(0);
    expect(result.errorKinds).toEqual({});
    expect(result.errors).toBe(0);
    expect(result.unservedAtCutoff).toBe(0);
    expect(result.served).toBe(300);
    expect(result.upstreamServed).toBe(300);
    // Every first answer is one the report names: served, a waiting page (browsers), 503 (API).
    expect(
      Object.keys(result.firstAnswer).every((k) => ['served', 'waiting', 'overloaded'].includes(k)),
    ).toBe(true);
    // The overflow reached the waiting room: browsers read the waiting page (its meta refresh and
    // ticket cookie, as the harness parses them) and API clients a 503 with Retry-After.
    expect(result.waitingPages).toBeGreaterThan(0);
    expect(result.overloaded).toBeGreaterThan(0);
    expect(result.tickets.holders).toBeGreaterThan(0);
    expect(result.waitingTtfbP50).not.toBeNull();
  }, 150_000);
});

describe("the targets' ratios", () => {
  const run = (mainCpuUs: number): RunResult =>
    ({ mainCpuUs, rps: 1, p50: 0, p99: 0, rss: 0, cpuUs: 0, non2xx: 0, errors: 0, requests: 1 }) as RunResult;

  it('pairs the two targets round by round, so a slow spell of the machine slows both sides', () => {
    // Round 2 ran in a slow spell: the medians (110 vs 100) would pair the gateway's quick round
    // with the floor's slow one and say 1.10×; the rounds themselves say 1.05×.
    const gateway = [105, 168, 110].map(run);
    const floor = [100, 160, 100].map(run);
    expect(pairedRatio(gateway, floor, (r) => r.mainCpuUs)).toBeCloseTo(1.05, 5);
    expect(pairedRatio(gateway.slice(0, 2), floor, (r) => r.mainCpuUs)).toBeCloseTo(1.05, 5);
    expect(pairedRatio([], floor, (r) => r.mainCpuUs)).toBeUndefined();
    expect(pairedRatio(gateway, undefined, (r) => r.mainCpuUs)).toBeUndefined();
  });

  it("gives the paired median a distribution-free 95 % interval from the rounds' order statistics", () => {
    const ranks = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
    // The textbook ranks: 1st–6th of 6, 6th–15th of 20, 40th–61st of 100; none below 6 values.
    expect(medianInterval(ranks(5))).toBeUndefined();
    expect(medianInterval(ranks(6))).toEqual([1, 6]);
    expect(medianInterval(ranks(20))).toEqual([6, 15]);
    expect(medianInterval(ranks(100))).toEqual([40, 61]);
    // Past the exact sum's range, the normal approximation gives the same ranks' neighbourhood.
    const [lo, hi] = medianInterval(ranks(2000))!;
    expect(lo).toBeGreaterThanOrEqual(950);
    expect(hi).toBeLessThanOrEqual(1051);
    expect(hi - lo).toBeGreaterThan(80);
  });
});

describe('--pin', () => {
  // In a child: pinning is per process, and the test runner's own process must stay free.
  const script = `
    import { execFileSync, spawn } from 'node:child_process';
    const pin = await import(${JSON.stringify(new URL('../bench/lib/pin.ts', import.meta.url).href)});
    const why = pin.cannotPin();
    if (why) { console.log(JSON.stringify({ why })); process.exit(0); }
    pin.pinHarness();
    const target = spawn('sleep', ['10'], { stdio: 'ignore' });
    try {
      pin.pinTarget([target.pid]);
      const cpus = (pid) => execFileSync('taskset', ['-c', '-p', String(pid)]).toString().trim().split(': ')[1];
      console.log(JSON.stringify({ harness: cpus(process.pid), target: cpus(target.pid) }));
    } finally {
      target.kill();
    }`;

  it('runs the targets on the last CPU, away from the harness on the first', () => {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    const r = JSON.parse(out) as { why?: string; harness?: string; target?: string };
    if (r.why) {
      console.warn(`--pin not checked: ${r.why}`);
      return;
    }
    // Until 2026-12-07 the target landed on the harness's CPU: the CPU count was read after the
    // harness had pinned itself, and so was 1.
    expect(r.harness).toBe('0');
    expect(r.target).toBe(String(availableParallelism() - 1));
    expect(r.target).not.toBe(r.harness);
  });
});
