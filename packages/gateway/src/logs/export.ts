/**
 * Export of one tenant's lines for a date range, as JSON lines (the stored text, so exported
 * audit lines still verify) or CSV. Used by `resultgate logs export` and `GET /.gateway/logs`.
 */
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { type LogKind, listLogFiles, tenantDirName } from './files.js';

const DAY_MS = 86_400_000;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/** A time range: `from` and `to` are dates (`2026-11-28`, whole UTC days) or ISO date-times. */
export interface ExportRange {
  fromMs: number;
  toMs: number;
}

/**
 * Parses `from`/`to`. A date means the whole UTC day (`to` included).
 * @returns the range, or a message saying what is wrong
 */
export function parseRange(
  from: string | undefined,
  to: string | undefined,
  now: number,
): ExportRange | string {
  const today = new Date(now).toISOString().slice(0, 10);
  const f = from ?? to ?? today;
  const t = to ?? (from && DATE_ONLY.test(from) ? from : today);
  const fromMs = Date.parse(DATE_ONLY.test(f) ? `${f}T00:00:00Z` : f);
  const toMs = DATE_ONLY.test(t) ? Date.parse(`${t}T00:00:00Z`) + DAY_MS - 1 : Date.parse(t);
  if (Number.isNaN(fromMs)) return `from: not a date (use 2026-11-28 or an ISO date-time): ${f}`;
  if (Number.isNaN(toMs)) return `to: not a date (use 2026-11-28 or an ISO date-time): ${t}`;
  if (toMs < fromMs) return 'to is before from';
  return { fromMs, toMs };
}

/**
 * The tenant's stored lines of one kind within the range, oldest first, without their newline.
 * Reads file by file, line by line: an export never holds a whole month in memory.
 */
export async function* exportLines(dir: string, tenant: string, kind: LogKind, range: ExportRange) {
  const tenantDir = join(dir, tenantDirName(tenant));
  const fromDay = new Date(range.fromMs).toISOString().slice(0, 10);
  const toDay = new Date(range.toMs).toISOString().slice(0, 10);
  for (const file of await listLogFiles(tenantDir, kind)) {
    if (file.day < fromDay || file.day > toDay) continue;
    const lines = createInterface({
      input: createReadStream(join(tenantDir, file.name)),
      crlfDelay: Infinity,
    });
    for await (const line of lines) {
      if (!line) continue;
      let ts: number;
      try {
        ts = Date.parse((JSON.parse(line) as { ts: string }).ts);
      } catch {
        continue; // a damaged line is for `logs verify` to report, not to export
      }
      if (ts >= range.fromMs && ts <= range.toMs) yield line;
    }
  }
}

/** CSV columns per kind; audit lines' other fields go, as JSON, into `extra`. */
export const CSV_COLUMNS: Record<LogKind, readonly string[]> = {
  access: [
    'ts',
    'reqId',
    'tenant',
    'zone',
    'ip',
    'method',
    'path',
    'status',
    'bytes',
    'ms',
    'upstreamMs',
    'user',
    'decision',
    'ua',
  ],
  audit: ['ts', 'seq', 'type', 'tenant', 'user', 'ip', 'zone', 'reqId', 'reason', 'extra', 'prev', 'hash'],
};

/** One CSV field (RFC 4180), with spreadsheet formula injection defused (`=`, `+`, `-`, `@`). */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  let s =
    typeof value === 'string' ? value : typeof value === 'number' ? String(value) : JSON.stringify(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The CSV header line of a kind. */
export function csvHeader(kind: LogKind): string {
  return `${CSV_COLUMNS[kind].join(',')}\r\n`;
}

/** One JSON line as a CSV row. */
export function csvRow(kind: LogKind, line: string): string {
  const record = JSON.parse(line) as Record<string, unknown>;
  const columns = CSV_COLUMNS[kind];
  if (kind === 'audit') {
    const extra: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(record)) if (!columns.includes(k)) extra[k] = v;
    record.extra = Object.keys(extra).length > 0 ? extra : undefined;
  }
  return `${columns.map((c) => csvField(record[c])).join(',')}\r\n`;
}
