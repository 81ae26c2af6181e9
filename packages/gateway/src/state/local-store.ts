/**
 * The embedded security store: lockouts, failure windows and ended sessions in `node:sqlite`, so a
 * restart keeps every logout and every lockout without any server. One file in the state
 * directory (next to the logs by default), in WAL mode so the workers of `serve --workers` and a
 * CLI command (`users unlock`) can share it; every write is one short transaction. Bounded: expired
 * rows are swept every minute and each table is capped (the oldest rows go first).
 *
 * All methods are synchronous (node:sqlite is). They run on failures, logouts and unlocks — never
 * on a warm request, which reads the in-memory mirror of {@link SecurityState} instead.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';

/** One counted failure: the key (`u\0tenant\0user` or `a\0tenant\0address`) and its threshold. */
export interface FailureKey {
  key: string;
  max: number;
}

/** What a failure did to one key: its lock end (0 = not locked) and whether this failure began it. */
export interface FailureResult {
  key: string;
  until: number;
  started: boolean;
}

/** Row caps: far above any real use, so only a flood reaches them (then the oldest rows go). */
export const STATE_LIMITS = { failures: 1_000_000, locks: 200_000, revoked: 500_000 } as const;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS failures (key TEXT NOT NULL, at INTEGER NOT NULL, expires INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS failures_key ON failures (key, at);
CREATE INDEX IF NOT EXISTS failures_expires ON failures (expires);
CREATE TABLE IF NOT EXISTS locks (key TEXT PRIMARY KEY, until INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS revoked (sid TEXT PRIMARY KEY, until INTEGER NOT NULL) WITHOUT ROWID;
`;

/** The file name of the store inside the state directory. */
export const STATE_FILE = 'security.sqlite';

/** Lockouts, failure windows and revocations in one SQLite database (a file, or `:memory:`). */
export class LocalStore {
  private readonly db: DatabaseSync;
  private readonly q: Record<string, StatementSync>;

  /**
   * @param dir the state directory (created 0700), or `undefined` for an in-memory store (tests,
   *   embedding without a disk)
   */
  constructor(readonly dir: string | undefined) {
    if (dir !== undefined) mkdirSync(dir, { recursive: true, mode: 0o700 });
    // The busy timeout is set as the file opens, before anything else runs: `serve --workers` opens
    // the file in every worker at once, and switching it to WAL takes a moment's exclusive lock —
    // set after that switch, a worker that found the lock taken failed at once ("database is
    // locked") and serve did not start.
    this.db = new DatabaseSync(dir === undefined ? ':memory:' : join(dir, STATE_FILE), { timeout: 5000 });
    // WAL: readers never wait for the writer; the timeout above: workers sharing the file wait for
    // each other's (sub-millisecond) transactions instead of failing.
    this.db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;');
    this.db.exec(SCHEMA);
    const p = (sql: string) => this.db.prepare(sql);
    this.q = {
      lock: p('SELECT until FROM locks WHERE key = ?'),
      setLock: p(
        'INSERT INTO locks (key, until) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET until = max(until, excluded.until)',
      ),
      unlock: p('DELETE FROM locks WHERE key = ?'),
      prune: p('DELETE FROM failures WHERE key = ? AND at <= ?'),
      addFailure: p('INSERT INTO failures (key, at, expires) VALUES (?, ?, ?)'),
      countFailures: p('SELECT count(*) AS n FROM failures WHERE key = ?'),
      clearFailures: p('DELETE FROM failures WHERE key = ?'),
      revoke: p(
        'INSERT INTO revoked (sid, until) VALUES (?, ?) ON CONFLICT (sid) DO UPDATE SET until = max(until, excluded.until)',
      ),
      activeLocks: p('SELECT key, until FROM locks WHERE until > ?'),
      activeRevoked: p('SELECT sid, until FROM revoked WHERE until > ?'),
    };
  }

  /** Runs `fn` in one write transaction (BEGIN IMMEDIATE: processes sharing the file take turns). */
  private tx<T>(fn: () => T): T {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const result = fn();
      this.db.exec('COMMIT');
      return result;
    } catch (err) {
      this.db.exec('ROLLBACK');
      throw err;
    }
  }

  /** The end of `key`'s lockout in ms, or 0 when it is not locked at `now`. */
  lockedUntil(key: string, now: number): number {
    const row = this.q.lock!.get(key) as { until: number } | undefined;
    return row && row.until > now ? row.until : 0;
  }

  /**
   * Counts one failure on each key within `window`; a key reaching its `max` is locked until
   * `now + duration` and its window starts afresh. A key already locked counts nothing more.
   */
  fail(keys: readonly FailureKey[], window: number, duration: number, now: number): FailureResult[] {
    return this.tx(() =>
      keys.map(({ key, max }) => {
        const until = this.lockedUntil(key, now);
        if (until > 0) return { key, until, started: false };
        this.q.prune!.run(key, now - window);
        this.q.addFailure!.run(key, now, now + window);
        const { n } = this.q.countFailures!.get(key) as { n: number };
        if (n < max) return { key, until: 0, started: false };
        this.q.setLock!.run(key, now + duration);
        this.q.clearFailures!.run(key);
        return { key, until: now + duration, started: true };
      }),
    );
  }

  /** Records a lockout learned elsewhere (Redis, another worker); keeps the later end. */
  setLock(key: string, until: number): void {
    this.q.setLock!.run(key, until);
  }

  /** Forgets a key's failures (a successful login clears the user's, never the address's). */
  clearFailures(key: string): void {
    this.q.clearFailures!.run(key);
  }

  /** Ends a lockout and its failures (`resultgate users unlock`). @returns whether it was locked */
  unlock(key: string, now: number): boolean {
    return this.tx(() => {
      const was = this.lockedUntil(key, now) > 0;
      this.q.unlock!.run(key);
      this.q.clearFailures!.run(key);
      return was;
    });
  }

  /** Ends a session until `until` (its token's own expiry). */
  revoke(sid: string, until: number): void {
    this.q.revoke!.run(sid, until);
  }

  /** Every lockout still running at `now` (loaded into memory at start). */
  activeLocks(now: number): Array<{ key: string; until: number }> {
    return this.q.activeLocks!.all(now) as Array<{ key: string; until: number }>;
  }

  /** Every revocation still needed at `now` (loaded into memory at start). */
  activeRevocations(now: number): Array<{ sid: string; until: number }> {
    return this.q.activeRevoked!.all(now) as Array<{ sid: string; until: number }>;
  }

  /** Deletes expired rows and trims each table to {@link STATE_LIMITS} (oldest first). */
  sweep(now: number): void {
    this.tx(() => {
      this.db.prepare('DELETE FROM failures WHERE expires <= ?').run(now);
      this.db.prepare('DELETE FROM locks WHERE until <= ?').run(now);
      this.db.prepare('DELETE FROM revoked WHERE until <= ?').run(now);
      const trim = (table: string, order: string, cap: number) =>
        this.db
          .prepare(
            `DELETE FROM ${table} WHERE rowid IN (SELECT rowid FROM ${table} ORDER BY ${order} LIMIT max(0, (SELECT count(*) FROM ${table}) - ?))`,
          )
          .run(cap);
      trim('failures', 'expires', STATE_LIMITS.failures);
      // WITHOUT ROWID tables: trim by their key instead.
      this.db
        .prepare(
          'DELETE FROM locks WHERE key IN (SELECT key FROM locks ORDER BY until LIMIT max(0, (SELECT count(*) FROM locks) - ?))',
        )
        .run(STATE_LIMITS.locks);
      this.db
        .prepare(
          'DELETE FROM revoked WHERE sid IN (SELECT sid FROM revoked ORDER BY until LIMIT max(0, (SELECT count(*) FROM revoked) - ?))',
        )
        .run(STATE_LIMITS.revoked);
    });
  }

  /** Closes the database. */
  close(): void {
    if (this.db.isOpen) this.db.close();
  }
}
