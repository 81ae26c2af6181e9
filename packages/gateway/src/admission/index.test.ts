import { describe, expect, it } from 'vitest';
import { Limiter } from './limiter.js';

describe('Limiter', () => {
  it('admits up to maxConcurrent, queues up to maxQueue, refuses the rest', async () => {
    const l = new Limiter({ maxConcurrent: 1, maxQueue: 1, queueTimeout: 1000 });
    expect(l.acquire()).toBe(true);
    const queued = l.acquire();
    expect(queued).toBeInstanceOf(Promise);
    expect(l.acquire()).toBe(false);
    l.release();
    expect(await queued).toBe(true);
    expect(l.active).toBe(1);
    l.release();
    expect(l.active).toBe(0);
  });

  it('refuses a queued request after queueTimeout', async () => {
    const l = new Limiter({ maxConcurrent: 1, maxQueue: 5, queueTimeout: 20 });
    l.acquire();
    expect(await l.acquire()).toBe(false);
    expect(l.queued).toBe(0);
  });

  it('keeps its holders and waiters when reconfigured; a lower limit is reached before handing on', async () => {
    const l = new Limiter({ maxConcurrent: 2, maxQueue: 5, queueTimeout: 1000 });
    expect(l.acquire()).toBe(true);
    expect(l.acquire()).toBe(true);
    const waiting = l.acquire();
    l.reconfigure({ maxConcurrent: 1, maxQueue: 5, queueTimeout: 1000 });
    expect(l.active).toBe(2);
    l.release(); // 2 → 1: still at the new limit, the waiter waits
    expect(l.active).toBe(1);
    expect(l.queued).toBe(1);
    l.release(); // now under it: the waiter takes the slot
    expect(await waiting).toBe(true);
    expect(l.active).toBe(1);
    l.reconfigure({ maxConcurrent: 3, maxQueue: 5, queueTimeout: 1000 });
    expect(l.acquire()).toBe(true);
    expect(l.active).toBe(2);
  });
});
