/**
 * A counting semaphore with a bounded FIFO queue and a queue timeout: the admission control of
 * one zone (DESIGN §4 step 12).
 */

interface Waiter {
  resolve: (admitted: boolean) => void;
  timer: NodeJS.Timeout;
}

/** Limits of one {@link Limiter}. */
export interface LimiterOptions {
  maxConcurrent: number;
  maxQueue: number;
  /** ms a request may wait in the queue. */
  queueTimeout: number;
}

/** Admits up to `maxConcurrent` at once, queues up to `maxQueue` more, refuses the rest. */
export class Limiter {
  active = 0;
  private readonly queue: Waiter[] = [];

  constructor(public options: LimiterOptions) {}

  /**
   * Takes new limits (a policy reload) without forgetting who holds a slot or waits: a reload
   * must not let more requests run at once than the zone allows. A raised limit admits waiters.
   */
  reconfigure(options: LimiterOptions): void {
    this.options = options;
    while (this.queue.length > 0 && this.active < options.maxConcurrent) {
      this.active++;
      const next = this.queue.shift()!;
      clearTimeout(next.timer);
      next.resolve(true);
    }
  }

  /** Number of requests waiting. */
  get queued(): number {
    return this.queue.length;
  }

  /**
   * Takes a slot, waiting in the queue if needed.
   * @returns true when admitted (call {@link release} exactly once later), false when refused
   */
  acquire(): boolean | Promise<boolean> {
    if (this.active < this.options.maxConcurrent) {
      this.active++;
      return true;
    }
    if (this.queue.length >= this.options.maxQueue) return false;
    return new Promise<boolean>((resolve) => {
      const waiter: Waiter = {
        resolve,
        timer: setTimeout(() => {
          const i = this.queue.indexOf(waiter);
          if (i >= 0) this.queue.splice(i, 1);
          resolve(false);
        }, this.options.queueTimeout),
      };
      this.queue.push(waiter);
    });
  }

  /** Frees a slot; the next waiter (if any) takes it over directly. */
  release(): void {
    // After a reload that lowered the limit, a freed slot is not handed on until under it.
    const next = this.active <= this.options.maxConcurrent ? this.queue.shift() : undefined;
    if (next) {
      clearTimeout(next.timer);
      next.resolve(true);
    } else this.active--;
  }
}
