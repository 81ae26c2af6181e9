/**
 * Redaction for the debug logger: a recipient's name, e-mail, outcome and details, an access
 * code, PIN or password never leave the process through the SDK's logging.
 */

/** Keys whose values are replaced, at any depth. */
export const REDACTED_KEYS: ReadonlySet<string> = new Set([
  'name',
  'email',
  'outcome',
  'details',
  'accessCode',
  'pin',
  'password',
  'authorization',
]);

const MAX_DEPTH = 8;

/**
 * A deep copy of `value` with every {@link REDACTED_KEYS} value replaced by `"[redacted]"`.
 * @example redact({ recipient: { id: 'A-001', name: '山田' } }) // { recipient: { id: 'A-001', name: '[redacted]' } }
 */
export function redact(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[…]';
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    out[key] = REDACTED_KEYS.has(key) && v !== undefined ? '[redacted]' : redact(v, depth + 1);
  }
  return out;
}
