import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { identityHeaders } from '@resultgate/gateway/identity';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Keyring } from '../crypto/keyring.js';
import { loadMasterKey } from '../crypto/master-key.js';
import { RowCipher, SealedDataError } from '../crypto/row-cipher.js';
import { readDataStatus } from '../data-status.js';
import { SCHEMA_VERSION } from '../db.js';
import { dataPaths } from '../paths.js';
import { purgeTenant } from '../purge.js';
import { type RunningResultService, startResultService } from '../service.js';
import { sample, TEST_SECRET } from '../test-kit.js';
import { backupNow, listBackups, pruneBackups } from './backup.js';
import { restoreBackup, verifyBackup } from './restore.js';
import { nextRunAt } from './schedule.js';

let dir: string;
let dbFile: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'result-service-backup-'));
  dbFile = join(dir, 'results.db');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const start = () =>
  startResultService({ port: 0, dbFile, identitySecret: TEST_SECRET, schedulerIntervalMs: 0 });

/** The keyring as the CLI opens it: from the files beside the database. */
function keyringOf(file = dbFile): Keyring {
  const paths = dataPaths(file);
  return new Keyring({
    file: paths.keyringFile,
    masterKey: () => loadMasterKey({ file: paths.masterKeyFile }),
  });
}

let seq = 0;
async function send(service: RunningResultService, tenant: string, externalId: string): Promise<Response> {
  const target = '/api/v1/results';
  const headers = identityHeaders(
    TEST_SECRET,
    { tenant, user: 'sync', roles: ['integration'], requestId: `load-${++seq}` },
    { method: 'POST', target },
  );
  return fetch(service.url + target, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify(
      sample(externalId, {
        recipient: { id: externalId, name: `Name ${externalId}` },
        details: { essay: 'x'.repeat(3000) },
      }),
    ),
  });
}

const rawRows = (db: DatabaseSync, maxSeq = Number.MAX_SAFE_INTEGER) =>
  db.prepare('SELECT * FROM results WHERE seq <= ? ORDER BY seq').all(maxSeq);
const count = (db: DatabaseSync, table: string) =>
  (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;

describe('online backup and restore', () => {
  it('backs up under concurrent writes; the restored database equals the data at backup time', async () => {
    let service = await start();
    let backupFile: string;
    let inBackup: number;
    let liveAtBackup: unknown[];
    let stop = false;
    let writers: Promise<void>[] = [];
    try {
      // Writers: 4 concurrent loops of API inserts, bounded in count (3000) and time (20 s).
      let written = 0;
      const deadline = Date.now() + 20_000;
      const writer = async (w: number) => {
        for (let i = 0; !stop && written < 3000 && Date.now() < deadline; i++) {
          const res = await send(service, w % 2 ? 'school-a' : 'acme-hr', `w${w}-${i}`);
          expect(res.status).toBe(201);
          written++;
        }
      };
      writers = [0, 1, 2, 3].map(writer);
      while (written < 60 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      const before = count(service.db, 'results');
      // Eight pages per step: the copy spans many turns of the event loop while the writers go on.
      const entry = await backupNow(service.db, join(dir, 'backups'), Date.now, 8);
      const after = count(service.db, 'results');
      const moreAfter = written;
      await new Promise((r) => setTimeout(r, 100)); // writes go on after the backup too
      stop = true;
      await Promise.all(writers);
      expect(written).toBeGreaterThan(moreAfter - 1);
      backupFile = entry.path;
      expect(entry.bytes).toBeGreaterThan(0);
      expect(entry.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(entry.schemaVersion).toBe(SCHEMA_VERSION);
      const copy = new DatabaseSync(backupFile, { readOnly: true });
      try {
        inBackup = count(copy, 'results');
        // A consistent snapshot taken while writes went on: between the counts before and after…
        expect(inBackup).toBeGreaterThanOrEqual(before);
        expect(inBackup).toBeLessThanOrEqual(after);
        expect(entry.tenants['school-a']!.results + entry.tenants['acme-hr']!.results).toBe(inBackup);
        // …every result with its first event (no torn transaction), seqs 1..N with no hole…
        expect(count(copy, 'result_events')).toBe(inBackup);
        const seqs = (copy.prepare('SELECT seq FROM results ORDER BY seq').all() as { seq: number }[]).map(
          (r) => r.seq,
        );
        expect(seqs).toEqual(Array.from({ length: inBackup }, (_, i) => i + 1));
        // …and byte for byte the live rows of those seqs (inserts only: nothing changed them since).
        liveAtBackup = rawRows(service.db, inBackup);
        expect(rawRows(copy)).toEqual(liveAtBackup);
      } finally {
        copy.close();
      }
      expect(count(service.db, 'results')).toBeGreaterThan(inBackup);
      // The live database is in use: restore refuses.
      expect(() =>
        restoreBackup(backupFile, dbFile, keyringOf(), { lockFile: dataPaths(dbFile).lockFile }),
      ).toThrow(/has .* open: stop it first/);
    } finally {
      stop = true;
      await Promise.allSettled(writers);
      await service.close();
    }
    const liveBytes = readFileSync(dbFile);
    const restored = restoreBackup(backupFile, dbFile, keyringOf(), {
      lockFile: dataPaths(dbFile).lockFile,
      statusFile: dataPaths(dbFile).statusFile,
    });
    expect(restored.verification.ok).toBe(true);
    expect(readFileSync(restored.previous)).toEqual(liveBytes); // the replaced file is kept
    service = await start();
    try {
      expect(rawRows(service.db)).toEqual(liveAtBackup);
      const list = await fetch(`${service.url}/api/v1/results?limit=200`, {
        headers: identityHeaders(
          TEST_SECRET,
          { tenant: 'school-a', user: 'sync', roles: [], requestId: 'list-1' },
          { method: 'GET', target: '/api/v1/results?limit=200' },
        ),
      });
      const body = (await list.json()) as { data: { recipient: { name: string }; externalId: string }[] };
      expect(body.data.length).toBeGreaterThan(0);
      for (const r of body.data) expect(r.recipient.name).toBe(`Name ${r.externalId}`);
    } finally {
      await service.close();
    }
    const status = readDataStatus(dataPaths(dbFile).statusFile);
    expect(status.restore?.lastVerified?.ok).toBe(true);
    expect(status.restore?.lastRestored?.previous).toBe(restored.previous);
  }, 60_000);

  it('verify finds a changed byte, touching neither the backup nor the live database', async () => {
    const service = await start();
    let file: string;
    try {
      expect((await send(service, 'school-a', 'x1')).status).toBe(201);
      file = (await service.backupNow()).path;
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const live = readFileSync(dbFile);
      const good = verifyBackup(file, keyringOf());
      expect(good.ok).toBe(true);
      expect(good.checks.map((c) => `${c.name} ${c.ok}`)).toEqual([
        'sha256 true',
        'integrity_check true',
        'schema true',
        'rows per tenant true',
        'sealed rows open true',
      ]);
      expect(good.tenants['school-a']).toEqual({ results: 1, readable: 1, unreadable: 0, key: 'live' });
      expect(readFileSync(dbFile)).toEqual(live);
    } finally {
      await service.close();
    }
    const bytes = readFileSync(file);
    bytes[bytes.length - 100] = (bytes[bytes.length - 100] ?? 0) ^ 0xff;
    writeFileSync(file, bytes);
    const bad = verifyBackup(file, keyringOf());
    expect(bad.ok).toBe(false);
    expect(bad.checks.find((c) => c.name === 'sha256')?.ok).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes('restore'))).toEqual([]);
  });

  it('a purge destroys the tenant key: its rows in an old backup cannot be decrypted, other tenants are intact', async () => {
    let service = await start();
    let oldBackup: string;
    const paths = dataPaths(dbFile);
    try {
      for (const t of ['school-a', 'acme-hr']) {
        for (let i = 0; i < 3; i++) expect((await send(service, t, `${t}-${i}`)).status).toBe(201);
      }
      oldBackup = (await service.backupNow()).path;
      const wrapped = JSON.parse(readFileSync(paths.keyringFile, 'utf8')).tenants['acme-hr']
        .wrapped as string;
      const report = purgeTenant(service.db, service.context.cipher.keyring, 'acme-hr', {
        outboxDir: join(dir, 'outbox'),
        backupDir: paths.backupDir,
        statusFile: paths.statusFile,
      });
      expect(report.removed.map((r) => [r.where.replace(dir, 'DIR'), r.count])).toEqual([
        ['DIR/keyring.json', 1],
        ['database table result_events', 3],
        ['database table results', 3],
        ['database table idempotency_keys', 0],
        ['database table pin_failures', 0],
        ['database table webhook_attempts', 0],
        ['database table webhook_deliveries', 0],
        ['DIR/outbox/acme-hr', 0],
        ['1 backup(s) in DIR/backups', 3],
      ]);
      // The wrapped key is gone from the keyring file (only a tombstone with its id remains).
      expect(readFileSync(paths.keyringFile, 'utf8')).not.toContain(wrapped);
      expect(service.context.store.list('acme-hr', { limit: 10 })).toEqual([]);
      expect(service.context.store.list('school-a', { limit: 10 })).toHaveLength(3);
    } finally {
      await service.close();
    }
    // Whoever holds the old backup, the keyring and the master key still cannot open acme-hr's rows.
    const keyring = keyringOf();
    const cipher = new RowCipher(keyring);
    const old = new DatabaseSync(oldBackup, { readOnly: true });
    try {
      const rows = old.prepare('SELECT id, tenant, sealed FROM results ORDER BY seq').all() as {
        id: string;
        tenant: string;
        sealed: Uint8Array;
      }[];
      expect(rows).toHaveLength(6);
      for (const r of rows) {
        if (r.tenant === 'acme-hr') {
          expect(() => cipher.open(r.tenant, `${r.id}\nrow`, r.sealed)).toThrow(SealedDataError);
          expect(() => cipher.open(r.tenant, `${r.id}\nrow`, r.sealed)).toThrow(/destroyed/);
        } else {
          expect(JSON.parse(cipher.open(r.tenant, `${r.id}\nrow`, r.sealed)).externalId).toMatch(
            /^school-a-\d$/,
          );
        }
      }
    } finally {
      old.close();
    }
    const v = verifyBackup(oldBackup, keyring);
    expect(v.ok).toBe(true); // unreadable by design, not a broken backup
    expect(v.tenants['acme-hr']).toMatchObject({
      results: 3,
      readable: 0,
      unreadable: 3,
      key: expect.stringMatching(/^destroyed /),
    });
    expect(v.tenants['school-a']).toMatchObject({ results: 3, readable: 3, unreadable: 0, key: 'live' });
    // Restoring the old backup keeps the purged tenant purged.
    const restored = restoreBackup(oldBackup, dbFile, keyring, { lockFile: paths.lockFile });
    expect(restored.repurged).toEqual({ 'acme-hr': 3 });
    service = await start();
    try {
      expect(service.context.store.list('acme-hr', { limit: 10 })).toEqual([]);
      expect(service.context.store.list('school-a', { limit: 10 }).map((r) => r.external_id)).toEqual([
        'school-a-0',
        'school-a-1',
        'school-a-2',
      ]);
    } finally {
      await service.close();
    }
    const status = readDataStatus(paths.statusFile);
    expect(status.purges?.map((p) => p.tenant)).toEqual(['acme-hr']);
    expect(status.backup?.last?.file).toBe(oldBackup);
  }, 30_000);
});

describe('a purge from another process', () => {
  it('makes the running service drop the destroyed key within seconds', async () => {
    const service = await start();
    try {
      expect((await send(service, 'acme-hr', 'x1')).status).toBe(201);
      expect(service.context.cipher.keyring.has('acme-hr')).toBe(true);
      // The CLI's purge: its own connection and its own keyring over the same files.
      const db = new DatabaseSync(dbFile);
      try {
        purgeTenant(db, keyringOf(), 'acme-hr');
      } finally {
        db.close();
      }
      const deadline = Date.now() + 10_000;
      while (service.context.cipher.keyring.has('acme-hr') && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(service.context.cipher.keyring.has('acme-hr')).toBe(false);
      expect(service.context.cipher.keyring.keys('acme-hr')).toBeUndefined();
      expect(service.context.store.byExternalId('acme-hr', 'x1')).toBeUndefined();
    } finally {
      await service.close();
    }
  }, 30_000);
});

describe('retention and schedule', () => {
  it('lists newest first and prunes backups past the retention, always keeping the newest', async () => {
    const service = await start();
    let now = Date.parse('2026-12-01T18:00:00Z');
    try {
      for (let i = 0; i < 4; i++) {
        await backupNow(service.db, join(dir, 'b'), () => now);
        now += 5 * 86_400_000;
      }
    } finally {
      await service.close();
    }
    expect(listBackups(join(dir, 'b')).map((b) => b.createdAt)).toEqual([
      '2026-12-16T18:00:00.000Z',
      '2026-12-11T18:00:00.000Z',
      '2026-12-06T18:00:00.000Z',
      '2026-12-01T18:00:00.000Z',
    ]);
    // now = 12-21T18:00; 14 days back = 12-07T18:00
    expect(pruneBackups(join(dir, 'b'), 14, () => now)).toHaveLength(2);
    expect(listBackups(join(dir, 'b')).map((b) => b.file)).toEqual([
      'results-20261216T180000000Z.db',
      'results-20261211T180000000Z.db',
    ]);
    expect(pruneBackups(join(dir, 'b'), 1, () => now + 100 * 86_400_000)).toHaveLength(1);
    expect(listBackups(join(dir, 'b'))).toHaveLength(1);
    expect(readdirSync(join(dir, 'b')).sort()).toEqual([
      'results-20261216T180000000Z.db',
      'results-20261216T180000000Z.json',
    ]);
  });

  it('runs daily at HH:MM UTC', () => {
    const t = Date.parse('2026-12-06T17:59:00Z');
    expect(new Date(nextRunAt(t, '18:00')).toISOString()).toBe('2026-12-06T18:00:00.000Z');
    expect(new Date(nextRunAt(t + 60_000, '18:00')).toISOString()).toBe('2026-12-07T18:00:00.000Z');
    expect(() => nextRunAt(t, '24:00')).toThrow(/HH:MM/);
  });

  it('a failed backup is reported in the status file and kept there across a restart', async () => {
    const notADir = join(dir, 'backups-is-a-file');
    writeFileSync(notADir, 'x');
    const options = { port: 0, dbFile, identitySecret: TEST_SECRET, schedulerIntervalMs: 0 };
    const backup = { at: '03:30', retentionDays: 7, dir: notADir };
    let service = await startResultService({ ...options, backup });
    try {
      await expect(service.backupNow()).rejects.toThrow();
    } finally {
      await service.close();
    }
    const failed = readDataStatus(dataPaths(dbFile).statusFile).backup;
    expect(failed?.last).toBeNull();
    expect(failed?.lastError?.message).toMatch(/\S/);
    service = await startResultService({ ...options, backup });
    try {
      // The schedule written again at start keeps the error until a backup succeeds.
      expect(readDataStatus(dataPaths(dbFile).statusFile).backup?.lastError).toEqual(failed?.lastError);
    } finally {
      await service.close();
    }
  });

  it('a service schedules the next backup and reports it; backup: false has none', async () => {
    const service = await startResultService({
      port: 0,
      dbFile,
      identitySecret: TEST_SECRET,
      schedulerIntervalMs: 0,
      backup: { at: '03:30', retentionDays: 7 },
    });
    try {
      expect(new Date(service.nextBackupAt()!).toISOString()).toMatch(/T03:30:00\.000Z$/);
      const status = readDataStatus(dataPaths(dbFile).statusFile);
      expect(status.backup).toMatchObject({ dailyAt: '03:30', retentionDays: 7, dir: join(dir, 'backups') });
      expect(status.encryption?.enabled).toBe(true);
    } finally {
      await service.close();
    }
    expect(existsSync(dataPaths(dbFile).lockFile)).toBe(false);
    const off = await startResultService({
      port: 0,
      dbFile: ':memory:',
      identitySecret: TEST_SECRET,
      backup: false,
    });
    try {
      expect(off.nextBackupAt()).toBeUndefined();
      await expect(off.backupNow()).rejects.toThrow(/off/);
    } finally {
      await off.close();
    }
  });
});
