/**
 * A results CSV as the admin import reads it: one header row naming the columns (English names as
 * in the API, or the Japanese labels a school office writes), one result a row. Each row becomes a
 * raw Result API item — validation is the API's own (api/send.ts `runBatch`), so a CSV row and an
 * API call are held to the same rules — and keeps its line number in the file for error messages.
 * Dates without a zone (`2027/02/10 10:00`, as spreadsheets write them) are read in the service's
 * time zone.
 */
import { parse } from 'csv-parse/sync';

/** The columns, each with the header names it is recognised by (compared lower-case, no spaces). */
export const IMPORT_COLUMNS = {
  externalId: ['externalid', 'external_id', '外部id', '管理番号'],
  recipientId: ['recipientid', 'recipient_id', '受信者id', '受験番号', '応募者id'],
  recipientName: ['recipientname', 'recipient_name', 'name', '氏名', '名前'],
  recipientEmail: ['recipientemail', 'recipient_email', 'email', 'メール', 'メールアドレス'],
  title: ['title', 'タイトル', '件名'],
  outcome: ['outcome', '結果'],
  details: ['details', '詳細', '備考'],
  publishAt: ['publishat', 'publish_at', '公開日時'],
  expiresAt: ['expiresat', 'expires_at', '公開終了日時', '掲載期限'],
} as const;
export type ImportColumn = keyof typeof IMPORT_COLUMNS;

const REQUIRED: readonly ImportColumn[] = ['externalId', 'recipientId', 'title', 'outcome'];

/** The most rows one import takes (the API's batch limit). */
export const MAX_IMPORT_ROWS = 1000;

/** One data row: its line in the file and the API item it makes. */
export interface ImportRow {
  line: number;
  item: Record<string, unknown>;
}

/** A parsed file: its rows, or why the file as a whole cannot be read. */
export type ParsedImport =
  | {
      ok: true;
      rows: ImportRow[] /** each column's header as the file wrote it */;
      headers: Partial<Record<ImportColumn, string>>;
    }
  | { ok: false; error: string };

const norm = (header: string) => header.replace(/[\s\u3000]/g, '').toLowerCase();

function columnOf(header: string): ImportColumn | undefined {
  const h = norm(header);
  for (const [column, names] of Object.entries(IMPORT_COLUMNS) as [ImportColumn, readonly string[]][]) {
    if (names.includes(h)) return column;
  }
  return undefined;
}

const LOCAL_TIME = /^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$/;

/** The offset of `timeZone` from UTC at `utcMs`, in ms (from Intl, no zone database of our own). */
function zoneOffset(utcMs: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(utcMs);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return (
    Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second')) - utcMs
  );
}

/**
 * A spreadsheet date-time without a zone, as ISO 8601 in `timeZone`; anything else unchanged (the
 * API's validation then says what is wrong with it).
 * @example localToIso('2027/02/10 10:00', 'Asia/Tokyo') // '2027-02-10T01:00:00.000Z'
 */
export function localToIso(text: string, timeZone: string): string {
  const m = LOCAL_TIME.exec(text.trim());
  if (!m) return text;
  const [, y, mo, d, h = '0', mi = '0', s = '0'] = m;
  const wall = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (Number.isNaN(wall)) return text;
  // Twice: the offset at the guessed instant can differ from the one at the real instant (DST).
  let utc = wall - zoneOffset(wall, timeZone);
  utc = wall - zoneOffset(utc, timeZone);
  return new Date(utc).toISOString();
}

/**
 * Parses CSV text into API items with their line numbers.
 * @param timeZone the zone of dates written without one
 * @example parseImport('externalId,recipientId,title,outcome\nA1,R1,Exam,Passed\n', 'Asia/Tokyo')
 */
export function parseImport(text: string, timeZone: string): ParsedImport {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, {
      info: true,
      skip_empty_lines: true,
      relax_column_count: true,
      trim: true,
    }) as unknown as typeof records;
  } catch (err) {
    return { ok: false, error: `CSV: ${(err as Error).message}` };
  }
  const [head, ...body] = records;
  if (!head) return { ok: false, error: 'The file has no rows.' };
  const columns = head.record.map(columnOf);
  const missing = REQUIRED.filter((c) => !columns.includes(c));
  if (missing.length > 0) {
    return { ok: false, error: `Line 1: missing column(s) ${missing.join(', ')} in the header row.` };
  }
  if (body.length === 0) return { ok: false, error: 'The file has a header row but no results.' };
  if (body.length > MAX_IMPORT_ROWS) {
    return {
      ok: false,
      error: `The file has ${body.length} results; import at most ${MAX_IMPORT_ROWS} at a time.`,
    };
  }
  const rows = body.map(({ record, info }): ImportRow => {
    const cell = (column: ImportColumn): string | undefined => {
      const i = columns.indexOf(column);
      const value = i < 0 ? undefined : record[i];
      return value === undefined || value === '' ? undefined : value;
    };
    const recipient: Record<string, string> = { id: cell('recipientId') ?? '' };
    const name = cell('recipientName');
    const email = cell('recipientEmail');
    if (name !== undefined) recipient.name = name;
    if (email !== undefined) recipient.email = email;
    const item: Record<string, unknown> = {
      externalId: cell('externalId') ?? '',
      recipient,
      title: cell('title') ?? '',
      outcome: cell('outcome') ?? '',
    };
    const details = cell('details');
    const publishAt = cell('publishAt');
    const expiresAt = cell('expiresAt');
    if (details !== undefined) item.details = details;
    if (publishAt !== undefined) item.publishAt = localToIso(publishAt, timeZone);
    if (expiresAt !== undefined) item.expiresAt = localToIso(expiresAt, timeZone);
    // info.lines is the line the record ends on; a quoted field may span several.
    const inner = record.reduce((n, field) => n + (field.split('\n').length - 1), 0);
    return { line: info.lines - inner, item };
  });
  const headers: Partial<Record<ImportColumn, string>> = {};
  columns.forEach((column, i) => {
    if (column) headers[column] = head.record[i];
  });
  return { ok: true, rows, headers };
}

/** The CSV column an API issue path points at (`items[3].recipient.email` → `recipientEmail`). */
export function columnOfIssue(path: string): ImportColumn | string {
  const field = path.replace(/^items\[\d+\]\.?/, '');
  const map: Record<string, ImportColumn> = {
    externalId: 'externalId',
    'recipient.id': 'recipientId',
    'recipient.name': 'recipientName',
    'recipient.email': 'recipientEmail',
    title: 'title',
    outcome: 'outcome',
    details: 'details',
    publishAt: 'publishAt',
    expiresAt: 'expiresAt',
  };
  return map[field] ?? (field || 'row');
}
