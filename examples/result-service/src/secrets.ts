/**
 * Access codes, PINs and the keys that protect them. A PIN is stored only as an HMAC keyed with a
 * server secret that lives outside the database, so a copied database file alone cannot be
 * brute-forced offline (six digits would fall in a second to a plain hash).
 */
import { createHash, createHmac, hkdfSync, randomInt, randomUUID, timingSafeEqual } from 'node:crypto';

// No 0/O, 1/I/L: the code is typed from a printed letter.
const CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';

/** The keys the service derives from its secret. */
export interface ServiceKeys {
  pin: Buffer;
  idempotency: Buffer;
  /** Signs the recipient's short-lived view token (pages/view-token.ts). */
  view: Buffer;
  /** Signs the admin pages' CSRF tokens (pages/csrf.ts). */
  csrf: Buffer;
}

/**
 * Derives the PIN and idempotency keys (HKDF-SHA256) from a secret.
 * @param secret `pinKey` if configured, else the identity secret
 */
export function deriveKeys(secret: string | Uint8Array): ServiceKeys {
  const ikm = typeof secret === 'string' ? Buffer.from(secret) : secret;
  const derive = (info: string) =>
    Buffer.from(hkdfSync('sha256', ikm, 'resultgate-result-service', info, 32));
  return {
    pin: derive('pin'),
    idempotency: derive('idempotency'),
    view: derive('view-token'),
    csrf: derive('admin-csrf'),
  };
}

/** A new result id (`res_` + UUID without dashes). */
export function newResultId(): string {
  return `res_${randomUUID().replaceAll('-', '')}`;
}

/** A new access code, `XXXX-XXXX-XXXX` (about 59 bits). */
export function newAccessCode(): string {
  let raw = '';
  for (let i = 0; i < 12; i++) raw += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  return `${raw.slice(0, 4)}-${raw.slice(4, 8)}-${raw.slice(8)}`;
}

/** Canonical form of a typed access code: upper case, spaces dropped, dashes re-inserted. */
export function normaliseAccessCode(input: string): string {
  const raw = input.toUpperCase().replace(/[\s-]/g, '');
  if (raw.length !== 12) return raw.slice(0, 40);
  return `${raw.slice(0, 4)}-${raw.slice(4, 8)}-${raw.slice(8)}`;
}

/** A new six-digit PIN. */
export function newPin(): string {
  return String(randomInt(1_000_000)).padStart(6, '0');
}

/** The stored form of a PIN: HMAC over the result id and the PIN. */
export function hashPin(key: Buffer, resultId: string, pin: string): string {
  return createHmac('sha256', key).update(`${resultId}\n${pin}`).digest('base64url');
}

/** Constant-time check of a typed PIN against its stored hash. */
export function verifyPin(key: Buffer, resultId: string, pin: string, stored: string): boolean {
  const a = Buffer.from(hashPin(key, resultId, pin.trim()));
  const b = Buffer.from(stored);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** SHA-256 hex of a string (request fingerprints). */
export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
