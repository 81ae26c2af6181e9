/**
 * Where the result service keeps what belongs with its database file: the master key (default
 * location; production should inject it instead), the keyring, the backups and the data-status
 * file. One function, used by the service, its CLI and `npm start`, so they all agree.
 */
import { dirname, join } from 'node:path';

/** The files next to a database file. */
export interface DataPaths {
  db: string;
  masterKeyFile: string;
  keyringFile: string;
  backupDir: string;
  statusFile: string;
  /** Held by a running service; `restore` refuses to replace the database while it is. */
  lockFile: string;
}

/**
 * The default paths for a database file.
 * @example dataPaths('var/results.db').keyringFile // 'var/keyring.json'
 */
export function dataPaths(db: string): DataPaths {
  const dir = dirname(db);
  return {
    db,
    masterKeyFile: join(dir, 'master.key'),
    keyringFile: join(dir, 'keyring.json'),
    backupDir: join(dir, 'backups'),
    statusFile: join(dir, 'data-status.json'),
    lockFile: `${db}.lock`,
  };
}
