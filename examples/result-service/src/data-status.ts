/**
 * The data-status file: what the result service did with its data, written into its data
 * directory for `resultgate report --data-status FILE` (the gateway reads it; it never opens the
 * database). Each writer — the service, the backup scheduler, the CLI — merges its own section
 * under the same lock discipline as the keyring (temp file + rename), so a reader never sees half a
 * file.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** One backup as the report shows it. */
export interface BackupStatus {
  file: string;
  at: string;
  bytes: number;
  sha256: string;
  schemaVersion: number;
}

/** One purge: what was removed where. */
export interface PurgeRecord {
  tenant: string;
  at: string;
  keyId: string | null;
  removed: { where: string; what: string; count: number }[];
}

/** The whole file (version 1). */
export interface DataStatus {
  version: 1;
  updatedAt: string;
  backup?: {
    dir: string;
    /** `HH:MM` UTC of the daily backup, or null when none is scheduled. */
    dailyAt: string | null;
    retentionDays: number;
    last: BackupStatus | null;
    lastError: { at: string; message: string } | null;
  };
  restore?: {
    lastVerified: { file: string; at: string; ok: boolean; summary: string } | null;
    lastRestored: { file: string; at: string; previous: string } | null;
  };
  encryption?: {
    enabled: boolean;
    algorithm: string;
    masterKeyId: string;
    rotatedAt: string | null;
    keyring: string;
  };
  purges?: PurgeRecord[];
}

/** Reads the file; an absent or unreadable one is an empty status. */
export function readDataStatus(file: string): DataStatus {
  if (!existsSync(file)) return { version: 1, updatedAt: new Date(0).toISOString() };
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as DataStatus;
  } catch {
    return { version: 1, updatedAt: new Date(0).toISOString() };
  }
}

/**
 * Changes the file (read, `change`, write to a temp file, rename). No-op for `undefined` (an
 * in-memory database has no status file).
 * @example updateDataStatus(file, (s) => { s.purges = [...(s.purges ?? []), record] })
 */
export function updateDataStatus(
  file: string | undefined,
  change: (status: DataStatus) => void,
  now: () => number = Date.now,
): void {
  if (!file) return;
  const status = readDataStatus(file);
  change(status);
  status.updatedAt = new Date(now()).toISOString();
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(status, null, 2)}\n`, { mode: 0o644 });
  renameSync(tmp, file);
}
