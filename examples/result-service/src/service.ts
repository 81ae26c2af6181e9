/** Runs the result service on a port, with its background scheduler. */

import { unwatchFile, watchFile } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createResultApp, type ResultApp } from './app.js';
import type { BackupEntry } from './backup/backup.js';
import { type BackupScheduleOptions, nextRunAt, startBackupSchedule } from './backup/schedule.js';
import { acquireLock } from './backup/service-lock.js';
import { updateDataStatus } from './data-status.js';
import { dataPaths } from './paths.js';
import { startScheduler } from './scheduler.js';
import type { ResultAppOptions } from './types.js';

/** Options of {@link startResultService}. */
export interface ResultServiceOptions extends ResultAppOptions {
  /** Port to listen on; 0 picks a free one. @default 3000 */
  port?: number;
  /** Address to listen on. Keep it on loopback: only the gateway should reach it. @default '127.0.0.1' */
  host?: string;
  /**
   * The daily online backup (`false`: none). @default for a file database: every day at 18:00 UTC
   * into `<db dir>/backups`, kept 14 days; none for `:memory:`
   */
  backup?: BackupScheduleOptions | false;
}

/** A running result service. */
export interface RunningResultService extends ResultApp {
  /** `http://host:port` — the gateway's `server.upstream.url`. */
  url: string;
  port: number;
  /** Takes a backup now, as the daily schedule does. @throws Error when backups are off */
  backupNow(): Promise<BackupEntry>;
  /** When the next daily backup runs (ms), or undefined when backups are off. */
  nextBackupAt(): number | undefined;
  /** Stops the scheduler (waiting for a running tick), the listener and the database. */
  close(): Promise<void>;
}

/**
 * Opens the database, starts the scheduler and listens.
 * @param options see {@link ResultServiceOptions}; `identitySecret` is required
 * @throws Error when the port is taken or `identitySecret` is missing
 * @example
 * const service = await startResultService({ identitySecret, port: 0 });
 * try { console.log(service.url) } finally { await service.close() }
 */
export async function startResultService(options: ResultServiceOptions): Promise<RunningResultService> {
  // A malformed schedule fails before anything starts.
  if (options.backup) {
    nextRunAt(0, options.backup.at ?? '18:00');
    const days = options.backup.retentionDays ?? 14;
    if (!Number.isInteger(days) || days < 1)
      throw new Error(`backup.retentionDays must be a whole number of days ≥ 1, not ${days}`);
  }
  const dbFile = options.dbFile ?? 'var/results.db';
  const paths = dbFile === ':memory:' ? undefined : dataPaths(dbFile);
  // `restore` refuses to replace a database a live service holds.
  const releaseLock = paths ? acquireLock(paths.lockFile) : () => {};
  let resultApp: ResultApp;
  try {
    resultApp = createResultApp(options);
  } catch (err) {
    releaseLock();
    throw err;
  }
  const { context } = resultApp;
  const host = options.host ?? '127.0.0.1';
  let server: Server;
  try {
    server = await new Promise<Server>((resolve, reject) => {
      const s = serve({ fetch: resultApp.app.fetch, port: options.port ?? 3000, hostname: host }) as Server;
      s.once('listening', () => resolve(s));
      s.once('error', reject);
    });
  } catch (err) {
    resultApp.close();
    releaseLock();
    throw err;
  }
  const keyring = context.cipher.keyring;
  // A purge or a master-key rotation by the CLI rewrites the keyring: drop what it removed.
  const onKeyringChange = () => {
    try {
      keyring.reload();
    } catch (err) {
      console.error(`[result-service] keyring reload: ${err instanceof Error ? err.message : err}`);
    }
  };
  if (keyring.file) watchFile(keyring.file, { interval: 1000, persistent: false }, onKeyringChange);
  const info = keyring.info();
  updateDataStatus(
    context.statusFile,
    (s) => {
      s.encryption = {
        enabled: true,
        algorithm: 'AES-256-GCM, a key per tenant wrapped by the master key; HMAC-SHA256 lookups',
        masterKeyId: info.masterKeyId,
        rotatedAt: info.rotatedAt,
        keyring: keyring.file ?? 'memory',
      };
    },
    context.now,
  );
  const backups =
    paths && options.backup !== false
      ? startBackupSchedule(
          context.db,
          {
            dir: options.backup?.dir ?? paths.backupDir,
            at: options.backup?.at ?? '18:00',
            retentionDays: options.backup?.retentionDays ?? 14,
          },
          context.statusFile,
          context.now,
        )
      : undefined;
  const interval = options.schedulerIntervalMs ?? 1000;
  const scheduler = interval > 0 ? startScheduler(resultApp.context, interval) : undefined;
  const port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    ...resultApp,
    url: `http://${shownHost}:${port}`,
    port,
    backupNow() {
      if (!backups) return Promise.reject(new Error('backups are off for this service'));
      return backups.runNow();
    },
    nextBackupAt: () => backups?.next(),
    close() {
      closing ??= (async () => {
        await backups?.stop();
        await scheduler?.stop();
        if (keyring.file) unwatchFile(keyring.file, onKeyringChange);
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        resultApp.close();
        releaseLock();
      })();
      return closing;
    },
  };
}
