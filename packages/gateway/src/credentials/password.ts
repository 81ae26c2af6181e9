/**
 * Password hashes: `scrypt$N$r$p$salt$hash` (node:crypto scrypt, base64), and the password policy.
 * Verification runs scrypt on libuv's thread pool (the async form), never on the event loop.
 */
import { randomBytes, type ScryptOptions, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { legacyHashKind, verifyLegacyHash } from './legacy-hash.js';

/** scrypt parameters of new hashes: N=2^15, r=8, p=1 (OWASP's minimum, ~50 ms, 32 MiB). */
export const DEFAULT_SCRYPT = { N: 32768, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;

function scrypt(password: string, salt: Buffer, keylen: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCb(password.normalize('NFC'), salt, keylen, options, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

/** Counts scrypt runs, so a test can prove a warm credential cache runs none. */
export const scryptRuns = { count: 0 };

function maxmem(N: number, r: number): number {
  return 128 * N * r * 2;
}

/**
 * Hashes a password for the policy file.
 * @param password the plain password (normalised to NFC)
 * @param params scrypt cost parameters (default {@link DEFAULT_SCRYPT})
 * @returns `scrypt$N$r$p$salt$hash`
 * @example users.admin.passwordHash = await hashPassword('correct horse battery staple')
 */
export async function hashPassword(
  password: string,
  params: { N: number; r: number; p: number } = DEFAULT_SCRYPT,
) {
  const salt = randomBytes(16);
  const { N, r, p } = params;
  const key = await scrypt(password, salt, KEY_LENGTH, { N, r, p, maxmem: maxmem(N, r) });
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** A parsed hash; `null` when the text is not a usable scrypt hash. */
export function parseHash(
  hash: string,
): { N: number; r: number; p: number; salt: Buffer; key: Buffer } | null {
  const parts = hash.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return null;
  const [N, r, p] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  const salt = Buffer.from(parts[4]!, 'base64');
  const key = Buffer.from(parts[5]!, 'base64');
  const powerOfTwo = N > 1 && (N & (N - 1)) === 0;
  if (!powerOfTwo || !(r > 0) || !(p > 0) || key.length < 16 || salt.length < 8) return null;
  return { N, r, p, salt, key };
}

/**
 * Checks a password against a hash in constant time: scrypt, or a bcrypt or `$apr1$` hash
 * imported from htpasswd (credentials/legacy-hash.ts).
 * @returns true when the password matches; false for a wrong password or an unusable hash
 */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  if (legacyHashKind(hash)) {
    // An htpasswd hash (until the sign-in that upgrades it). $apr1$ costs well under a
    // millisecond: the dummy scrypt runs alongside, so such a user is not told apart from an
    // unknown one by timing.
    const [matches] = await Promise.all([
      verifyLegacyHash(password, hash),
      verifyScrypt(password, await DUMMY_HASH_PROMISE),
    ]);
    return matches;
  }
  return verifyScrypt(password, hash);
}

async function verifyScrypt(password: string, hash: string): Promise<boolean> {
  const parsed = parseHash(hash);
  if (!parsed) return false;
  const { N, r, p, salt, key } = parsed;
  scryptRuns.count++;
  const derived = await scrypt(password, salt, key.length, { N, r, p, maxmem: maxmem(N, r) });
  return timingSafeEqual(derived, key);
}

// Dummy hashes by cost: verified against when the user is unknown, so an unknown user costs the
// same scrypt as a known user with a wrong password.
const dummyHashes = new Map<string, Promise<string>>();

/**
 * A hash of a random password with the given cost, made once per cost per process: verifying an
 * unknown user against it costs what verifying a known user's hash of that cost costs.
 * @param params scrypt cost (default {@link DEFAULT_SCRYPT})
 */
export function dummyHash(params: { N: number; r: number; p: number } = DEFAULT_SCRYPT): Promise<string> {
  const key = `${params.N}$${params.r}$${params.p}`;
  let hash = dummyHashes.get(key);
  if (!hash) {
    hash = hashPassword(randomBytes(24).toString('base64'), params);
    hash.catch(() => {}); // awaited where used; never an unhandled rejection at load
    dummyHashes.set(key, hash);
  }
  return hash;
}

/**
 * A dummy hash with the cost most of `hashes` use (a tenant's users), so "unknown user" and
 * "known user, wrong password" take the same time (no user enumeration by timing).
 * @param hashes password hashes; unusable ones are ignored; none gives {@link DEFAULT_SCRYPT}
 */
export function dummyHashLike(hashes: Iterable<string>): Promise<string> {
  const counts = new Map<string, { N: number; r: number; p: number; n: number }>();
  for (const hash of hashes) {
    const parsed = parseHash(hash);
    if (!parsed) continue;
    const key = `${parsed.N}$${parsed.r}$${parsed.p}`;
    const entry = counts.get(key) ?? { N: parsed.N, r: parsed.r, p: parsed.p, n: 0 };
    entry.n++;
    counts.set(key, entry);
  }
  let best: { N: number; r: number; p: number; n: number } | undefined;
  for (const entry of counts.values()) if (!best || entry.n > best.n) best = entry;
  return dummyHash(best ?? DEFAULT_SCRYPT);
}

/** The dummy hash of the default cost (see {@link dummyHash}). */
export const DUMMY_HASH_PROMISE: Promise<string> = dummyHash(DEFAULT_SCRYPT);

/** The character classes counted by `passwordPolicy.minClasses`. */
const CLASSES = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^a-zA-Z0-9]/];

/**
 * Checks a new password against a tenant's password policy.
 * @returns the reasons it breaks the policy (empty when it complies)
 */
export function passwordProblems(
  password: string,
  policy: { minLength: number; minClasses: number },
): string[] {
  const problems: string[] = [];
  const length = [...password.normalize('NFC')].length;
  if (length < policy.minLength) problems.push(`shorter than ${policy.minLength} characters`);
  const classes = CLASSES.filter((re) => re.test(password)).length;
  if (classes < policy.minClasses) {
    problems.push(
      `uses ${classes} of the ${policy.minClasses} required character classes (lower, upper, digit, symbol)`,
    );
  }
  return problems;
}
