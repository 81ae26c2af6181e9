/**
 * Reads the school's CSV export (RFC 4180: quoted fields, `""` escapes, CRLF or LF) into results.
 * Columns: externalId, recipientId, name, email, title, outcome, score, publishAt.
 */
import type { ResultInput } from '@resultgate/sdk';

/** Parses CSV text into rows of fields. @throws {Error} on an unterminated quote */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field === '') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      if (row.some((f) => f !== '')) rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  if (quoted) throw new Error('CSV: unterminated quoted field');
  row.push(field);
  if (row.some((f) => f !== '')) rows.push(row);
  return rows;
}

const REQUIRED = ['externalId', 'recipientId', 'title', 'outcome'] as const;

/**
 * Turns the CSV into Result API items (empty cells are left out).
 * @throws {Error} when a required column is missing
 * @example csvToResults(await readFile('results.csv', 'utf8'))
 */
export function csvToResults(text: string): ResultInput[] {
  const [header, ...rows] = parseCsv(text.replace(/^\uFEFF/, ''));
  if (!header) return [];
  const col = (name: string) => header.indexOf(name);
  for (const name of REQUIRED) if (col(name) === -1) throw new Error(`CSV: missing column ${name}`);
  return rows.map((cells) => {
    const get = (name: string) => {
      const i = col(name);
      return i === -1 ? undefined : cells[i]?.trim() || undefined;
    };
    const score = get('score');
    return {
      externalId: get('externalId') ?? '',
      recipient: {
        id: get('recipientId') ?? '',
        ...(get('name') ? { name: get('name') } : {}),
        ...(get('email') ? { email: get('email') } : {}),
      },
      title: get('title') ?? '',
      outcome: get('outcome') ?? '',
      ...(score ? { details: { score: Number(score) } } : {}),
      ...(get('publishAt') ? { publishAt: get('publishAt') } : {}),
    };
  });
}
