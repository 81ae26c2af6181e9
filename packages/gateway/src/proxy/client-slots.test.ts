import { describe, expect, it } from 'vitest';
import { ClientSlots, perClientShare } from './client-slots.js';

describe('perClientShare', () => {
  it('shares connectionsPerClient out among the workers, rounded up, at least 1', () => {
    expect(perClientShare(64, 1)).toBe(64);
    expect(perClientShare(64, 4)).toBe(16);
    expect(perClientShare(10, 4)).toBe(3);
    expect(perClientShare(2, 2)).toBe(1);
    expect(perClientShare(1, 8)).toBe(1);
    // A bad worker count counts as one process.
    expect(perClientShare(5, 0)).toBe(5);
  });
});

describe('ClientSlots', () => {
  it('counts an IPv6 client by its /64 and frees a slot on release', () => {
    const slots = new ClientSlots();
    const a = slots.take('2001:db8::1', 2);
    expect(slots.take('2001:db8::ffff', 2)).toBe(a);
    expect(slots.take('2001:db8::2', 2)).toBeUndefined();
    slots.release(a!);
    expect(slots.take('2001:db8::3', 2)).toBe(a);
    expect(slots.size).toBe(1);
  });
});
