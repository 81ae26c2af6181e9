import { describe, expect, it } from 'vitest';
import { addressKey, LockoutStore } from './lockout.js';

const policy = { maxFailures: 3, window: 60_000, duration: 120_000 };

describe('lockout', () => {
  it('locks a user after maxFailures within the window, until duration ends', () => {
    const store = new LockoutStore();
    expect(store.fail('t', 'alice', '10.0.0.1', policy, 0)).toBe(false);
    expect(store.fail('t', 'alice', '10.0.0.2', policy, 1000)).toBe(false);
    expect(store.fail('t', 'alice', '10.0.0.3', policy, 2000)).toBe(true);
    expect(store.check('t', 'alice', '10.0.0.9', 3000)).toEqual({ locked: true, retryAfterSeconds: 119 });
    expect(store.check('t', 'alice', '10.0.0.9', 122_001).locked).toBe(false);
  });

  it('locks an address spraying many users', () => {
    const store = new LockoutStore();
    for (const [i, user] of ['a', 'b', 'c'].entries()) store.fail('t', user, '10.0.0.1', policy, i);
    expect(store.check('t', 'd', '10.0.0.1', 10).locked).toBe(true);
    expect(store.check('t', 'd', '10.0.0.2', 10).locked).toBe(false);
  });

  it('forgets failures older than the window, and keeps tenants apart', () => {
    const store = new LockoutStore();
    store.fail('t', 'alice', '10.0.0.1', policy, 0);
    store.fail('t', 'alice', '10.0.0.1', policy, 1);
    expect(store.fail('t', 'alice', '10.0.0.1', policy, 70_000)).toBe(false);
    expect(store.check('other', 'alice', '10.0.0.1', 70_001).locked).toBe(false);
  });

  it('counts an IPv6 client by its /64, so rotating addresses within it does not escape', () => {
    const store = new LockoutStore();
    const from = ['2001:db8:1:2::1', '2001:db8:1:2:ffff:ffff:ffff:fffe', '2001:0db8:0001:0002:abcd::9'];
    for (const [i, ip] of from.entries()) store.fail('t', `user${i}`, ip, policy, i);
    expect(store.check('t', 'someone', '2001:db8:1:2:1234::5', 10).locked).toBe(true);
    expect(store.check('t', 'someone', '2001:db8:1:3::1', 10).locked).toBe(false);
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey('203.0.113.7')).toBe('203.0.113.7');
  });
});
