/**
 * Password hashes imported from an Apache/nginx `htpasswd` file: bcrypt (`$2y$`, `$2b$`, `$2a$`,
 * through bcryptjs) and Apache's MD5-crypt (`$apr1$`). They are accepted only so that users keep
 * their password across the move to the gateway: the first successful sign-in replaces the hash
 * with scrypt, and `resultgate check` lists the users who still carry one.
 *
 * Neither is on the warm path: the credential cache answers a repeated Basic-auth header before
 * any hash is looked at, as it does for scrypt. bcrypt is checked in a worker thread
 * (bcrypt-worker.ts); `$apr1$` costs well under a millisecond and stays here.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { bcryptWorker } from './bcrypt-worker.js';

/** The legacy formats the gateway verifies. */
export type LegacyHashKind = 'bcrypt' | 'apr1';

/** bcrypt as htpasswd -B writes it (`$2y$`), and as other tools do (`$2a$`, `$2b$`). */
export const BCRYPT_HASH = /^\$2[aby]\$(0[4-9]|[12]\d|3[01])\$[./A-Za-z0-9]{53}$/;
/** Apache MD5-crypt: `$apr1$` + up to 8 salt characters + `$` + 22 characters. */
export const APR1_HASH = /^\$apr1\$[./A-Za-z0-9]{1,8}\$[./A-Za-z0-9]{22}$/;

/** The legacy format of `hash`, or `undefined` (scrypt, or not a hash the gateway knows). */
export function legacyHashKind(hash: string): LegacyHashKind | undefined {
  if (BCRYPT_HASH.test(hash)) return 'bcrypt';
  if (APR1_HASH.test(hash)) return 'apr1';
  return undefined;
}

const ITOA64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** crypt(3)'s base-64 of `count` characters from a 24-bit value, least significant first. */
function to64(value: number, count: number): string {
  let out = '';
  for (let i = 0; i < count; i++) {
    out += ITOA64[value & 0x3f];
    value >>>= 6;
  }
  return out;
}

const md5 = (...parts: Buffer[]) => createHash('md5').update(Buffer.concat(parts)).digest();

/**
 * Apache's MD5-crypt (apr_md5.c, the FreeBSD `$1$` algorithm with the magic `$apr1$`), on the
 * password's UTF-8 bytes as htpasswd reads them from a UTF-8 terminal. Written over bytes, not
 * JavaScript strings: the npm implementations count UTF-16 units and encode as latin1, so a
 * password with "ä" or "パ" never matched the file htpasswd wrote.
 * @param password the password
 * @param salt the salt (at most 8 characters are used)
 * @returns `$apr1$salt$hash`
 * @example apr1('secret', '12345678') // '$apr1$12345678$0lqb/6VUFP8JY/s/jTrIk0'
 */
export function apr1(password: string, salt: string): string {
  const magic = Buffer.from('$apr1$');
  const pw = Buffer.from(password, 'utf8');
  const s = Buffer.from(salt.slice(0, 8), 'utf8');
  let alt = md5(pw, s, pw);
  const ctx: Buffer[] = [pw, magic, s];
  for (let left = pw.length; left > 0; left -= 16) ctx.push(alt.subarray(0, Math.min(16, left)));
  for (let i = pw.length; i > 0; i >>>= 1) ctx.push(i & 1 ? Buffer.from([0]) : pw.subarray(0, 1));
  let final = md5(...ctx);
  for (let i = 0; i < 1000; i++) {
    const round: Buffer[] = [];
    round.push(i & 1 ? pw : final);
    if (i % 3) round.push(s);
    if (i % 7) round.push(pw);
    round.push(i & 1 ? final : pw);
    final = md5(...round);
  }
  alt = final;
  const b = (i: number) => alt[i]!;
  const hash =
    to64((b(0) << 16) | (b(6) << 8) | b(12), 4) +
    to64((b(1) << 16) | (b(7) << 8) | b(13), 4) +
    to64((b(2) << 16) | (b(8) << 8) | b(14), 4) +
    to64((b(3) << 16) | (b(9) << 8) | b(15), 4) +
    to64((b(4) << 16) | (b(10) << 8) | b(5), 4) +
    to64(b(11), 2);
  return `$apr1$${salt.slice(0, 8)}$${hash}`;
}

/** Counts legacy verifications, so a test can prove a warm credential cache runs none. */
export const legacyRuns = { count: 0 };

/**
 * Checks a password against a bcrypt or `$apr1$` hash (constant-time comparison for apr1; bcryptjs
 * compares its own way). False for any other text.
 */
export async function verifyLegacyHash(password: string, hash: string): Promise<boolean> {
  const kind = legacyHashKind(hash);
  if (kind) legacyRuns.count++;
  if (kind === 'bcrypt') {
    // bcryptjs reads the password as UTF-8, as htpasswd -B does; in a worker thread, as it would
    // otherwise hold the event loop for the whole check.
    return bcryptWorker.compare(password, hash);
  }
  if (kind === 'apr1') {
    const salt = hash.split('$')[2]!;
    const expected = Buffer.from(hash);
    const actual = Buffer.from(apr1(password, salt));
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  }
  return false;
}
