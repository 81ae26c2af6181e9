/**
 * The result service's data-status file, as `resultgate report` reads it: the evidence for the
 * checklist's backup, encryption-at-rest and deletion promises, which live in the upstream's data
 * and not in the policy. The result service writes it into its data directory
 * (`<db dir>/data-status.json`); the report is given its path with `--data-status FILE` or
 * `$RESULTGATE_DATA_STATUS`. The gateway only reads it; any field it does not know is ignored.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { ReportItem } from './report.js';

const DAY = 86_400_000;

const dataStatusSchema = z.object({
  updatedAt: z.string(),
  backup: z
    .object({
      dailyAt: z.string().nullable(),
      retentionDays: z.number(),
      last: z.object({ file: z.string(), at: z.string(), bytes: z.number(), sha256: z.string() }).nullable(),
      lastError: z.object({ at: z.string(), message: z.string() }).nullable().optional(),
    })
    .optional(),
  restore: z
    .object({
      lastVerified: z
        .object({ file: z.string(), at: z.string(), ok: z.boolean(), summary: z.string() })
        .nullable(),
      lastRestored: z.object({ file: z.string(), at: z.string() }).nullable().optional(),
    })
    .optional(),
  encryption: z
    .object({
      enabled: z.boolean(),
      algorithm: z.string(),
      masterKeyId: z.string(),
      rotatedAt: z.string().nullable(),
    })
    .optional(),
  purges: z
    .array(
      z.object({
        tenant: z.string(),
        at: z.string(),
        keyId: z.string().nullable(),
        removed: z.array(z.object({ where: z.string(), what: z.string(), count: z.number() })),
      }),
    )
    .optional(),
});

/** What the report uses of the data-status file. */
export type DataStatus = z.infer<typeof dataStatusSchema>;

/**
 * Reads and checks the file.
 * @throws Error naming the file when it is missing or not a data-status file
 */
export async function readDataStatus(file: string): Promise<DataStatus> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message}`);
  }
  const parsed = dataStatusSchema.safeParse(raw);
  if (!parsed.success)
    throw new Error(`${file}: not a result-service data-status file\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

const TITLES = {
  backup: 'Daily backups, checked by restore',
  encryption: 'Stored data encrypted',
  deletion: 'Data deleted at contract end',
} as const;

const item = (id: keyof typeof TITLES, status: ReportItem['status'], value: string): ReportItem => ({
  id,
  title: TITLES[id],
  status,
  value,
});

function backupItem(s: DataStatus, now: number): ReportItem {
  const b = s.backup;
  if (!b?.last)
    return item(
      'backup',
      'not enforced',
      b
        ? `no backup taken yet (daily at ${b.dailyAt ?? 'never'} UTC)`
        : 'the result service reports no backups',
    );
  const schedule = b.dailyAt
    ? `daily at ${b.dailyAt} UTC, kept ${b.retentionDays} days`
    : 'no daily schedule';
  const last = `last backup ${b.last.at} (${b.last.bytes} bytes, sha256 ${b.last.sha256.slice(0, 12)}…)`;
  const v = s.restore?.lastVerified;
  const verified = v
    ? `last restore check ${v.at}: ${v.ok ? 'passed' : 'FAILED'} (${v.summary})`
    : 'no restore check yet';
  const error = b.lastError ? `; last failure ${b.lastError.at}: ${b.lastError.message}` : '';
  const value = `${schedule}; ${last}; ${verified}${error}`;
  const fresh = now - Date.parse(b.last.at) <= 1.5 * DAY;
  const checked = v?.ok === true;
  return item('backup', b.dailyAt && fresh && checked ? 'enforced' : 'weak', value);
}

function encryptionItem(s: DataStatus): ReportItem {
  const e = s.encryption;
  if (!e?.enabled)
    return item('encryption', 'not enforced', 'the result service reports no encryption at rest');
  return item(
    'encryption',
    'enforced',
    `personal fields (recipient, outcome, details, external id, access code) sealed with ${e.algorithm}; master key ${e.masterKeyId}, rotated ${e.rotatedAt ?? 'never'}; in transit: TLS (above)`,
  );
}

function deletionItem(s: DataStatus): ReportItem {
  const procedure =
    '`resultgate tenants purge T` (policy, sessions, logs) then `result-service purge T` (tenant key destroyed, rows, outbox; backups unreadable)';
  const purges = (s.purges ?? []).map((p) => {
    const rows = p.removed
      .filter((r) => r.where.startsWith('database table'))
      .reduce((n, r) => n + r.count, 0);
    return `${p.tenant} ${p.at} (key ${p.keyId ?? 'none'} destroyed, ${rows} rows deleted)`;
  });
  return item(
    'deletion',
    'enforced',
    `${procedure}; purges done: ${purges.length ? purges.join(', ') : 'none'}`,
  );
}

/**
 * The backup, encryption and deletion items of the report, from a data-status file (or "not
 * enforced" items saying why when there is none).
 * @param status the file's content, or undefined when no file was given
 * @param now the clock (a backup older than 1.5 days makes the backup item `weak`)
 */
export function dataItems(status: DataStatus | undefined, now: number): ReportItem[] {
  if (!status) {
    const why = "no data status given (--data-status FILE: the result service's data-status.json)";
    return [
      item('backup', 'not enforced', why),
      item('encryption', 'not enforced', why),
      item('deletion', 'not enforced', why),
    ];
  }
  return [backupItem(status, now), encryptionItem(status), deletionItem(status)];
}
