/** Command-line flags of `npm run bench`, with their defaults and `--help`. */
import { parseArgs } from 'node:util';
import { cannotPin } from './pin.js';

/** Every target the harness knows, in table order. */
export const TARGET_NAMES = [
  'upstream',
  'bare',
  'hono',
  'hono-work',
  'gateway',
  'gateway-10k',
  'gateway-nolog',
  'gateway-open',
  'gateway-workers',
  'nginx',
  'nginx-1',
] as const;
export type TargetName = (typeof TARGET_NAMES)[number];

/** The parsed options of one run. */
export interface BenchOptions {
  rounds: number;
  durationS: number;
  warmupS: number;
  /**
   * The first round's warm-up of each target (at least `warmupS`): V8 keeps compiling a Node
   * target's hot path for its first ~5 s under load (`--trace-opt`), the gateway, with more code,
   * a little longer — a round measured before that prices the compiler, not the request.
   */
  firstWarmupS: number;
  connections: number;
  pipelining: number;
  only: TargetName[];
  tenants: number;
  /** Worker processes of the `gateway-workers` target (`serve --workers N`). */
  workers: number;
  profile: boolean;
  alloc: boolean;
  pin: boolean;
  /** Count instructions per request under callgrind instead of timing (see lib/instructions.ts). */
  instructions: boolean;
  /** With `instructions`: also list each target's top functions. */
  annotate: boolean;
  /** With `instructions`: simulate the caches too (callgrind --cache-sim). */
  cache: boolean;
  maxWallS: number;
  /** Run the whole stack (gateway + reference result service) instead (lib/stack.ts). */
  stack: boolean;
  /** Run the announcement-day spike instead of the throughput table (lib/spike.ts). */
  spike: boolean;
  /** Clients of the spike. */
  clients: number;
  /** The spike's cut-off: no new request after this many seconds. */
  spikeSeconds: number;
  /** The load generator: wrk when installed (`auto`), or autocannon. */
  loader: 'auto' | 'wrk' | 'autocannon';
  /** Extra Node flags for every Node target (upstream, bare proxy, gateways alike). */
  nodeFlags: string[];
  help: boolean;
}

export const HELP = `npm run bench [-- flags]

Starts the upstream alone, a bare node:http + undici proxy, Hono with the gateway's proxy hop
(alone, and with the gateway's fixed per-request work but no checks), the gateway (every check
on; open, without auth or log; with a 10,000-tenant policy) and, when installed, nginx with
allow + auth_basic ($apr1$) + JSON log — each its own process on 127.0.0.1 — and loads them
interleaved, round after round.

  --rounds N        rounds over all targets, medians taken        (default 3)
  --duration S      measured seconds per target per round          (default 5)
  --warmup S        unmeasured seconds before each measurement     (default 1)
  --connections N   concurrent connections                         (default 50)
  --loader L        auto (wrk when installed, else autocannon), wrk or autocannon — the same
                    one loads every target of a run                 (default auto)
  --pipelining N    requests in flight per connection              (default 1)
  --only LIST       comma-separated subset of: ${TARGET_NAMES.join(', ')}
  --tenants N       tenants of the scale policy                    (default 10000)
  --workers N       worker processes of the gateway-workers row    (default 2)
  --first-warmup S  the first round's unmeasured seconds per target: V8 is still compiling
                    the hot path for the first ~5 s under load     (default 6)
  --quick           1 round × 2 s, 0.5 s warm-ups (a smoke run; figures are noisy)
  --profile         also CPU-profile the floor (hono-work) and the gateway under load (node --cpu-prof,
                    bench/results/*.cpuprofile) and rank where the gateway's time goes
  --no-pin          let the scheduler place every process. By default (with 2+ CPUs and taskset)
                    equal cores are enforced: the harness, load generator and upstream on the first
                    CPU, each single-process target (every thread) on the last
  --alloc           also sample each Node target's heap over one more load run and report the
                    bytes allocated per request (objects already collected included) and where
  --instructions    instead of timing, count the CPU instructions per request of each Node target
                    under valgrind's callgrind (repeatable to about 1 % on a busy machine, where
                    req/s is not; ~1 min per target; needs valgrind)
  --annotate        with --instructions: also list each target's top functions by instructions
                    per request (JavaScript named from V8's --perf-basic-prof map)
  --cache           with --instructions: also simulate the CPU's caches and report each target's
                    main-thread L1 and last-level misses per request (about twice as slow)
  --spike           instead: announcement day — --clients arrive within one second at a zone with
                    maxConcurrent 50 before a 200 ms upstream (browsers follow the waiting page,
                    API clients Retry-After); upstream max concurrency, served, waiting pages and
                    503s, hung, waiting-page TTFB, gateway RSS, admission order vs arrival
  --stack           instead: recipients open their result through the gateway into the reference
                    result service (GET /r, then POST /r with access code + PIN; node:sqlite),
                    and straight at the service: recipients/s, p99, CPU per recipient, which
                    process's main thread is the bottleneck (--connections recipients at a time)
  --clients N       clients of the spike                           (default 3000)
  --spike-seconds S the spike's cut-off: no new request after S s  (default 60)
  --max-wall S      wall-clock cap of the whole run                (default 420)
  --node-flags=F    extra Node flags for every Node target (note the =), e.g.
                    --node-flags="--max-semi-space-size=16 --max-old-space-size=128"
  --help            this text

Results: a table on stdout, the same as JSON in bench/results/<timestamp>.json.`;

function positive(name: string, value: string | undefined, fallback: number, integer = true): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new Error(`--${name}: expected a positive ${integer ? 'integer' : 'number'}, got ${value}`);
  }
  return n;
}

function loaderOf(value: string | undefined): BenchOptions['loader'] {
  if (value === undefined) return 'auto';
  if (value === 'auto' || value === 'wrk' || value === 'autocannon') return value;
  throw new Error(`--loader: expected auto, wrk or autocannon, got ${value}`);
}

/**
 * Parses the flags.
 * @throws {Error} on an unknown flag, a bad number or an unknown target name
 */
export function parseBenchArgs(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowNegative: true,
    options: {
      rounds: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      pipelining: { type: 'string' },
      loader: { type: 'string' },
      only: { type: 'string' },
      tenants: { type: 'string' },
      workers: { type: 'string' },
      quick: { type: 'boolean', default: false },
      'first-warmup': { type: 'string' },
      profile: { type: 'boolean', default: false },
      alloc: { type: 'boolean', default: false },
      pin: { type: 'boolean' },
      instructions: { type: 'boolean', default: false },
      annotate: { type: 'boolean', default: false },
      cache: { type: 'boolean', default: false },
      'max-wall': { type: 'string' },
      spike: { type: 'boolean', default: false },
      stack: { type: 'boolean', default: false },
      clients: { type: 'string' },
      'spike-seconds': { type: 'string' },
      'node-flags': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const quick = values.quick;
  if (values.annotate && !values.instructions) throw new Error('--annotate: only with --instructions');
  if (values.cache && !values.instructions) throw new Error('--cache: only with --instructions');
  const only = values.only ? values.only.split(',').map((s) => s.trim()) : [...TARGET_NAMES];
  for (const name of only) {
    if (!(TARGET_NAMES as readonly string[]).includes(name)) {
      throw new Error(`--only: unknown target ${name} (known: ${TARGET_NAMES.join(', ')})`);
    }
  }
  return {
    rounds: positive('rounds', values.rounds, quick ? 1 : 3),
    durationS: positive('duration', values.duration, quick ? 2 : 5, false),
    warmupS: values.warmup === '0' ? 0 : positive('warmup', values.warmup, quick ? 0.5 : 1, false),
    firstWarmupS:
      values['first-warmup'] === '0'
        ? 0
        : positive('first-warmup', values['first-warmup'], quick ? 0.5 : 6, false),
    connections: positive('connections', values.connections, 50),
    pipelining: positive('pipelining', values.pipelining, 1),
    loader: loaderOf(values.loader),
    only: only as TargetName[],
    tenants: positive('tenants', values.tenants, 10_000),
    workers: positive('workers', values.workers, 2),
    profile: values.profile,
    alloc: values.alloc,
    // Equal cores by default where they can be enforced; `--pin` insists (an error where it cannot).
    pin: values.pin ?? cannotPin() === undefined,
    instructions: values.instructions,
    annotate: values.annotate,
    cache: values.cache,
    maxWallS: positive('max-wall', values['max-wall'], 420, false),
    spike: values.spike,
    stack: values.stack,
    clients: positive('clients', values.clients, 3000),
    spikeSeconds: positive('spike-seconds', values['spike-seconds'], 60, false),
    nodeFlags: values['node-flags']?.split(/\s+/).filter(Boolean) ?? [],
    help: values.help,
  };
}
