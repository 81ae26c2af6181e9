/**
 * What every `result-service` command shares: its streams (tests run commands in-process with
 * captured output), exit codes, and where the database and its keys are — from flags, else the
 * same environment variables as `npm start -w @resultgate/example-result-service`.
 */
import { isAbsolute, resolve } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { Keyring } from '../crypto/keyring.js';
import { loadMasterKey } from '../crypto/master-key.js';
import { type DataPaths, dataPaths } from '../paths.js';

/** The streams and environment a command runs with. */
export interface CliIo {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
  env: NodeJS.ProcessEnv;
  cwd: string;
  now?: () => number;
}

/** Exit codes: 0 ok, 1 the thing checked is bad or the action failed, 2 usage error. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** Flags every command accepts. */
export const COMMON_OPTIONS = {
  db: { type: 'string' },
  'backup-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const COMMON_HELP = `Common options:
  --db FILE          the database (default $RESULTS_DB, else var/results.db)
  --backup-dir DIR   the backups (default $RESULTS_BACKUP_DIR, else <db dir>/backups)
  -h, --help         this text

The master key comes from $RESULTS_MASTER_KEY (base64url), else the file $RESULTS_MASTER_KEY_FILE,
else <db dir>/master.key; the keyring is <db dir>/keyring.json, the status file
<db dir>/data-status.json (what \`resultgate report --data-status\` reads).
`;

/** The resolved paths of a command run. */
export interface Where extends DataPaths {
  outboxDir: string;
}

/** Paths from the flags and environment, resolved against the working directory. */
export function where(
  values: { db?: string | undefined; 'backup-dir'?: string | undefined },
  io: CliIo,
): Where {
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(io.cwd, p));
  const db = abs(values.db ?? io.env.RESULTS_DB ?? 'var/results.db');
  const paths = dataPaths(db);
  const backupDir = values['backup-dir'] ?? io.env.RESULTS_BACKUP_DIR;
  return {
    ...paths,
    backupDir: backupDir ? abs(backupDir) : paths.backupDir,
    masterKeyFile: io.env.RESULTS_MASTER_KEY_FILE ? abs(io.env.RESULTS_MASTER_KEY_FILE) : paths.masterKeyFile,
    outboxDir: abs(io.env.RESULTS_OUTBOX ?? resolve(paths.db, '../outbox')),
  };
}

/** The keyring of the database, opened with the configured master key (never created here). */
export function openKeyring(w: Where, io: CliIo): Keyring {
  const source = { key: io.env.RESULTS_MASTER_KEY || undefined, file: w.masterKeyFile };
  return new Keyring({ file: w.keyringFile, masterKey: () => loadMasterKey(source), now: io.now });
}

/** A connection to the live database, as a second process beside the service would open it. */
export function openLive(file: string): DatabaseSync {
  const db = new DatabaseSync(file);
  db.exec('PRAGMA busy_timeout = 5000; PRAGMA secure_delete = ON; PRAGMA foreign_keys = ON;');
  return db;
}

/** Writes a failure line and returns the exit code. */
export function fail(io: CliIo, command: string, err: unknown): number {
  io.stderr.write(`result-service ${command}: ${err instanceof Error ? err.message : String(err)}\n`);
  return EXIT.failed;
}

/** Writes a usage error and returns the exit code. */
export function usage(io: CliIo, command: string, message: string): number {
  io.stderr.write(
    `result-service ${command}: ${message}\nRun \`result-service ${command} --help\` for usage.\n`,
  );
  return EXIT.usage;
}

/** A command's flags, as node:util's parseArgs takes them. */
type Options = NonNullable<ParseArgsConfig['options']>;
/** What parseArgs returns for a command's flags, positionals allowed. */
type Parsed<O extends Options> = ReturnType<
  typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>
>;

/**
 * Parses a command's arguments (strict: an unknown flag is an error; positionals allowed) and
 * answers what every command answers alike: a bad argument (the usage line, exit 2) and `--help`
 * (its help text, exit 0).
 * @returns the parsed arguments, or the exit code when it has already answered
 */
export function parseCommand<O extends Options>(
  io: CliIo,
  command: string,
  help: string,
  options: O,
  argv: string[],
): Parsed<O> | number {
  let parsed: Parsed<O>;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    return usage(io, command, (err as Error).message);
  }
  // Every command's options include COMMON_OPTIONS' `help`; the generic type cannot see it.
  if ((parsed.values as { help?: boolean }).help) {
    io.stdout.write(help);
    return EXIT.ok;
  }
  return parsed;
}
