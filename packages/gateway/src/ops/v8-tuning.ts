/**
 * One V8 setting for a request/response server, applied once per process when the gateway's app
 * module is imported (before a policy is loaded: decisions V8 made earlier are not undone). Measured with `npm run bench` and `--trace-gc` (bench/README.md): V8's
 * allocation-site pretenuring watches which object literals survive a young-generation GC and,
 * past 85 %, allocates that literal in the old generation from then on. While the gateway warms
 * up, the young generation is small and each GC finds the 50 in-flight requests alive, so the
 * literals of the request path (Node's streams, the proxy hop) were judged long-lived for good:
 * every request then allocated ~10 KB straight into the old generation, each scavenge took
 * ~20 ms instead of ~2 ms, and the heap grew to 250 MB between full GCs. Without pretenuring
 * request garbage dies young, as it should. It changes when memory is reclaimed, never what the
 * program does.
 */
import { setFlagsFromString } from 'node:v8';

let tuned = false;

/** Turns off V8's allocation-site pretenuring (idempotent; `GATEWAY_V8_PRETENURING=1` keeps it). */
export function tuneV8ForServing(): void {
  if (tuned) return;
  tuned = true;
  if (process.env.GATEWAY_V8_PRETENURING === '1') return;
  setFlagsFromString('--no-allocation-site-pretenuring');
}
