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
});
