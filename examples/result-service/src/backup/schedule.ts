/**
 * The daily backup while the service runs: at `HH:MM` UTC every day, a backup of the service's own
 * connection (backup.ts), then the retention pruning, each recorded in the data-status file. A
 * failure is logged and recorded, and the next day's run still happens.
 */
import type { DatabaseSync } from 'node:sqlite';
import { updateDataStatus } from '../data-status.js';
import { type BackupEntry, backupNow, pruneBackups } from './backup.js';

/** Options of the daily backup. */
export interface BackupScheduleOptions {
  /** The backup directory. @default `<db dir>/backups` */
  dir?: string;
  /** Time of day, `HH:MM` in UTC. @default '18:00' (03:00 in Japan, the quietest hour there) */
  at?: string;
  /** Backups older than this are deleted (the newest is always kept). @default 14 */
  retentionDays?: number;
}

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** The next time (ms) at `HH:MM` UTC strictly after `now`. @throws Error on a malformed time */
export function nextRunAt(now: number, at: string): number {
  const m = HHMM.exec(at);
  if (!m) throw new Error(`backup time "${at}" is not HH:MM (UTC, 00:00-23:59)`);
  const d = new Date(now);
  let next = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), Number(m[1]), Number(m[2]));
  if (next <= now) next += 86_400_000;
  return next;
}

/** A running daily schedule. */
export interface BackupSchedule {
  /** When the next backup runs (ms). */
  next(): number;
  /** Runs a backup now, as the schedule does (with pruning and the status file). */
  runNow(): Promise<BackupEntry>;
  /** Stops the timer and waits for a running backup. */
  stop(): Promise<void>;
}

/**
 * Schedules the daily backup of `db`.
 * @example const schedule = startBackupSchedule(ctx.db, { dir: 'var/backups', at: '18:00', retentionDays: 14 }, statusFile)
 */
export function startBackupSchedule(
  db: DatabaseSync,
  options: Required<BackupScheduleOptions>,
  statusFile: string | undefined,
  now: () => number = Date.now,
): BackupSchedule {
  let nextAt = nextRunAt(now(), options.at);
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;
  /** The schedule in the status file, keeping the last backup; the last error unless given anew. */
  const writeSchedule = (lastError?: { at: string; message: string }) =>
    updateDataStatus(
      statusFile,
      (s) => {
        s.backup = {
          ...scheduleStatus(options),
          last: s.backup?.last ?? null,
          lastError: lastError ?? s.backup?.lastError ?? null,
        };
      },
      now,
    );

  const runNow = async (): Promise<BackupEntry> => {
    try {
      const entry = await backupNow(db, options.dir, now);
      pruneBackups(options.dir, options.retentionDays, now);
      recordBackup(statusFile, options, entry, now);
      return entry;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      writeSchedule({ at: new Date(now()).toISOString(), message });
      throw err;
    }
  };
  const arm = () => {
    if (stopped) return;
    // setTimeout holds at most ~24.8 days; a day is far below that.
    timer = setTimeout(
      () => {
        running = runNow()
          .catch((err) =>
            console.error(
              `[result-service] daily backup failed: ${err instanceof Error ? err.message : err}`,
            ),
          )
          .finally(() => {
            nextAt = nextRunAt(now(), options.at);
            arm();
          });
      },
      Math.max(0, nextAt - now()),
    );
    timer.unref();
  };
  writeSchedule();
  arm();
  return {
    next: () => nextAt,
    runNow,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}

function scheduleStatus(options: Required<BackupScheduleOptions>) {
  return { dir: options.dir, dailyAt: options.at, retentionDays: options.retentionDays };
}

/** Records a finished backup in the status file (also used by `backup now`). */
export function recordBackup(
  statusFile: string | undefined,
  options: { dir: string; at?: string | null; retentionDays: number },
  entry: BackupEntry,
  now: () => number = Date.now,
): void {
  updateDataStatus(
    statusFile,
    (s) => {
      s.backup = {
        dir: options.dir,
        dailyAt: s.backup?.dailyAt ?? options.at ?? null,
        retentionDays: s.backup?.retentionDays ?? options.retentionDays, // the service's, when `backup now` runs beside it
        last: {
          file: entry.path,
          at: entry.createdAt,
          bytes: entry.bytes,
          sha256: entry.sha256,
          schemaVersion: entry.schemaVersion,
        },
        lastError: null,
      };
    },
    now,
  );
}
