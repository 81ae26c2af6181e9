/**
 * One SQLite file (node:sqlite, no native add-on) and its schema migrations. Each migration runs
 * once, in a transaction, and is recorded in the `migrations` table with its version.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

interface Migration {
  version: number;
  name: string;
  sql: string;
}

// Times are integers: milliseconds since the epoch, UTC. Never edit a released migration: add one.
const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'results',
    sql: `
      CREATE TABLE results (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        tenant TEXT NOT NULL,
        external_id TEXT NOT NULL,
        recipient TEXT NOT NULL,
        title TEXT NOT NULL,
        outcome TEXT NOT NULL,
        details TEXT NOT NULL,
        publish_at INTEGER NOT NULL,
        expires_at INTEGER,
        status TEXT NOT NULL,
        access_code TEXT NOT NULL,
        pin_hash TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        published_at INTEGER, notified_at INTEGER, viewed_at INTEGER,
        withdrawn_at INTEGER, expired_at INTEGER, failed_at INTEGER,
        notify_attempts INTEGER NOT NULL DEFAULT 0,
        next_notify_at INTEGER,
        last_error TEXT,
        UNIQUE (tenant, external_id),
        UNIQUE (tenant, access_code)
      );
      CREATE INDEX results_by_status ON results (tenant, status, seq);
      CREATE INDEX results_due ON results (status, publish_at);
      CREATE TABLE result_events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        result_id TEXT NOT NULL REFERENCES results (id),
        status TEXT NOT NULL,
        at INTEGER NOT NULL,
        detail TEXT
      );
      CREATE INDEX result_events_by_result ON result_events (result_id, seq);
      CREATE TABLE idempotency_keys (
        tenant TEXT NOT NULL,
        key_hash TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        state TEXT NOT NULL,
        status_code INTEGER,
        body TEXT,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (tenant, key_hash)
      );
      CREATE TABLE pin_failures (
        tenant TEXT NOT NULL,
        access_code TEXT NOT NULL,
        at INTEGER NOT NULL
      );
      CREATE INDEX pin_failures_by_code ON pin_failures (tenant, access_code, at);
    `,
  },
  {
    version: 2,
    name: 'webhook deliveries',
    sql: `
      CREATE TABLE webhook_deliveries (
        id TEXT PRIMARY KEY,
        tenant TEXT NOT NULL,
        url TEXT NOT NULL,
        event_type TEXT NOT NULL,
        payload TEXT NOT NULL,
        state TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER,
        last_status INTEGER,
        last_error TEXT,
        created_at INTEGER NOT NULL,
        delivered_at INTEGER
      );
      CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt_at);
      CREATE TABLE webhook_attempts (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        delivery_id TEXT NOT NULL REFERENCES webhook_deliveries (id),
        at INTEGER NOT NULL,
        status_code INTEGER,
        error TEXT,
        duration_ms INTEGER NOT NULL
      );
    `,
  },
  {
    // The fingerprint of what was sent, so sending identical content again (from any endpoint,
    // with any batch cut) answers the stored result, and other content under the same externalId
    // is a conflict. Rows from before it have none and count as other content.
    version: 3,
    name: 'result content fingerprint',
    sql: 'ALTER TABLE results ADD COLUMN content_hash TEXT;',
  },
  {
    // Personal fields move into `sealed` (AES-256-GCM with the tenant's key, see crypto/); the
    // looked-up ones keep only a keyed hash. Rows written before this are sealed by ResultStore on
    // open (it holds the keys); the old plaintext columns are then left empty, and their content
    // fingerprints (keyed with the service key, not the tenant's) are dropped.
    version: 4,
    name: 'sealed personal fields',
    sql: `
      ALTER TABLE results RENAME COLUMN external_id TO external_id_hash;
      ALTER TABLE results RENAME COLUMN access_code TO access_code_hash;
      ALTER TABLE results ADD COLUMN key_id TEXT;
      ALTER TABLE results ADD COLUMN sealed BLOB;
      ALTER TABLE pin_failures RENAME COLUMN access_code TO access_code_hash;
    `,
  },
];

/** The schema version this code writes (the newest migration). */
export const SCHEMA_VERSION = MIGRATIONS.at(-1)!.version;

/** The schema version recorded in a database (0 when none). */
export function schemaVersion(db: DatabaseSync): number {
  const row = db.prepare('SELECT MAX(version) AS v FROM migrations').get() as { v: number | null };
  return row.v ?? 0;
}

/**
 * Runs `fn` in a transaction: committed when it returns, rolled back when it throws. Inside an
 * open transaction it simply joins it.
 */
export function transaction<T>(db: DatabaseSync, fn: () => T): T {
  if (db.isTransaction) return fn();
  db.exec('BEGIN IMMEDIATE');
  try {
    const out = fn();
    db.exec('COMMIT');
    return out;
  } catch (err) {
    db.exec('ROLLBACK');
    throw err;
  }
}

/**
 * Opens (creating if needed) the database file and applies pending migrations.
 * @param file a path, or `:memory:`
 * @param now the clock used for `applied_at`
 * @returns the open database
 * @example const db = openDatabase('var/results.db')
 */
export function openDatabase(file: string, now: () => number = Date.now): DatabaseSync {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new DatabaseSync(file);
  // secure_delete: deleted and overwritten content is zeroed in the file (and the WAL), so a purge
  // or the sealing of old plaintext rows leaves nothing readable in free pages.
  db.exec(
    'PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; PRAGMA secure_delete = ON;',
  );
  migrate(db, now);
  return db;
}

/**
 * Applies every migration newer than the recorded version; returns the versions applied.
 * @param upTo stop after this version (tests build older schemas with it) @default the newest
 */
export function migrate(db: DatabaseSync, now: () => number = Date.now, upTo = SCHEMA_VERSION): number[] {
  db.exec(
    'CREATE TABLE IF NOT EXISTS migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)',
  );
  const current = schemaVersion(db);
  const applied: number[] = [];
  for (const m of MIGRATIONS) {
    if (m.version <= current || m.version > upTo) continue;
    transaction(db, () => {
      db.exec(m.sql);
      db.prepare('INSERT INTO migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
        m.version,
        m.name,
        now(),
      );
    });
    applied.push(m.version);
  }
  return applied;
}
