/**
 * Online backups of the result service's database: node:sqlite's `backup()` (SQLite's online
 * backup API) copies the live database page by page while the service keeps serving, into a temp
 * file that is made self-contained (rollback journal, no WAL beside it), hashed, and renamed into
 * place; a manifest beside it records time, size, SHA-256, schema version and rows per tenant.
 * Old backups beyond the retention are deleted; the newest one is always kept.
 */
import { createHash } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, join } from 'node:path';
import { backup, DatabaseSync } from 'node:sqlite';
import { schemaVersion } from '../db.js';

/** What a backup's manifest (`<backup>.json`) records. */
export interface BackupManifest {
  version: 1;
  /** The backup's file name, in the same directory as the manifest. */
  file: string;
  createdAt: string;
  bytes: number;
  sha256: string;
  schemaVersion: number;
  /** Results per tenant and the key ids their rows are sealed with. */
  tenants: Record<string, { results: number; keyIds: string[] }>;
}

/** A manifest with the backup's full path. */
export interface BackupEntry extends BackupManifest {
  path: string;
}

const NAME = /^results-\d{8}T\d{9}Z\.db$/;

/** `results-20261206T030000123Z.db` for a time. */
export function backupName(ms: number): string {
  return `results-${new Date(ms).toISOString().replace(/[-:.]/g, '')}.db`;
}

/** SHA-256 (hex) of a file. */
export function sha256File(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** Results per tenant of an open database (what manifests and verification compare). */
export function tenantCounts(db: DatabaseSync): BackupManifest['tenants'] {
  const hasKeyId =
    (
      db.prepare("SELECT COUNT(*) AS n FROM pragma_table_info('results') WHERE name = 'key_id'").get() as {
        n: number;
      }
    ).n > 0;
  const rows = db
    .prepare(
      `SELECT tenant, COUNT(*) AS n, ${hasKeyId ? 'GROUP_CONCAT(DISTINCT key_id)' : 'NULL'} AS keys FROM results GROUP BY tenant ORDER BY tenant`,
    )
    .all() as { tenant: string; n: number; keys: string | null }[];
  return Object.fromEntries(
    rows.map((r) => [r.tenant, { results: r.n, keyIds: r.keys ? r.keys.split(',').sort() : [] }]),
  );
}

function fsyncPath(path: string, flags = 'r') {
  const fd = openSync(path, flags);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Takes a backup of an open database now.
 * @param db the live database (the service's own connection, or one the CLI opened)
 * @param dir the backup directory (created if missing)
 * @param rate pages copied per step; between steps the service's writes go on @default 256
 * @returns the manifest written beside the backup
 * @throws Error when the copy fails (the temp file is removed; nothing is renamed into place)
 * @example const m = await backupNow(ctx.db, 'var/backups')
 */
export async function backupNow(
  db: DatabaseSync,
  dir: string,
  now: () => number = Date.now,
  rate = 256,
): Promise<BackupEntry> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const at = now();
  const name = backupName(at);
  const tmp = join(dir, `.${name}.${process.pid}.tmp`);
  try {
    // Between steps the service's writes go on; SQLite carries a write made through this same
    // connection into the copy, and restarts the copy after another connection's write, so the
    // result is always one consistent state of the database.
    await backup(db, tmp, { rate });
    const copy = new DatabaseSync(tmp);
    let manifest: Omit<BackupManifest, 'bytes' | 'sha256'>;
    try {
      // A standalone file: no -wal/-shm beside it, so the one file is the whole backup.
      copy.exec('PRAGMA journal_mode = DELETE');
      manifest = {
        version: 1,
        file: name,
        createdAt: new Date(at).toISOString(),
        schemaVersion: schemaVersion(copy),
        tenants: tenantCounts(copy),
      };
    } finally {
      copy.close();
    }
    chmodSync(tmp, 0o600); // sealed, but still the tenants' data: owner only, like the live file should be
    fsyncPath(tmp, 'r+');
    const full: BackupManifest = { ...manifest, bytes: statSync(tmp).size, sha256: sha256File(tmp) };
    const path = join(dir, name);
    renameSync(tmp, path);
    const manifestTmp = `${tmp}.json`;
    writeFileSync(manifestTmp, `${JSON.stringify(full, null, 2)}\n`, { mode: 0o600 });
    renameSync(manifestTmp, join(dir, name.replace(/\.db$/, '.json')));
    fsyncPath(dir);
    return { ...full, path };
  } catch (err) {
    rmSync(tmp, { force: true });
    rmSync(`${tmp}-journal`, { force: true });
    throw err;
  }
}

/** The manifest of a backup file (`x.db` → `x.json`). @throws Error when it is missing or unreadable */
export function readManifest(backupFile: string): BackupManifest {
  const file = backupFile.replace(/\.db$/, '.json');
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as BackupManifest;
  } catch (err) {
    throw new Error(
      `${file}: no readable manifest beside ${basename(backupFile)} (${(err as Error).message})`,
    );
  }
}

/** Every backup in a directory with a manifest, newest first. */
export function listBackups(dir: string): BackupEntry[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const out: BackupEntry[] = [];
  for (const name of names.filter((n) => NAME.test(n))) {
    const path = join(dir, name);
    try {
      out.push({ ...readManifest(path), path });
    } catch {
      // A backup without its manifest is not listed (and never pruned): an operator's to look at.
    }
  }
  return out.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

/**
 * Deletes backups older than `retentionDays` (by their manifest's time), always keeping the newest.
 * @returns the paths removed
 */
export function pruneBackups(dir: string, retentionDays: number, now: () => number = Date.now): string[] {
  const cutoff = now() - retentionDays * 86_400_000;
  const removed: string[] = [];
  for (const b of listBackups(dir).slice(1)) {
    if (Date.parse(b.createdAt) >= cutoff) continue;
    rmSync(b.path, { force: true });
    rmSync(b.path.replace(/\.db$/, '.json'), { force: true });
    removed.push(b.path);
  }
  return removed;
}
