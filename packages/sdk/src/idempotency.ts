/**
 * Idempotency keys derived from the business key, so re-running last night's export is harmless:
 * the same `externalId` with the same body always yields the same key (WebCrypto SHA-256, so it
 * works in browsers, Deno, Bun and Node alike).
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
 * The default `Idempotency-Key` of a result: `rg1-` + SHA-256 over `externalId` and the hash of
 * the canonical body. It holds no personal data (only a hash leaves the process) and does not
 * depend on the tenant, so the same export sent twice to one tenant is recognised.
 * @example await idempotencyKeyFor({ externalId: 'exam-2027-0001', ... }) // 'rg1-3f1c…'
 */
export async function idempotencyKeyFor(item: { externalId: string }): Promise<string> {
  const bodyHash = await sha256Hex(canonicalJson(item));
  return `rg1-${(await sha256Hex(`${item.externalId}\n${bodyHash}`)).slice(0, 48)}`;
}

/** A key for a batch: the hash of its items' keys in order. */
export async function batchIdempotencyKey(items: readonly { externalId: string }[]): Promise<string> {
  const keys = await Promise.all(items.map(idempotencyKeyFor));
  return `rg1b-${(await sha256Hex(keys.join('\n'))).slice(0, 48)}`;
}
