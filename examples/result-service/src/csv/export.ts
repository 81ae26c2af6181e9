/**
 * The admin list as CSV: UTF-8 with a byte-order mark (so Excel in Japan opens it as UTF-8 instead
 * of guessing Shift_JIS), CRLF line ends, fields quoted when needed (RFC 4180). A cell that starts
 * like a formula (`=`, `+`, `-`, `@`, tab, CR) is prefixed with `'`: recipient names come from
 * outside, and a spreadsheet would otherwise run `=HYPERLINK(…)` (CSV injection, OWASP).
 */
import { type ResultRow, recipientOf } from '../resource.js';

/** The export's columns: the import's first (so an export can be edited and imported elsewhere). */
export const EXPORT_HEADER = [
  'externalId',
  'recipientId',
  'recipientName',
  'recipientEmail',
  'title',
  'outcome',
  'publishAt',
  'expiresAt',
  'status',
  'createdAt',
  'updatedAt',
  'viewedAt',
  'withdrawnAt',
] as const;

/** One CSV field, quoted when needed and defused when it looks like a formula. */
export function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

const iso = (ms: number | null) => (ms === null ? '' : new Date(ms).toISOString());

/** One result as a CSV line (without the line end). */
export function csvLine(row: ResultRow): string {
  const r = recipientOf(row);
  return [
    row.external_id,
    r.id,
    r.name ?? '',
    r.email ?? '',
    row.title,
    row.outcome,
    iso(row.publish_at),
    iso(row.expires_at),
    row.status,
    iso(row.created_at),
    iso(row.updated_at),
    iso(row.viewed_at),
    iso(row.withdrawn_at),
  ]
    .map(csvField)
    .join(',');
}

/** The byte-order mark and header line that start the file. */
export const CSV_START = `\uFEFF${EXPORT_HEADER.join(',')}\r\n`;
