/**
 * Answers whose client has stopped reading them. A client that stops reading a large answer (a
 * zero TCP window) would hold what the answer holds for ever: a zone's slot (the admission step),
 * an upstream connection of the shared pool (the proxy hop, which pauses the upstream read) —
 * `maxConcurrent` such connections shut a zone, a few addresses the whole pool. As nginx's
 * `send_timeout`: an answer with bytes waiting that have not moved for the timeout is cut, which
 * frees both. A slow reader that makes progress is never cut.
 *
 * One timer for the process (not one per request), running only while answers are watched; it
 * outlives a policy reload, as the requests admitted before it do.
 */
import type { ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';

interface Watched {
  out: ServerResponse;
  timeoutMs: number;
  /** `out.writableLength` when last looked at. */
  waiting: number;
  /** When it last moved (or had nothing waiting), by performance.now(). */
  moved: number;
}

const watched = new Set<Watched>();
let timer: NodeJS.Timeout | undefined;
/** How often the answers are looked at (ms). */
const EVERY_MS = 500;

function look(): void {
  const t = performance.now();
  for (const w of watched) {
    if (w.out.writableFinished || w.out.destroyed) {
      watched.delete(w);
      continue;
    }
    const waiting = w.out.writableLength;
    if (waiting === 0 || waiting !== w.waiting) {
      w.waiting = waiting;
      w.moved = t;
    } else if (t - w.moved >= w.timeoutMs) {
      watched.delete(w);
      // The proxy sees its client gone (499) and the slot's holder its 'close'.
      w.out.destroy();
    }
  }
  if (watched.size === 0 && timer) {
    clearInterval(timer);
    timer = undefined;
  }
}

/**
 * Watches `out` until it finishes or closes; cuts it when bytes wait unread for `timeoutMs`.
 * @returns a function that stops watching (call it when the slot is released or the answer ends)
 * @example const unwatch = watchStalled(c.env.outgoing, 30_000)
 */
export function watchStalled(out: ServerResponse, timeoutMs: number): () => void {
  const w: Watched = { out, timeoutMs, waiting: 0, moved: performance.now() };
  watched.add(w);
  timer ??= setInterval(look, EVERY_MS).unref();
  return () => {
    watched.delete(w);
  };
}

/** Answers being watched now (for tests). */
export function stalledWatched(): number {
  return watched.size;
}
