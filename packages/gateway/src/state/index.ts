/**
 * The gateway's security state — lockouts, failure windows, ended sessions — as one object with
 * three layers:
 *
 * 1. an in-memory mirror of the lockouts and revocations in force, read synchronously on the hot
 *    path (a warm Basic-auth request or a session cookie costs a Map lookup, no I/O);
 * 2. the local store ({@link LocalStore}, node:sqlite in the state directory): written through on
 *    every failure, lockout, logout and unlock, so a restart keeps them; shared by the workers of
 *    `serve --workers` (one file, WAL);
 * 3. optionally Redis ({@link RedisStore}, `sharedState.redis`): the fleet's state. Failures are
 *    counted there (atomically); changes arrive by pub/sub into every gateway's mirror and local
 *    store. While Redis is away the gateway keeps serving on layers 1-2 — it never unlocks an
 *    account or revives a session because of the outage, since nothing is ever dropped from them
 *    for that — says so on stderr and in `resultgate_shared_state_up`, and on return pushes the
 *    lockouts and logouts made meanwhile, then reloads the fleet's.
 *
 * Cluster workers also pass every change to each other through the primary (`peers`), so a
 * lockout or logout on one worker is in every worker's mirror at once, with or without Redis.
 */
import { dirname, join, resolve } from 'node:path';
import { LRUCache } from 'lru-cache';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Policy } from '../policy/schema.js';
import { type FailureKey, type FailureResult, LocalStore } from './local-store.js';
import { RedisStore, type StateEvent } from './redis-store.js';

export { type FailureKey, type FailureResult, LocalStore, STATE_FILE } from './local-store.js';
export type { StateEvent } from './redis-store.js';

/** How often expired rows are swept from the stores. */
const SWEEP_EVERY_MS = 60_000;

/** Options of {@link SecurityState}. */
export interface SecurityStateOptions {
  /** The state directory; `undefined` keeps the local store in memory (tests, embedding). */
  dir?: string | undefined;
  /** Redis of the fleet (`sharedState.redis`). */
  redis?: { url: string; prefix?: string | undefined } | undefined;
  now?: () => number;
  /** Where outages are reported. @default process.stderr */
  warn?: (line: string) => void;
}

/** The state directory a policy uses: `sharedState.dir`, else `state/` beside `logs.dir`. */
export function stateDir(policy: Pick<Policy, 'logs' | 'sharedState'>): string {
  return resolve(policy.sharedState?.dir ?? join(dirname(resolve(policy.logs.dir)), 'state'));
}

/** At most `entries` entries, with storage that grows as they come. */
export function capped(entries: number): LRUCache.Options<string, number, unknown> {
  return { maxSize: entries, sizeCalculation: () => 1 };
}

/** Lockouts, failure windows and revocations: mirror, local store and optional Redis. */
export class SecurityState {
  readonly local: LocalStore;
  private readonly remote: RedisStore | undefined;
  // Capped by count through maxSize (each entry weighs 1), not `max`: lru-cache preallocates its
  // arrays for `max` entries, which held 20 MB of every gateway's heap for caps rarely approached.
  private readonly locks = new LRUCache<string, number>(capped(200_000));
  private readonly revoked = new LRUCache<string, number>(capped(500_000));
  /** Changes made while Redis was away, pushed when it is back. */
  private pending: StateEvent[] = [];
  private readonly now: () => number;
  private readonly warn: (line: string) => void;
  private readonly timer: NodeJS.Timeout;
  /** Cluster workers: passes a change to the other workers (set by the worker's runtime). */
  peers: ((event: StateEvent) => void) | undefined;
  readonly metrics = {
    up: new Gauge({
      name: 'resultgate_shared_state_up',
      help: '1 while the shared state (Redis) is reachable; 0 while the gateway runs on its local store',
      registers: [],
    }),
    fallbacks: new Counter({
      name: 'resultgate_shared_state_fallbacks_total',
      help: 'Times the gateway fell back to its local store because Redis was unreachable',
      registers: [],
    }),
  };

  constructor(options: SecurityStateOptions = {}) {
    this.now = options.now ?? Date.now;
    this.warn = options.warn ?? ((line) => void process.stderr.write(line));
    this.local = new LocalStore(options.dir);
    const now = this.now();
    for (const { key, until } of this.local.activeLocks(now)) this.locks.set(key, until);
    for (const { sid, until } of this.local.activeRevocations(now)) this.revoked.set(sid, until);
    if (options.redis) {
      this.remote = new RedisStore({
        url: options.redis.url,
        prefix: options.redis.prefix,
        onEvent: (e) => this.apply(e),
        onStatus: (up, err) => this.status(up, err),
      });
    }
    this.metrics.up.set(this.remote ? 0 : 1);
    this.timer = setInterval(() => this.sweep(), SWEEP_EVERY_MS);
    this.timer.unref();
  }

  /** False while no lockout is in force anywhere this gateway knows of (the hot path's one test). */
  get anyLocked(): boolean {
    return this.locks.size > 0;
  }

  /** True when Redis is configured and reachable. */
  get shared(): boolean {
    return this.remote?.up === true;
  }

  private status(up: boolean, err?: unknown): void {
    this.metrics.up.set(up ? 1 : 0);
    if (!up) {
      this.metrics.fallbacks.inc();
      const why = err instanceof Error ? err.message : String(err ?? 'unreachable');
      this.warn(
        `resultgate: shared state (Redis) unreachable (${why}); serving on the local store, lockouts and logouts kept\n`,
      );
      return;
    }
    this.warn('resultgate: shared state (Redis) reachable; syncing\n');
    void this.resync();
  }

  /** After an outage (or at start): push what was done meanwhile, then take the fleet's state. */
  private async resync(): Promise<void> {
    const remote = this.remote;
    if (!remote) return;
    const pending = this.pending;
    this.pending = [];
    try {
      const now = this.now();
      for (const e of pending) {
        if (e.k === 'lock' && e.until > now) await remote.setLock(e.key, e.until);
        else if (e.k === 'revoke' && e.until > now) await remote.revoke(e.sid, e.until);
        else if (e.k === 'unlock') await remote.unlock(e.key, now);
      }
      const { locks, revoked } = await remote.load(now);
      for (const [key, until] of locks) this.apply({ k: 'lock', key, until });
      for (const [sid, until] of revoked) this.apply({ k: 'revoke', sid, until });
    } catch (err) {
      this.pending.unshift(...pending);
      remote.failed(err);
    }
  }

  /** Applies a change made elsewhere (Redis pub/sub, another worker) to the mirror and local store. */
  apply(event: StateEvent): void {
    try {
      if (event.k === 'lock') {
        if (event.until <= this.now()) return;
        this.locks.set(event.key, Math.max(event.until, this.locks.get(event.key) ?? 0));
        this.local.setLock(event.key, event.until);
      } else if (event.k === 'unlock') {
        this.locks.delete(event.key);
        this.local.unlock(event.key, this.now());
      } else if (event.k === 'revoke') {
        this.revoked.set(event.sid, Math.max(event.until, this.revoked.get(event.sid) ?? 0));
        this.local.revoke(event.sid, event.until);
      }
    } catch (err) {
      this.warn(`resultgate: could not record a shared-state change locally: ${(err as Error).message}\n`);
    }
  }

  private publish(event: StateEvent): void {
    this.peers?.(event);
  }

  /**
   * The end of `key`'s lockout, or 0 — synchronous, from the mirror (the hot path). A lockout in
   * the mirror is confirmed against the local store, so `resultgate users unlock` (which edits the
   * store) takes effect at once; the common case, nobody locked, costs one Map lookup.
   */
  lockedUntil(key: string, now: number): number {
    if (this.locks.size === 0) return 0;
    const until = this.locks.get(key);
    if (until === undefined) return 0;
    if (until <= now) {
      this.locks.delete(key);
      return 0;
    }
    const confirmed = this.local.lockedUntil(key, now);
    if (confirmed === 0) this.locks.delete(key);
    return confirmed;
  }

  /**
   * The latest lockout end among `keys` from the authoritative store (Redis when reachable, else
   * the local one), for a guess about to be verified; 0 when none is locked.
   */
  async lockedUntilFresh(keys: readonly string[], now: number): Promise<number> {
    let until = 0;
    for (const key of keys) until = Math.max(until, this.lockedUntil(key, now));
    if (this.remote?.up) {
      try {
        const remote = await this.remote.locks(keys);
        keys.forEach((key, i) => {
          if (remote[i]! > now) this.apply({ k: 'lock', key, until: remote[i]! });
        });
        until = Math.max(until, ...remote.filter((u) => u > now));
      } catch (err) {
        this.remote.failed(err);
      }
    } else {
      for (const key of keys) until = Math.max(until, this.local.lockedUntil(key, now));
    }
    return until;
  }

  /**
   * Counts a failed attempt on each key (atomically in Redis when reachable; always in the local
   * store too, the fallback's view). A key reaching its threshold is locked for `duration`.
   */
  async fail(keys: readonly FailureKey[], window: number, duration: number, now: number) {
    const local = this.local.fail(keys, window, duration, now);
    let results: FailureResult[] = local;
    if (this.remote?.up) {
      try {
        const remote = await this.remote.fail(keys, window, duration, now);
        results = remote.map((r, i) => {
          const l = local[i]!;
          // Locked locally but not in Redis (failures counted during an outage): tell the fleet.
          if (l.until > r.until) void this.remote?.setLock(r.key, l.until).catch(() => {});
          return { key: r.key, until: Math.max(r.until, l.until), started: r.started || l.started };
        });
      } catch (err) {
        this.remote.failed(err);
      }
    }
    for (const r of results) {
      if (r.until <= now) continue;
      this.locks.set(r.key, r.until);
      this.local.setLock(r.key, r.until);
      if (r.started) {
        const event: StateEvent = { k: 'lock', key: r.key, until: r.until };
        this.publish(event);
        if (this.remote && !this.remote.up) this.pending.push(event);
      }
    }
    return results;
  }

  /** A successful login: forgets the key's failure window (never a lockout). */
  async succeed(key: string): Promise<void> {
    this.local.clearFailures(key);
    if (this.remote?.up) await this.remote.clearFailures(key).catch((err) => this.remote?.failed(err));
  }

  /** Ends a lockout everywhere (`resultgate users unlock`). @returns whether it was locked */
  async unlock(key: string): Promise<boolean> {
    const now = this.now();
    let was = this.local.unlock(key, now);
    this.locks.delete(key);
    const event: StateEvent = { k: 'unlock', key };
    this.publish(event);
    if (this.remote?.up) {
      try {
        was = (await this.remote.unlock(key, now)) || was;
      } catch (err) {
        this.remote.failed(err);
        this.pending.push(event);
      }
    } else if (this.remote) this.pending.push(event);
    return was;
  }

  /** Ends a session until `until` (its token's expiry) on this gateway, its workers and the fleet. */
  async revoke(sid: string, until: number): Promise<void> {
    this.revoked.set(sid, until);
    this.local.revoke(sid, until);
    const event: StateEvent = { k: 'revoke', sid, until };
    this.publish(event);
    if (this.remote?.up) {
      try {
        await this.remote.revoke(sid, until);
      } catch (err) {
        this.remote.failed(err);
        this.pending.push(event);
      }
    } else if (this.remote) this.pending.push(event);
  }

  /** True when the session was ended and its token has not expired yet (synchronous, the mirror). */
  isRevoked(sid: string, now: number): boolean {
    const until = this.revoked.get(sid);
    return until !== undefined && until > now;
  }

  /** Waits until Redis is reachable (tests, the CLI); false after `timeoutMs`. */
  async ready(timeoutMs = 3000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.remote && !this.remote.up && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    return !this.remote || this.remote.up;
  }

  private sweep(): void {
    try {
      this.local.sweep(this.now());
    } catch (err) {
      this.warn(`resultgate: state sweep failed: ${(err as Error).message}\n`);
    }
  }

  /** Exposes the shared-state metrics on `registry` (the admin port's). */
  registerMetrics(registry: Registry): void {
    if (!registry.getSingleMetric('resultgate_shared_state_up')) {
      registry.registerMetric(this.metrics.up);
      registry.registerMetric(this.metrics.fallbacks);
    }
  }

  /** Stops the sweep, closes Redis and the local store. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.remote?.close();
    this.local.close();
  }
}
