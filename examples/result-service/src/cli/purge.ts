/** `result-service purge T --yes`: the result service's half of a tenant's contract end. */
import { relative } from 'node:path';
import { purgeTenant } from '../purge.js';
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

export const PURGE_HELP = `Usage: result-service purge TENANT [--yes] [options]

Deletes a tenant's data from the result service (contract end):
  1. destroys the tenant's key in the keyring (crypto-shredding): from this moment its rows in
     the database and in every existing backup cannot be decrypted;
  2. deletes its rows from every table (results, events, idempotent answers, PIN failures,
     webhook deliveries) and truncates the WAL;
  3. deletes its outbox files (<outbox>/TENANT; $RESULTS_OUTBOX, else <db dir>/outbox);
  4. prints what was removed where and appends it to the status file (resultgate report).
The gateway's half (policy, sessions, logs) is \`resultgate tenants purge TENANT\`: run it first,
so no request reaches the tenant any more (README: "Purging a tenant"). Safe while the service
runs: it drops the destroyed key from memory within a second.
Without --yes it only says what it would remove.

${COMMON_HELP}`;

const OPTIONS = { ...COMMON_OPTIONS, yes: { type: 'boolean' } } as const;

/** Runs `purge TENANT [--yes]`. */
export async function purgeCommand(argv: string[], io: CliIo): Promise<number> {
  const parsed = parseCommand(io, 'purge', PURGE_HELP, OPTIONS, argv);
  if (typeof parsed === 'number') return parsed;
  const [tenant, ...extra] = parsed.positionals;
  if (!tenant || extra.length > 0) return usage(io, 'purge', 'give one tenant id');
  const w = where(parsed.values, io);
  const show = (p: string) => p.split(`${io.cwd}/`).join('');
  try {
    const keyring = openKeyring(w, io);
    const db = openLive(w.db);
    try {
      const results = (
        db.prepare('SELECT COUNT(*) AS n FROM results WHERE tenant = ?').get(tenant) as { n: number }
      ).n;
      if (!keyring.has(tenant) && results === 0) {
        return fail(io, 'purge', `no key and no results for tenant "${tenant}" in ${relative(io.cwd, w.db)}`);
      }
      if (!parsed.values.yes) {
        io.stdout.write(
          `Would:\n  - destroy the key of ${tenant} in ${show(w.keyringFile)} (its rows in every backup become unreadable)\n  - delete its ${results} result(s) and every other row of it from ${show(w.db)}\n  - delete ${show(`${w.outboxDir}/${tenant}`)}\nRun again with --yes to do it.\n`,
        );
        return EXIT.usage;
      }
      const report = purgeTenant(db, keyring, tenant, {
        outboxDir: w.outboxDir,
        backupDir: w.backupDir,
        statusFile: w.statusFile,
        now: io.now,
      });
      io.stdout.write(`purged tenant ${tenant} at ${report.at}:\n`);
      for (const r of report.removed) io.stdout.write(`  ${show(r.where)}: ${r.what} (${r.count})\n`);
      io.stdout.write(`  recorded in ${show(w.statusFile)}\n`);
      return EXIT.ok;
    } finally {
      db.close();
    }
  } catch (err) {
    return fail(io, 'purge', err);
  }
}
