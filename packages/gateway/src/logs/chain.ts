/**
 * The audit chain: every audit line carries `seq`, `prev` (the previous line's hash) and `hash`
 * = SHA-256 hex of `prev` followed by the canonical JSON of the line without `hash`. Editing,
 * removing, inserting or reordering a line breaks the chain at that line.
 */
import { createHash } from 'node:crypto';

/** `prev` of the first line of a tenant's chain. */
export const GENESIS = '0'.repeat(64);

/** Where a chain stands: the last written line's `seq` and `hash`. */
export interface ChainHead {
  seq: number;
  hash: string;
}

/** JSON with object keys sorted at every level and no whitespace: one text per value. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value))
    return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const parts: string[] = [];
  for (const key of Object.keys(value).sort()) {
    const v = (value as Record<string, unknown>)[key];
    if (v === undefined || typeof v === 'function') continue;
    parts.push(`${JSON.stringify(key)}:${canonicalJson(v)}`);
  }
  return `{${parts.join(',')}}`;
}

/** The hash of a record (its own `hash` field, if any, is left out). */
export function chainHash(record: Record<string, unknown>): string {
  const { hash: _hash, ...rest } = record;
  const prev = typeof rest.prev === 'string' ? rest.prev : '';
  return createHash('sha256').update(prev).update(canonicalJson(rest)).digest('hex');
}

/**
 * Seals an event onto the chain: returns the line to write (ending in `\n`) and the new head.
 * The record goes through a JSON round trip first so that what is hashed is exactly what a
 * verifier will parse back (undefined dropped, dates as strings).
 */
export function sealRecord(
  event: Record<string, unknown>,
  ts: string,
  head: ChainHead,
): { line: string; head: ChainHead } {
  const { ts: _ts, seq: _seq, prev: _prev, hash: _hash, ...fields } = event;
  const record = JSON.parse(JSON.stringify({ ts, seq: head.seq + 1, ...fields, prev: head.hash })) as Record<
    string,
    unknown
  >;
  const hash = chainHash(record);
  return { line: `${JSON.stringify({ ...record, hash })}\n`, head: { seq: head.seq + 1, hash } };
}
