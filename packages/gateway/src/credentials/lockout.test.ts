import { describe, expect, it } from 'vitest';
import { addressKey } from '../net/address-key.js';
import { addressLockKey, userLockKey } from './lockout.js';

describe('lockout keys', () => {
  it('counts an IPv6 client by its /64, so rotating addresses within it does not escape', () => {
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:0db8:0001:0002:abcd::9')).toBe('2001:db8:1:2::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey('203.0.113.7')).toBe('203.0.113.7');
    expect(addressLockKey('t', '2001:db8:1:2::1')).toBe(addressLockKey('t', '2001:db8:1:2:ffff::fffe'));
    expect(addressLockKey('t', '2001:db8:1:2::1')).not.toBe(addressLockKey('t', '2001:db8:1:3::1'));
  });

  it('keeps tenants, users and addresses apart', () => {
    expect(userLockKey('t', 'alice')).not.toBe(userLockKey('u', 'alice'));
    expect(userLockKey('t', '10.0.0.1')).not.toBe(addressLockKey('t', '10.0.0.1'));
  });
});
