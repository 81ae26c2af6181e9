/**
 * Purging a tenant (contract end) in the result service: its tenant key is destroyed first — from
 * that moment its rows in the live database and in every existing backup are unreadable
 * (crypto-shredding) — then its rows are deleted from every table, its outbox files removed and the
 * WAL truncated. The report lists what was removed where; it is appended to the data-status file.
 * The gateway's side (policy, sessions, logs) is `resultgate tenants purge`; README: "Purging a
 * tenant" runs both.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { listBackups } from './backup/backup.js';
import type { Keyring } from './crypto/keyring.js';
import { type PurgeRecord, updateDataStatus } from './data-status.js';
import { transaction } from './db.js';

/** Where a purge looks besides the database. */
export interface PurgeOptions {
  /** The file outbox; `<outboxDir>/<tenant>` is deleted. */
  outboxDir?: string | undefined;
  /** The backup directory, to list the backups whose rows of the tenant are now unreadable. */
  backupDir?: string | undefined;
  statusFile?: string | undefined;
  now?: () => number;
}

/**
 * Deletes every row of a tenant (results and their events, idempotent answers, PIN failures,
 * webhook deliveries and attempts).
 * @param keyId only the results sealed with this key (a tenant re-created after a purge), else all
 * @returns rows removed per table
 */
export function deleteTenantRows(db: DatabaseSync, tenant: string, keyId?: string): Record<string, number> {
  return transaction(db, () => {
    const n = (sql: string, ...args: string[]) => Number(db.prepare(sql).run(...args).changes);
    const results = keyId === undefined ? 'tenant = ?' : 'tenant = ? AND key_id = ?';
    const args = keyId === undefined ? [tenant] : [tenant, keyId];
    const out: Record<string, number> = {
      result_events: n(
        `DELETE FROM result_events WHERE result_id IN (SELECT id FROM results WHERE ${results})`,
        ...args,
      ),
      results: n(`DELETE FROM results WHERE ${results}`, ...args),
    };
    if (keyId === undefined) {
      out.idempotency_keys = n('DELETE FROM idempotency_keys WHERE tenant = ?', tenant);
      out.pin_failures = n('DELETE FROM pin_failures WHERE tenant = ?', tenant);
      out.webhook_attempts = n(
        'DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries WHERE tenant = ?)',
        tenant,
      );
      out.webhook_deliveries = n('DELETE FROM webhook_deliveries WHERE tenant = ?', tenant);
    }
    return out;
  });
}

/**
 * Purges a tenant: destroys its key, deletes its rows and outbox files.
 * @returns what was removed where (also appended to the status file)
 * @example const report = purgeTenant(db, keyring, 'acme-hr', { outboxDir: 'var/outbox' })
 */
export function purgeTenant(
  db: DatabaseSync,
  keyring: Keyring,
  tenant: string,
  options: PurgeOptions = {},
): PurgeRecord {
  const now = options.now ?? Date.now;
  const removed: PurgeRecord['removed'] = [];
  const keyId = keyring.has(tenant) ? keyring.keys(tenant)!.keyId : null;
  const tombstone = keyring.destroy(tenant);
  removed.push({
    where: keyring.file ?? 'keyring (memory)',
    what: tombstone ? `tenant key ${tombstone.keyId} destroyed` : 'no tenant key (none or already destroyed)',
    count: tombstone ? 1 : 0,
  });
  const rows = deleteTenantRows(db, tenant);
  // Truncate the WAL so deleted pages do not linger in it (secure_delete zeroes them in the file).
  db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
  for (const [table, count] of Object.entries(rows)) {
    removed.push({ where: `database table ${table}`, what: 'rows deleted', count });
  }
  if (options.outboxDir) {
    const dir = join(options.outboxDir, tenant);
    const files = existsSync(dir) ? readdirSync(dir, { recursive: true }).length : 0;
    rmSync(dir, { recursive: true, force: true });
    removed.push({ where: dir, what: 'outbox files deleted', count: files });
  }
  if (options.backupDir && keyId) {
    const holding = listBackups(options.backupDir).filter((b) => b.tenants[tenant]?.keyIds.includes(keyId));
    const rowsInBackups = holding.reduce((sum, b) => sum + (b.tenants[tenant]?.results ?? 0), 0);
    removed.push({
      where: `${holding.length} backup(s) in ${options.backupDir}`,
      what: `rows sealed with key ${keyId}: unreadable from now on (their key is destroyed); the files go by retention`,
      count: rowsInBackups,
    });
  }
  const record: PurgeRecord = { tenant, at: new Date(now()).toISOString(), keyId, removed };
  updateDataStatus(
    options.statusFile,
    (s) => {
      s.purges = [...(s.purges ?? []), record];
    },
    now,
  );
  return record;
}

/**
 * Deletes what purges destroyed the keys of, from a database that came back from an old backup:
 * all rows of a purged tenant (no live key), or the results sealed with a destroyed key of a tenant
 * that has a new one. Returns what was deleted per tenant.
 */
export function reapplyPurges(db: DatabaseSync, keyring: Keyring): Record<string, number> {
  const out: Record<string, number> = {};
  for (const d of keyring.destroyed()) {
    const live = keyring.has(d.tenant);
    const rows = deleteTenantRows(db, d.tenant, live ? d.keyId : undefined);
    if (rows.results) out[d.tenant] = (out[d.tenant] ?? 0) + rows.results;
  }
  return out;
}
