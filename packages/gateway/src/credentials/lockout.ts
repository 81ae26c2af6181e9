/**
 * Lockout keys and thresholds. Failures are counted per (tenant, user name) against
 * `lockout.maxFailures` and per (tenant, client address) against `lockout.addressMaxFailures`,
 * a separate and higher threshold: one person's typos lock that person out, not the office,
 * school or company NAT they share an address with, while a password spray over many user names
 * from one address is still stopped. The counters live in the security state (`state/`), so
 * they survive restarts and are shared by workers and replicas.
 *
 * - The name is counted as typed (NFC), known or not: if only real users could be locked out, the
 *   lockout would tell an attacker which names exist.
 * - A guess while locked out is refused before it is verified and counts nothing more, so one
 *   person adds at most `maxFailures` to their address per lockout.
 * - An IPv6 client is counted by its /64: one subscriber or host usually holds a whole /64 and
 *   can pick a fresh address from it for every attempt, which would make a per-address count
 *   useless (net/address-key.ts).
 */
import { addressKey } from '../net/address-key.js';

/** A tenant's lockout settings, durations in milliseconds. */
export interface LockoutPolicy {
  /** Failures of one user name within `window` that lock that name. */
  maxFailures: number;
  /** Failures from one client address within `window` that lock the address (higher). */
  addressMaxFailures: number;
  window: number;
  duration: number;
}

/** The state key of a (tenant, user name) counter. Tenant ids hold no NUL, so it is unambiguous. */
export function userLockKey(tenant: string, user: string): string {
  return `u\0${tenant}\0${user}`;
}

/** The state key of a (tenant, client address) counter (an IPv6 address by its /64). */
export function addressLockKey(tenant: string, ip: string): string {
  return `a\0${tenant}\0${addressKey(ip)}`;
}
