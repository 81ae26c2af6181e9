import { describe, expect, it } from 'vitest';
import { memoryDeps } from '../create-deps.js';
import { processLimits } from './index.js';
import { type Key, Limiter, type Pending } from './limiter.js';
import { Room } from './room.js';
import { TicketSigner } from './ticket.js';

const k = (a: number, b = 0): Key => [a, b];

describe('Limiter', () => {
  it('admits up to maxConcurrent, queues up to maxQueue, refuses the rest', async () => {
    const l = new Limiter({ maxConcurrent: 1, maxQueue: 1, queueTimeout: 1000 });
    expect(l.acquire(k(1))).toBe(true);
    const queued = l.acquire(k(2)) as Pending;
    expect(queued.promise).toBeInstanceOf(Promise);
    expect(l.acquire(k(3))).toBe(false);
    l.release();
    expect(await queued.promise).toBe('admitted');
    expect(l.active).toBe(1);
    l.release();
    expect(l.active).toBe(0);
  });

  it('refuses a queued request after queueTimeout', async () => {
    const l = new Limiter({ maxConcurrent: 1, maxQueue: 5, queueTimeout: 20 });
    l.acquire(k(1));
    expect(await (l.acquire(k(2)) as Pending).promise).toBe('timeout');
    expect(l.queued).toBe(0);
  });

  it('admits waiters in key order, whatever order they arrived in', async () => {
    const l = new Limiter({ maxConcurrent: 1, maxQueue: 10, queueTimeout: 1000 });
    l.acquire(k(0));
    const order: number[] = [];
    for (const n of [5, 2, 9, 1, 7]) {
      void (l.acquire(k(n)) as Pending).promise.then((o) => {
        if (o === 'admitted') order.push(n);
        l.release();
      });
    }
    l.release();
    await new Promise((r) => setTimeout(r, 10));
    expect(order).toEqual([1, 2, 5, 7, 9]);
    expect(l.active).toBe(0);
  });

  it('a full queue takes an earlier key and sends its latest waiter away', async () => {
    const l = new Limiter({ maxConcurrent: 1, maxQueue: 2, queueTimeout: 1000 });
    l.acquire(k(0));
    const late = l.acquire(k(20)) as Pending;
    const mid = l.acquire(k(10)) as Pending;
    expect(l.acquire(k(30))).toBe(false);
    const early = l.acquire(k(5)) as Pending;
    expect(await late.promise).toBe('evicted');
    expect(l.queued).toBe(2);
    l.release();
    expect(await early.promise).toBe('admitted');
    l.release();
    expect(await mid.promise).toBe('admitted');
  });

  it('a waiter that leaves frees its place; the same key again replaces the earlier wait', async () => {
    const l = new Limiter({ maxConcurrent: 1, maxQueue: 1, queueTimeout: 1000 });
    l.acquire(k(0));
    const a = l.acquire(k(1)) as Pending;
    a.leave();
    expect(await a.promise).toBe('left');
    expect(l.queued).toBe(0);
    const b = l.acquire(k(2)) as Pending;
    const again = l.acquire(k(2)) as Pending;
    expect(await b.promise).toBe('evicted');
    expect(l.queued).toBe(1);
    l.release();
    expect(await again.promise).toBe('admitted');
  });

  it('while gated admits nothing directly; ungate admits in key order up to the limit', async () => {
    const l = new Limiter({ maxConcurrent: 2, maxQueue: 5, queueTimeout: 1000 });
    l.gated = true;
    const waits = [3, 1, 2].map((n) => l.acquire(k(n)) as Pending);
    expect(l.active).toBe(0);
    l.ungate();
    expect(l.active).toBe(2);
    expect(await waits[1]!.promise).toBe('admitted');
    expect(await waits[2]!.promise).toBe('admitted');
    expect(l.queued).toBe(1);
  });
});

describe('Limiter.reconfigure (a policy reload)', () => {
  it('keeps its holders and waiters when reconfigured; a lower limit is reached before handing on', async () => {
    const l = new Limiter({ maxConcurrent: 2, maxQueue: 5, queueTimeout: 1000 });
    expect(l.acquire(k(1))).toBe(true);
    expect(l.acquire(k(2))).toBe(true);
    const waiting = l.acquire(k(3)) as Pending;
    l.reconfigure({ maxConcurrent: 1, maxQueue: 5, queueTimeout: 1000 });
    expect(l.active).toBe(2);
    l.release(); // 2 → 1: still at the new limit, the waiter waits
    expect(l.active).toBe(1);
    expect(l.queued).toBe(1);
    l.release(); // now under it: the waiter takes the slot
    expect(await waiting.promise).toBe('admitted');
    expect(l.active).toBe(1);
    l.reconfigure({ maxConcurrent: 3, maxQueue: 5, queueTimeout: 1000 });
    expect(l.acquire(k(4))).toBe(true);
    expect(l.active).toBe(2);
  });

  it('a raised limit admits waiters at once', async () => {
    const l = new Limiter({ maxConcurrent: 1, maxQueue: 5, queueTimeout: 1000 });
    l.acquire(k(1));
    const w = l.acquire(k(2)) as Pending;
    l.reconfigure({ maxConcurrent: 2, maxQueue: 5, queueTimeout: 1000 });
    expect(await w.promise).toBe('admitted');
    expect(l.active).toBe(2);
  });
});

describe('TicketSigner', () => {
  const key = crypto.getRandomValues(new Uint8Array(32));
  const signer = new TicketSigner([key]);
  const t = { issued: 1_800_000_000_000, seq: 42, until: 1_800_000_100_000 };
  const now = 1_800_000_050_000;

  it('verifies its own ticket for the same tenant and zone, and nothing else', () => {
    const value = signer.sign('school-a', 'recipient', t);
    expect(signer.verify('school-a', 'recipient', value, now)).toEqual(t);
    expect(signer.verify('school-b', 'recipient', value, now)).toBeUndefined();
    expect(signer.verify('school-a', 'admin', value, now)).toBeUndefined();
    expect(signer.verify('school-a', 'recipient', value, t.until)).toBeUndefined();
    expect(
      new TicketSigner([crypto.getRandomValues(new Uint8Array(32))]).verify(
        'school-a',
        'recipient',
        value,
        now,
      ),
    ).toBeUndefined();
  });

  it('refuses a ticket with any field changed', () => {
    const value = signer.sign('school-a', 'recipient', t);
    const parts = value.split('.');
    for (const i of [1, 2, 3]) {
      const edited = [...parts];
      edited[i] = (Number.parseInt(parts[i]!, 36) - 1).toString(36);
      expect(signer.verify('school-a', 'recipient', edited.join('.'), now)).toBeUndefined();
    }
    for (const bad of ['', 'x', '1.a.b.c', `${value}x`, value.replace(/^1/, '2'), 'a'.repeat(200)]) {
      expect(signer.verify('school-a', 'recipient', bad, now)).toBeUndefined();
    }
  });

  it('verifies with an older key after rotation (newest signs)', () => {
    const old = signer.sign('school-a', 'recipient', t);
    const rotated = new TicketSigner([crypto.getRandomValues(new Uint8Array(32)), key]);
    expect(rotated.verify('school-a', 'recipient', old, now)).toEqual(t);
  });

  it('draws the same number for the same ticket, spread over [0, 1)', () => {
    const draws = Array.from({ length: 200 }, (_, i) => signer.draw('school-a', 'recipient', t.issued, i));
    expect(signer.draw('school-a', 'recipient', t.issued, 7)).toBe(draws[7]);
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThan(1);
    expect(new Set(draws).size).toBe(200);
  });
});

describe('Room', () => {
  it('ranks pre-opening tickets by draw, ahead of every later arrival', () => {
    const deps = memoryDeps();
    const opensAt = Date.parse('2027-03-01T01:00:00Z');
    const room = new Room(
      {
        tenantId: 'a',
        zoneName: 'r',
        opensAt,
        ticketWindow: 600_000,
        limits: { maxConcurrent: 1, maxQueue: 1, queueTimeout: 1 },
      },
      new TicketSigner(deps.sessionKeys),
      () => opensAt - 1000,
    );
    expect(room.limiter!.gated).toBe(true);
    const pre = room.keyOf({ issued: opensAt - 5000, seq: 1 });
    const post = room.keyOf({ issued: opensAt, seq: 2 });
    expect(pre[0]).toBeLessThan(post[0]);
    expect(post).toEqual([opensAt, 2]);
    room.checkGate(opensAt + 5000);
    expect(room.limiter!.gated).toBe(false);
  });
});

describe('processLimits', () => {
  it('shares a zone out among processes without exceeding it together', () => {
    expect(processLimits(50, 50, 1)).toEqual({ maxConcurrent: 50, maxQueue: 50 });
    expect(processLimits(50, 100, 4)).toEqual({ maxConcurrent: 12, maxQueue: 25 });
    expect(processLimits(50, 10, 3)).toEqual({ maxConcurrent: 16, maxQueue: 4 });
    expect(processLimits(2, 0, 8)).toEqual({ maxConcurrent: 1, maxQueue: 0 });
    for (let n = 1; n <= 50; n++) expect(processLimits(50, 50, n).maxConcurrent * n).toBeLessThanOrEqual(50);
  });
});

describe('Room, tickets out', () => {
  it('drops holders past due, so the zone returns to the fast path', () => {
    const deps = memoryDeps();
    let t = 1_000_000;
    const room = new Room(
      {
        tenantId: 'a',
        zoneName: 'r',
        ticketWindow: 0,
        limits: { maxConcurrent: 1, maxQueue: 1, queueTimeout: 1 },
      },
      new TicketSigner(deps.sessionKeys),
      () => t,
    );
    expect(room.ticketsOut(() => t)).toBe(false);
    room.ticketed([t, 1], t + 5000, t);
    room.ticketed([t, 2], t + 9000, t);
    expect(room.ticketsOut(() => t)).toBe(true);
    expect(room.ticketAhead([t, 3], t)).toBe(true);
    expect(room.place([t, 3])).toBe(3);
    room.returned([t, 1]);
    expect(room.place([t, 3])).toBe(2);
    t += 10_000;
    expect(room.ticketsOut(() => t)).toBe(false);
    expect(room.ticketAhead([t, 3], t)).toBe(false);
  });
});
