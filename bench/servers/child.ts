/**
 * What every benchmark target process shares: it tells the harness it is listening (over the IPC
 * channel the harness opened), and exits cleanly on SIGTERM or when the harness goes away — a clean
 * exit is what makes `node --cpu-prof` write its profile.
 */
import { Session } from 'node:inspector/promises';

/** The message a target sends once it listens. */
export interface ReadyMessage {
  type: 'ready';
  port: number;
  /** Target-specific figures (policy load and compile times, memory). */
  info?: Record<string, unknown>;
}

/** Announces the listening port to the harness. */
export function announceReady(port: number, info?: Record<string, unknown>): void {
  const message: ReadyMessage = { type: 'ready', port, ...(info ? { info } : {}) };
  if (process.send) process.send(message);
  else console.log(JSON.stringify(message));
}

/** Exits on SIGTERM/SIGINT or when the harness disconnects, after `close` (bounded to 3 s). */
export function exitOnSignal(close: () => Promise<void> | void = () => {}): void {
  let closing = false;
  const stop = () => {
    if (closing) return;
    closing = true;
    setTimeout(() => process.exit(0), 3_000).unref();
    Promise.resolve()
      .then(close)
      .catch(() => {})
      .finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('disconnect', stop);
}

/**
 * Answers the harness's `{ type: 'memory' }` with `process.memoryUsage()` before and after a full
 * GC (when started with --expose-gc): what the heap really holds versus what V8 let it grow to.
 */
export function answerMemoryQueries(): void {
  process.on('message', (message: { type?: string }) => {
    if (message?.type !== 'memory') return;
    const before = process.memoryUsage();
    (globalThis as { gc?: () => void }).gc?.();
    process.send?.({ type: 'memory', before, after: process.memoryUsage() });
  });
}

/**
 * Answers the harness's `{ type: 'alloc-start' }` and `{ type: 'alloc-stop' }` (`--alloc`): V8's
 * sampling heap profiler over the inspector, counting the objects the GC has already collected too
 * (they are what a request's garbage is). The stop answer carries the profile.
 */
export function answerAllocationQueries(): void {
  let session: Session | undefined;
  process.on('message', (message: { type?: string }) => {
    if (message?.type === 'alloc-start') {
      session = new Session();
      session.connect();
      void session
        .post('HeapProfiler.startSampling', {
          // Small enough that a 1 KB request's objects are each seen many times over a run.
          samplingInterval: 256,
          includeObjectsCollectedByMajorGC: true,
          includeObjectsCollectedByMinorGC: true,
        })
        .then(() => process.send?.({ type: 'alloc-start' }));
    } else if (message?.type === 'alloc-stop' && session) {
      const done = session;
      session = undefined;
      void done.post('HeapProfiler.stopSampling').then(({ profile }) => {
        done.disconnect();
        process.send?.({ type: 'alloc-stop', profile });
      });
    }
  });
}

/** Parses the JSON configuration the harness passes as the first argument. */
export function childConfig<T>(): T {
  const raw = process.argv[2];
  if (!raw) throw new Error('missing JSON configuration argument');
  return JSON.parse(raw) as T;
}
