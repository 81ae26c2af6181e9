/**
 * Checking and restoring backups. `verifyBackup` works on a scratch copy (the backup and the live
 * database are never opened for writing): it compares the SHA-256 with the manifest, runs
 * `PRAGMA integrity_check`, compares rows per tenant with the manifest, and opens every sealed row
 * with the current keyring — a purged tenant's rows are reported as unreadable (crypto-shredded),
 * any other unreadable row fails the check. `restoreBackup` then replaces the live file, keeping the
 * previous one, and only while no service holds the database.
 */
import { copyFileSync, existsSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { Keyring } from '../crypto/keyring.js';
import { RowCipher, SealedDataError } from '../crypto/row-cipher.js';
import { updateDataStatus } from '../data-status.js';
import { openDatabase, SCHEMA_VERSION, schemaVersion } from '../db.js';
import { reapplyPurges } from '../purge.js';
import { readManifest, sha256File, tenantCounts } from './backup.js';
import { lockHolder } from './service-lock.js';

/** One check of a verification. */
export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

/** Per tenant: rows, how many open, and the state of its key. */
export interface TenantVerification {
  results: number;
  readable: number;
  unreadable: number;
  /** `live`, `destroyed <time>` (a purge: unreadable by design) or `missing` (a failure). */
  key: string;
}

/** The outcome of {@link verifyBackup}. */
export interface Verification {
  file: string;
  ok: boolean;
  schemaVersion: number;
  checks: Check[];
  tenants: Record<string, TenantVerification>;
}

/**
 * Verifies a backup on a scratch copy.
 * @param keyring the current keyring (to open sealed rows)
 * @example const v = verifyBackup('var/backups/results-….db', keyring); if (!v.ok) …
 */
export function verifyBackup(
  file: string,
  keyring: Keyring,
  statusFile?: string,
  now: () => number = Date.now,
): Verification {
  const checks: Check[] = [];
  const tenants: Record<string, TenantVerification> = {};
  let version = 0;
  const scratch = mkdtempSync(join(tmpdir(), 'result-service-verify-'));
  try {
    const manifest = readManifest(file);
    const copy = join(scratch, basename(file));
    copyFileSync(file, copy);
    const hash = sha256File(copy);
    checks.push({
      name: 'sha256',
      ok: hash === manifest.sha256,
      detail:
        hash === manifest.sha256 ? `${hash} as in the manifest` : `${hash}, manifest says ${manifest.sha256}`,
    });
    const db = new DatabaseSync(copy);
    try {
      const integrity = (db.prepare('PRAGMA integrity_check').all() as { integrity_check: string }[]).map(
        (r) => r.integrity_check,
      );
      checks.push({
        name: 'integrity_check',
        ok: integrity.join() === 'ok',
        detail: integrity.slice(0, 5).join('; '),
      });
      version = schemaVersion(db);
      checks.push({
        name: 'schema',
        ok: version === manifest.schemaVersion && version <= SCHEMA_VERSION,
        detail: `version ${version} (manifest ${manifest.schemaVersion}, this code ${SCHEMA_VERSION})`,
      });
      const counts = tenantCounts(db);
      const same = JSON.stringify(counts) === JSON.stringify(manifest.tenants);
      const summary =
        Object.entries(counts)
          .map(([t, c]) => `${t} ${c.results}`)
          .join(', ') || 'no results';
      checks.push({
        name: 'rows per tenant',
        ok: same,
        detail: same ? summary : `${summary}; manifest: ${JSON.stringify(manifest.tenants)}`,
      });
      const unreadable = openEveryRow(db, keyring, tenants);
      checks.push({
        name: 'sealed rows open',
        ok: unreadable === 0,
        detail:
          unreadable === 0
            ? 'every row of a tenant with a live key opens'
            : `${unreadable} row(s) of tenants with no destroyed key do not open`,
      });
    } finally {
      db.close();
    }
  } catch (err) {
    checks.push({ name: 'readable', ok: false, detail: err instanceof Error ? err.message : String(err) });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const ok = checks.every((c) => c.ok);
  const sorted = Object.fromEntries(Object.entries(tenants).sort(([a], [b]) => a.localeCompare(b)));
  const out: Verification = { file, ok, schemaVersion: version, checks, tenants: sorted };
  updateDataStatus(
    statusFile,
    (s) => {
      s.restore = {
        lastVerified: { file, at: new Date(now()).toISOString(), ok, summary: summarize(out) },
        lastRestored: s.restore?.lastRestored ?? null,
      };
    },
    now,
  );
  return out;
}

/** Opens every sealed row; fills `tenants`; returns the unreadable rows that are a failure. */
function openEveryRow(
  db: DatabaseSync,
  keyring: Keyring,
  tenants: Record<string, TenantVerification>,
): number {
  const cipher = new RowCipher(keyring);
  const destroyed = new Map(keyring.destroyed().map((d) => [d.keyId, d.destroyedAt]));
  const sealedColumn =
    (
      db.prepare("SELECT COUNT(*) AS n FROM pragma_table_info('results') WHERE name = 'sealed'").get() as {
        n: number;
      }
    ).n > 0;
  let failures = 0;
  for (const row of db
    .prepare(
      `SELECT id, tenant, ${sealedColumn ? 'sealed, key_id' : 'NULL AS sealed, NULL AS key_id'} FROM results`,
    )
    .iterate() as Iterable<{
    id: string;
    tenant: string;
    sealed: Uint8Array | null;
    key_id: string | null;
  }>) {
    tenants[row.tenant] ??= {
      results: 0,
      readable: 0,
      unreadable: 0,
      key: keyring.has(row.tenant) ? 'live' : 'missing',
    };
    const t = tenants[row.tenant]!;
    t.results++;
    if (row.sealed === null) {
      t.readable++; // a backup from before encryption: plaintext, sealed when the service opens it
      continue;
    }
    try {
      cipher.open(row.tenant, `${row.id}\nrow`, row.sealed);
      t.readable++;
    } catch (err) {
      t.unreadable++;
      const at = row.key_id ? destroyed.get(row.key_id) : undefined;
      if (err instanceof SealedDataError && err.code === 'key_destroyed' && at) t.key = `destroyed ${at}`;
      else failures++;
    }
  }
  return failures;
}

/** One line per tenant and the failed checks. */
export function summarize(v: Verification): string {
  const failed = v.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`);
  const tenants = Object.entries(v.tenants).map(([t, s]) =>
    s.unreadable === 0
      ? `${t} ${s.results} rows ok`
      : `${t} ${s.unreadable}/${s.results} rows unreadable (key ${s.key})`,
  );
  return [...(failed.length ? [`FAILED ${failed.join('; ')}`] : ['ok']), ...tenants].join('; ');
}

/** What {@link restoreBackup} did. */
export interface Restored {
  verification: Verification;
  /** Where the replaced database was moved (with its -wal/-shm, if any). */
  previous: string;
  /** Results of purged tenants deleted again from the restored copy. */
  repurged: Record<string, number>;
}

/**
 * Replaces the live database with a verified backup. The previous file is renamed to
 * `<db>.before-restore-<time>` (its -wal and -shm alongside, so it stays openable); purges made
 * since the backup are applied again to the restored copy.
 * @throws Error when a service holds the database (`<db>.lock`), or the backup fails verification
 */
export function restoreBackup(
  file: string,
  dbFile: string,
  keyring: Keyring,
  options: { lockFile: string; statusFile?: string | undefined; now?: () => number },
): Restored {
  const now = options.now ?? Date.now;
  const holder = lockHolder(options.lockFile);
  if (holder !== undefined) {
    throw new Error(
      `the result service (process ${holder}) has ${dbFile} open: stop it first (see README "Restore")`,
    );
  }
  const verification = verifyBackup(file, keyring, options.statusFile, now);
  if (!verification.ok) throw new Error(`${file} fails verification: ${summarize(verification)}`);
  const incoming = `${dbFile}.restore-tmp`;
  copyFileSync(file, incoming);
  const previous = `${dbFile}.before-restore-${new Date(now()).toISOString().replace(/[-:.]/g, '')}`;
  if (existsSync(dbFile)) {
    renameSync(dbFile, previous);
    for (const suffix of ['-wal', '-shm']) {
      if (existsSync(dbFile + suffix)) renameSync(dbFile + suffix, previous + suffix);
    }
  }
  renameSync(incoming, dbFile);
  const db = openDatabase(dbFile, now);
  let repurged: Record<string, number>;
  try {
    repurged = reapplyPurges(db, keyring);
    db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
  updateDataStatus(
    options.statusFile,
    (s) => {
      s.restore = {
        lastVerified: s.restore?.lastVerified ?? null,
        lastRestored: { file, at: new Date(now()).toISOString(), previous },
      };
    },
    now,
  );
  return { verification, previous, repurged };
}
