/**
 * Runs tasks one after another per key. Basic auth verifies uncached credentials through it,
 * keyed by (tenant, user) and (tenant, address): without it, 1,000 concurrent guesses would all
 * pass the lockout check before the first failure was counted, and `maxFailures` would mean
 * nothing. Tasks only wait for tasks that arrived earlier, so there is no deadlock.
 */
export class KeyedQueue {
  /** @param tails the last task of each key; the deps' map (`deps.credentialQueue`), so it outlives a policy load */
  constructor(private readonly tails: Map<string, Promise<void>> = new Map()) {}

  /** Number of keys with queued or running tasks (for tests and metrics). */
  get size(): number {
    return this.tails.size;
  }

  /**
   * Runs `task` once every earlier task on any of `keys` has settled.
   * @example await queue.run([`user\0${tenant}\0${user}`], () => verify(...))
   */
  run<T>(keys: readonly string[], task: () => Promise<T>): Promise<T> {
    const before: Promise<void>[] = [];
    for (const key of keys) {
      const tail = this.tails.get(key);
      if (tail) before.push(tail);
    }
    const result = before.length === 0 ? task() : Promise.all(before).then(task);
    const tail = result.then(
      () => {},
      () => {},
    );
    for (const key of keys) this.tails.set(key, tail);
    void tail.then(() => {
      for (const key of keys) if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}
