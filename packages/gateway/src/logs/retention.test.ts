import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLogWriter } from './audit-sink.js';
import { LogHealth } from './health.js';
import { openLogs } from './open.js';
import { retentionCutoff, sweepRetention } from './retention.js';
import { verifyAuditDir } from './verify.js';

let root: string;
const DAY = 86_400_000;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'rg-retention-'));
});
afterEach(() => rm(root, { recursive: true, force: true }));

describe('retention', () => {
  it('keeps every line at least retentionDays days', () => {
    expect(retentionCutoff(Date.parse('2026-11-28T10:00:00Z'), 30)).toBe('2026-10-29');
  });

  it('deletes old files at start, then again when the clock moves on', async () => {
    await mkdir(join(root, 'school-a'));
    for (const day of ['2026-10-01', '2026-10-28', '2026-10-29', '2026-11-28'])
      await writeFile(join(root, 'school-a', `access-${day}.jsonl`), '{}\n');
    await writeFile(join(root, 'school-a', 'notes.txt'), 'not a log');
    let clock = Date.parse('2026-11-28T10:00:00Z');
    const logs = await openLogs(
      { dir: root, retentionDays: 30 },
      { now: () => clock, registry: new Registry(), warn: () => {} },
    );
    try {
      expect((await readdir(join(root, 'school-a'))).sort()).toEqual([
        'access-2026-10-29.jsonl',
        'access-2026-11-28.jsonl',
        'notes.txt',
      ]);
      clock += 2 * DAY;
      expect(await logs.sweep()).toEqual(['school-a/access-2026-10-29.jsonl']);
    } finally {
      await logs.close();
    }
  });

  it('anchors the audit chain so a verified chain stays verifiable after old days go', async () => {
    let clock = Date.parse('2026-10-01T09:00:00Z');
    const health = new LogHealth({ now: () => clock, registry: new Registry(), warn: () => {} });
    const audit = new AuditLogWriter({ dir: root, health, now: () => clock });
    for (let i = 0; i < 3; i++) {
      audit.write({ type: 'login', tenant: 'school-a', user: `u${i}` });
      await audit.flush();
      clock += 20 * DAY;
    }
    expect((await verifyAuditDir(root)).ok).toBe(true);
    expect(await sweepRetention(root, 30, Date.parse('2026-11-20T09:00:00Z'))).toEqual([
      'school-a/audit-2026-10-01.jsonl',
    ]);
    expect((await verifyAuditDir(root)).ok).toBe(true);
    // Removing the oldest kept file is still caught, against the anchor.
    await rm(join(root, 'school-a', 'audit-2026-10-21.jsonl'));
    expect((await verifyAuditDir(root)).tenants[0]?.error?.where).toBe('school-a/audit-2026-11-10.jsonl:1');
    // When every audit file has expired, the chain continues where it stopped.
    const later = clock + 60 * DAY;
    await sweepRetention(root, 30, later);
    clock = later;
    const audit2 = new AuditLogWriter({ dir: root, health, now: () => clock });
    audit2.write({ type: 'logout', tenant: 'school-a', user: 'u2' });
    await audit2.flush();
    const result = await verifyAuditDir(root);
    expect(result.ok).toBe(true);
    expect(result.tenants[0]?.lines).toBe(1);
  });
});
