/**
 * Idempotency keys. What makes re-sending harmless is the service's rule (one for `send`,
 * `sendBatch` and `sendMany`): an item is identified by its `externalId` and its content, so
 * identical content sent again answers the stored result, other content is refused. The
 * `Idempotency-Key` only makes the *retries of one call* safe: it is the item's fingerprint (or
 * the batch's) plus a random part drawn once per call, so every attempt of the call carries the
 * same key and gets the first answer replayed (with the access code and PIN), while a later call
 * is answered by the rule — the same outcome however the items were cut into batches.
 * WebCrypto SHA-256: works in browsers, Deno, Bun and Node alike.
 */

/** JSON with object keys sorted at every level: one body, one byte string, one hash. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** Lower-case hex SHA-256 of a UTF-8 string. */
export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  let hex = '';
  for (const byte of new Uint8Array(digest)) hex += byte.toString(16).padStart(2, '0');
  return hex;
}

/**
 * An item's fingerprint: `rg1-` + SHA-256 over `externalId` and the hash of the canonical body,
 * derived the same way by `send`, `sendBatch` and `sendMany`. It holds no personal data (only a
 * hash leaves the process).
 * @example await idempotencyKeyFor({ externalId: 'exam-2027-0001', ... }) // 'rg1-3f1c…'
 */
export async function idempotencyKeyFor(item: { externalId: string }): Promise<string> {
  const bodyHash = await sha256Hex(canonicalJson(item));
  return `rg1-${(await sha256Hex(`${item.externalId}\n${bodyHash}`)).slice(0, 48)}`;
}

/** A batch's fingerprint: the hash of its items' fingerprints in order. */
export async function batchFingerprint(items: readonly { externalId: string }[]): Promise<string> {
  const keys = await Promise.all(items.map(idempotencyKeyFor));
  return `rg1b-${(await sha256Hex(keys.join('\n'))).slice(0, 48)}`;
}

/** 64 random bits in hex: the per-call part of a request's key. */
function callNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  let hex = '';
  for (const byte of bytes) hex += byte.toString(16).padStart(2, '0');
  return hex;
}

/**
 * The `Idempotency-Key` of one call: `<fingerprint>.<random>`, drawn once before the first
 * attempt and reused by every retry of that call.
 * @example await callKey(idempotencyKeyFor(item)) // 'rg1-3f1c….9a0b…'
 */
export async function callKey(fingerprint: Promise<string> | string): Promise<string> {
  return `${await fingerprint}.${callNonce()}`;
}
