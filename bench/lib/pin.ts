/**
 * `--pin`: equal cores, enforced. The harness — and so the load generator and the upstream it
 * starts — runs on the first CPU; each single-process target on the last one, every thread of it
 * (its GC and compiler threads included). Unpinned, where the scheduler put a target's main thread
 * decided its CPU per request: beside wrk or the upstream it paid in cache and switches, so the
 * same code measured ~100 µs in one run and ~160 µs in the next on this 2-vCPU VM. The
 * multi-process rows (`gateway-workers`, `nginx` with `worker_processes auto`) are left free: they
 * are there to use every core.
 */
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

/**
 * The CPUs this run may use, read once as the module loads: `availableParallelism()` follows the
 * process's own affinity, so once {@link pinHarness} has pinned the harness it answers 1 — and the
 * targets were then "pinned" to the harness's own CPU (until 2026-12-07: every `--pin` figure
 * before that ran the whole bench on one core).
 */
const CPUS = availableParallelism();

/** Why pinning cannot be done here, or undefined when it can. */
export function cannotPin(): string | undefined {
  if (CPUS < 2) return 'one CPU only';
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'taskset is not installed (util-linux)';
  }
}

/** Sets the CPU of every thread of `pid`. */
function pinProcess(pid: number, cpu: number): void {
  execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { stdio: 'ignore' });
}

/** Pins this process (and what it starts from now on) to the first CPU. */
export function pinHarness(): void {
  pinProcess(process.pid, 0);
}

/** Lets a target's processes run on every CPU again (they inherited the harness's first CPU). */
export function freeTarget(pids: number[]): void {
  const all = `0-${CPUS - 1}`;
  for (const pid of pids) execFileSync('taskset', ['-a', '-p', '-c', all, String(pid)], { stdio: 'ignore' });
}

/** Pins a target's processes, every thread, to the last CPU. */
export function pinTarget(pids: number[]): void {
  const last = CPUS - 1;
  for (const pid of pids) pinProcess(pid, last);
}
