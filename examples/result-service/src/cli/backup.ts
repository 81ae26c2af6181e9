/** `result-service backup now|list` and `result-service restore [--verify] FILE`. */
import { existsSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { type BackupEntry, backupNow, listBackups } from '../backup/backup.js';
import { restoreBackup, type Verification, verifyBackup } from '../backup/restore.js';
import { recordBackup } from '../backup/schedule.js';
import {
  type CliIo,
  COMMON_HELP,
  COMMON_OPTIONS,
  EXIT,
  fail,
  openKeyring,
  openLive,
  parseCommand,
  usage,
  where,
} from './io.js';

export const BACKUP_HELP = `Usage: result-service backup now|list [options]

  backup now    takes a backup of the database now, safe while the service runs (SQLite's online
                backup API): written to a temp file, made self-contained, hashed, renamed into
                place, with a manifest beside it (time, size, SHA-256, schema version, rows per
                tenant); recorded in the status file
  backup list   the backups with their manifests, newest first

The running service takes one every day by itself (option backup.at, HH:MM UTC, default 18:00;
backup.retentionDays, default 14).

${COMMON_HELP}`;

export const RESTORE_HELP = `Usage: result-service restore --verify FILE [options]
       result-service restore FILE --yes [options]

  --verify FILE   checks a backup on a scratch copy, never touching the backup or the live
                  database: SHA-256 against the manifest, PRAGMA integrity_check, schema version,
                  rows per tenant against the manifest, and every sealed row opened with the
                  current keyring (a purged tenant's rows are reported unreadable — by design).
                  Exit 0 when it passes, 1 when not.
  FILE --yes      replaces the live database with the backup: verifies it first, refuses while a
                  result service holds the database (<db>.lock — stop it first; announce a
                  maintenance window in the gateway policy for the recipients), keeps the previous
                  file as <db>.before-restore-<time>, and deletes again the rows of tenants purged
                  since the backup. Without --yes it only says what it would do.

${COMMON_HELP}`;

function rows(tenants: BackupEntry['tenants']): string {
  return (
    Object.entries(tenants)
      .map(([t, c]) => `${t} ${c.results}`)
      .join(', ') || 'none'
  );
}

const RESTORE_OPTIONS = { ...COMMON_OPTIONS, verify: { type: 'boolean' }, yes: { type: 'boolean' } } as const;

/** Runs `backup now|list`. */
export async function backupCommand(argv: string[], io: CliIo): Promise<number> {
  const parsed = parseCommand(io, 'backup', BACKUP_HELP, COMMON_OPTIONS, argv);
  if (typeof parsed === 'number') return parsed;
  const [sub, ...extra] = parsed.positionals;
  if (extra.length > 0 || (sub !== 'now' && sub !== 'list')) return usage(io, 'backup', 'now or list?');
  const w = where(parsed.values, io);
  const show = (p: string) => relative(io.cwd, p) || p;
  if (sub === 'list') {
    const all = listBackups(w.backupDir);
    if (all.length === 0) {
      io.stdout.write(`no backups in ${show(w.backupDir)}\n`);
      return EXIT.ok;
    }
    io.stdout.write(`${all.length} backup(s) in ${show(w.backupDir)}, newest first:\n`);
    for (const b of all) {
      io.stdout.write(
        `  ${b.createdAt}  ${String(b.bytes).padStart(9)} bytes  schema ${b.schemaVersion}  sha256 ${b.sha256.slice(0, 16)}…  ${b.file}  (${rows(b.tenants)})\n`,
      );
    }
    return EXIT.ok;
  }
  if (!existsSync(w.db)) return fail(io, 'backup', `no database at ${show(w.db)}`);
  const db = openLive(w.db);
  try {
    const entry = await backupNow(db, w.backupDir, io.now);
    recordBackup(w.statusFile, { dir: w.backupDir, retentionDays: 14 }, entry, io.now);
    io.stdout.write(
      [
        `backup written: ${show(entry.path)}`,
        `  time ${entry.createdAt}, ${entry.bytes} bytes, schema version ${entry.schemaVersion}`,
        `  sha256 ${entry.sha256}`,
        `  results per tenant: ${rows(entry.tenants)}`,
        `  manifest ${show(entry.path.replace(/\.db$/, '.json'))}`,
        '',
      ].join('\n'),
    );
    return EXIT.ok;
  } catch (err) {
    return fail(io, 'backup', err);
  } finally {
    db.close();
  }
}

function printVerification(v: Verification, io: CliIo) {
  for (const c of v.checks) io.stdout.write(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}\n`);
  for (const [t, s] of Object.entries(v.tenants)) {
    const state =
      s.unreadable === 0
        ? `${s.readable} of ${s.results} rows open`
        : `${s.unreadable} of ${s.results} rows cannot be decrypted (key ${s.key})`;
    io.stdout.write(`  tenant ${t}: ${state}\n`);
  }
}

/** Runs `restore --verify FILE` or `restore FILE --yes`. */
export async function restoreCommand(argv: string[], io: CliIo): Promise<number> {
  const parsed = parseCommand(io, 'restore', RESTORE_HELP, RESTORE_OPTIONS, argv);
  if (typeof parsed === 'number') return parsed;
  const [file, ...extra] = parsed.positionals;
  if (!file || extra.length > 0) return usage(io, 'restore', 'give one backup file');
  const w = where(parsed.values, io);
  const backup = resolve(io.cwd, file);
  const show = (p: string) => relative(io.cwd, p) || p;
  if (!existsSync(backup)) return fail(io, 'restore', `no file ${file}`);
  try {
    const keyring = openKeyring(w, io);
    if (parsed.values.verify) {
      const v = verifyBackup(backup, keyring, w.statusFile, io.now);
      io.stdout.write(
        `${v.ok ? 'verified' : 'NOT verified'}: ${show(backup)} (scratch copy; nothing else touched)\n`,
      );
      printVerification(v, io);
      return v.ok ? EXIT.ok : EXIT.failed;
    }
    if (!parsed.values.yes) {
      io.stdout.write(
        `Would:\n  - verify ${show(backup)}\n  - move ${show(w.db)} to ${show(w.db)}.before-restore-<time>\n  - put the backup in its place and delete again the rows of purged tenants\nThe result service must be stopped. Run again with --yes to do it.\n`,
      );
      return EXIT.usage;
    }
    const r = restoreBackup(backup, w.db, keyring, {
      lockFile: w.lockFile,
      statusFile: w.statusFile,
      now: io.now,
    });
    io.stdout.write(`restored ${show(w.db)} from ${show(backup)}\n`);
    printVerification(r.verification, io);
    io.stdout.write(`  previous database kept as ${show(r.previous)}\n`);
    for (const [t, n] of Object.entries(r.repurged)) {
      io.stdout.write(`  purged tenant ${t}: ${n} result(s) from the backup deleted again\n`);
    }
    return EXIT.ok;
  } catch (err) {
    return fail(io, 'restore', err);
  }
}
