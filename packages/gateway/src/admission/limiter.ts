/**
 * A counting semaphore with a bounded queue ordered by ticket: the admission control of one zone
 * (docs/architecture.md §4 step 12). The queue is kept sorted by each waiter's {@link Key} — its
 * arrival time and sequence, or its draw at a scheduled opening — so it is FIFO for plain arrivals, and a
 * returning ticket holder takes its old place ahead of later arrivals. When the queue is full, an
 * earlier key still gets in and the latest waiter is sent away (`evicted`), so the queue always
 * holds the earliest tickets present.
 */

/** A waiter's place: compared by the first number, then the second. Smaller goes first. */
export type Key = readonly [number, number];

/** How a wait ended. */
export type Outcome = 'admitted' | 'timeout' | 'evicted' | 'left';

/** A request waiting in the queue. */
export interface Pending {
  readonly key: Key;
  readonly promise: Promise<Outcome>;
  /** The client went away: leaves the queue (no effect once the wait has ended). */
  leave(): void;
}

interface Waiter extends Pending {
  settle(outcome: Outcome): void;
  timer: NodeJS.Timeout | undefined;
}

/** Limits of one {@link Limiter}. */
export interface LimiterOptions {
  maxConcurrent: number;
  maxQueue: number;
  /** ms a request may wait in the queue. */
  queueTimeout: number;
}

/** -1, 0, 1 as `a` goes before, with, after `b`. */
export function compareKeys(a: Key, b: Key): number {
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1;
  if (a[1] !== b[1]) return a[1] < b[1] ? -1 : 1;
  return 0;
}

/** Admits up to `maxConcurrent` at once, queues up to `maxQueue` more in key order, refuses the rest. */
export class Limiter {
  active = 0;
  /**
   * While true nothing is admitted directly, only queued (the seconds after a scheduled opening,
   * so the draw decides the order, not who reloaded fastest). {@link ungate} admits from the queue.
   */
  gated = false;
  private readonly queue: Waiter[] = [];

  constructor(public options: LimiterOptions) {}

  /**
   * Takes new limits (a policy reload) without forgetting who holds a slot or waits: a reload
   * must not let more requests run at once than the zone allows. A raised limit admits waiters.
   */
  reconfigure(options: LimiterOptions): void {
    this.options = options;
    if (!this.gated) this.ungate();
  }

  /** Number of requests waiting. */
  get queued(): number {
    return this.queue.length;
  }

  /** True when a request would be admitted at once. */
  get free(): boolean {
    return !this.gated && this.active < this.options.maxConcurrent;
  }

  /**
   * Takes a slot, waiting in the queue if needed.
   * @param key the request's place in line
   * @returns true when admitted (call {@link release} exactly once later), false when refused (no
   *   room and no waiter later than `key`), or the wait in the queue
   */
  acquire(key: Key): true | false | Pending {
    if (this.free) {
      this.active++;
      return true;
    }
    const q = this.queue;
    // Binary search for the first waiter after `key`.
    let lo = 0;
    let hi = q.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareKeys(q[mid]!.key, key) <= 0) lo = mid + 1;
      else hi = mid;
    }
    // One place per ticket: the same key again is the same client refreshing, whose earlier
    // request is gone or about to be; it gives its place to the new one.
    if (lo > 0 && compareKeys(q[lo - 1]!.key, key) === 0) {
      const old = q[lo - 1]!;
      q.splice(lo - 1, 1);
      lo--;
      old.settle('evicted');
    } else if (q.length >= this.options.maxQueue) {
      if (lo >= q.length) return false;
      // Full, but this key is earlier than the last waiter: the last one goes.
      q.pop()!.settle('evicted');
    }
    const waiter = this.makeWaiter(key);
    q.splice(lo, 0, waiter);
    return waiter;
  }

  private makeWaiter(key: Key): Waiter {
    let resolve!: (o: Outcome) => void;
    const promise = new Promise<Outcome>((r) => {
      resolve = r;
    });
    let done = false;
    const waiter: Waiter = {
      key,
      promise,
      timer: undefined,
      settle: (outcome) => {
        if (done) return;
        done = true;
        if (waiter.timer) clearTimeout(waiter.timer);
        resolve(outcome);
      },
      leave: () => {
        if (done) return;
        this.remove(waiter);
        waiter.settle('left');
      },
    };
    waiter.timer = setTimeout(() => {
      this.remove(waiter);
      waiter.settle('timeout');
    }, this.options.queueTimeout);
    return waiter;
  }

  private remove(waiter: Waiter): void {
    const i = this.queue.indexOf(waiter);
    if (i >= 0) this.queue.splice(i, 1);
  }

  /** Frees a slot; the first waiter (if any) takes it over directly. */
  release(): void {
    // After a reload that lowered the limit, a freed slot is not handed on until under it.
    if (!this.gated && this.active <= this.options.maxConcurrent) {
      const next = this.queue.shift();
      if (next) {
        next.settle('admitted');
        return;
      }
    }
    this.active--;
  }

  /** Ends the gate: admits waiters in key order while there are slots. */
  ungate(): void {
    this.gated = false;
    while (this.active < this.options.maxConcurrent && this.queue.length > 0) {
      this.active++;
      this.queue.shift()!.settle('admitted');
    }
  }
}
