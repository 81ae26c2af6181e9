/**
 * Lockout counters: failures per (tenant, user) and per (tenant, client address) within the
 * tenant's `lockout.window`; past `maxFailures`, locked until `duration` ends — even for the
 * right password. Shared by Basic auth and the login form. Bounded (lru-cache) so a flood of
 * made-up user names cannot grow memory without limit. Long-lived: it survives policy reloads.
 *
 * An IPv6 client is counted by its /64: one subscriber or host usually holds a whole /64 and can
 * pick a fresh address from it for every attempt, which would make a per-address count useless.
 */
import { LRUCache } from 'lru-cache';
import { parseIp } from '../client-ip/cidr.js';
import { type GatewayDeps, moduleState } from '../deps.js';

/** A tenant's lockout settings, durations in milliseconds. */
export interface LockoutPolicy {
  maxFailures: number;
  window: number;
  duration: number;
}

interface Counter {
  failures: number[];
  lockedUntil: number;
}

/** Result of {@link LockoutStore.check}: locked, and for how many more seconds. */
export interface LockoutState {
  locked: boolean;
  retryAfterSeconds: number;
}

/**
 * What a client address is counted by: an IPv4 address as is, an IPv6 address by its /64 prefix.
 * @example addressKey('2001:db8:1:2:aaaa::1') // '2001:db8:1:2::/64'
 */
export function addressKey(ip: string): string {
  if (!ip.includes(':')) return ip;
  const parsed = parseIp(ip);
  if (parsed === null || typeof parsed === 'number') return ip;
  const hex = (i: number) => parsed[i]!.toString(16);
  return `${hex(0)}:${hex(1)}:${hex(2)}:${hex(3)}::/64`;
}

const NOT_LOCKED: LockoutState = Object.freeze({ locked: false, retryAfterSeconds: 0 });

/** In-memory lockout store (the scale-out issue adds a Redis one with the same methods). */
export class LockoutStore {
  private readonly counters: LRUCache<string, Counter>;

  /** @param max most keys kept (default 100,000) */
  constructor(max = 100_000) {
    this.counters = new LRUCache({ max });
  }

  private keys(tenant: string, user: string | undefined, ip: string): string[] {
    const keys = [`ip\0${tenant}\0${addressKey(ip)}`];
    if (user !== undefined) keys.push(`user\0${tenant}\0${user}`);
    return keys;
  }

  /** Whether the user or the address is locked out now. */
  check(tenant: string, user: string | undefined, ip: string, now: number): LockoutState {
    // The usual case on the hot path: nobody has failed lately, so there is nothing to look up.
    if (this.counters.size === 0) return NOT_LOCKED;
    let until = 0;
    const byIp = this.counters.get(`ip\0${tenant}\0${addressKey(ip)}`);
    if (byIp && byIp.lockedUntil > now) until = byIp.lockedUntil;
    if (user !== undefined) {
      const byUser = this.counters.get(`user\0${tenant}\0${user}`);
      if (byUser && byUser.lockedUntil > now) until = Math.max(until, byUser.lockedUntil);
    }
    return until > now ? { locked: true, retryAfterSeconds: Math.ceil((until - now) / 1000) } : NOT_LOCKED;
  }

  /**
   * Records a failure. @returns true when this failure started a lockout (audit it once).
   */
  fail(tenant: string, user: string | undefined, ip: string, policy: LockoutPolicy, now: number): boolean {
    let started = false;
    for (const key of this.keys(tenant, user, ip)) {
      const c = this.counters.get(key) ?? { failures: [], lockedUntil: 0 };
      c.failures = c.failures.filter((t) => t > now - policy.window);
      c.failures.push(now);
      if (c.failures.length >= policy.maxFailures && c.lockedUntil <= now) {
        c.lockedUntil = now + policy.duration;
        c.failures = [];
        started = true;
      }
      this.counters.set(key, c);
    }
    return started;
  }

  /** A successful login clears the user's failures (not the address's: one good account must not unlock a spray). */
  succeed(tenant: string, user: string): void {
    this.counters.delete(`user\0${tenant}\0${user}`);
  }
}

/**
 * The gateway's one lockout store, kept in the long-lived deps so counters survive policy reloads.
 * Basic auth and the login form share it: failures in either count towards one lockout.
 * @example const locked = lockoutStore(ctx.deps).check(tenantId, user, ip, ctx.deps.now());
 */
export function lockoutStore(deps: GatewayDeps): LockoutStore {
  return moduleState(deps, 'lockouts', () => new LockoutStore());
}
