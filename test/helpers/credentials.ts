/** Credentials for end-to-end policies: password hashes cheap enough for tests, Basic headers. */
import { randomBytes, scryptSync } from 'node:crypto';

/**
 * A scrypt hash in the policy's `scrypt$N$r$p$salt$hash` format at N=1024 (the gateway's own
 * hashes use more): a test policy with a dozen users loads in milliseconds. Never for real users.
 * @example users: { admin: { passwordHash: cheapHash('Admin-Password-1'), roles: ['admin'] } }
 */
export function cheapHash(password: string): string {
  const salt = randomBytes(16);
  const key = scryptSync(password.normalize('NFC'), salt, 32, { N: 1024, r: 8, p: 1 });
  return `scrypt$1024$8$1$${salt.toString('base64')}$${key.toString('base64')}`;
}

/**
 * The `Authorization` header value of Basic credentials (UTF-8, as the gateway reads them).
 * @example headers: { authorization: basic('hr-sync', PASSWORD) }
 */
export function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
}
