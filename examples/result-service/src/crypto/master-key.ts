/**
 * The master key: 32 random bytes that wrap every tenant key (keyring.ts). It never enters the
 * database or a backup. It comes from an environment variable (base64url, e.g. injected by a secret
 * manager) or a file (created with a fresh key on first use when allowed, as the demo does).
 */
import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** Where the master key comes from. */
export interface MasterKeySource {
  /** The key itself (32 bytes, or base64url of them). Wins over `file`. */
  key?: Uint8Array | string | undefined;
  /** A file holding the key as base64url on its first non-comment line. */
  file?: string | undefined;
  /** Create `file` with a fresh key when it is missing. @default false */
  create?: boolean | undefined;
}

/** Parses a 32-byte key given as bytes or base64url text. @throws Error on any other length */
export function parseKey(key: Uint8Array | string, where: string): Buffer {
  const bytes = typeof key === 'string' ? Buffer.from(key.trim(), 'base64url') : Buffer.from(key);
  if (bytes.length !== 32) {
    throw new Error(
      `${where}: a master key is 32 bytes (base64url, 43 characters); got ${bytes.length} bytes`,
    );
  }
  return bytes;
}

/** Writes a new random key to `file` (mode 0600, never over an existing file). */
export function createKeyFile(file: string): Buffer {
  const key = randomBytes(32);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(
    file,
    `# resultgate result-service master key: keep it out of backups\n${key.toString('base64url')}\n`,
    {
      mode: 0o600,
      flag: 'wx',
    },
  );
  return key;
}

/** Reads a key file: the first line that is neither empty nor a comment. */
export function readKeyFile(file: string): Buffer {
  const line = readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l !== '' && !l.startsWith('#'));
  if (!line) throw new Error(`${file}: no key in the file`);
  return parseKey(line, file);
}

/**
 * Loads the master key.
 * @throws Error when neither source is given, the file is missing (and `create` is off) or the key is not 32 bytes
 * @example const master = loadMasterKey({ file: 'var/master.key', create: true })
 */
export function loadMasterKey(source: MasterKeySource): Buffer {
  if (source.key !== undefined) return parseKey(source.key, 'master key');
  if (!source.file) throw new Error('no master key: set RESULTS_MASTER_KEY or RESULTS_MASTER_KEY_FILE');
  if (!existsSync(source.file)) {
    if (!source.create) throw new Error(`${source.file}: no master key file`);
    return createKeyFile(source.file);
  }
  return readKeyFile(source.file);
}

/** A short public fingerprint of a master key (recorded in the keyring to catch a wrong key). */
export function masterKeyId(key: Buffer): string {
  return createHmac('sha256', key).update('resultgate master key id').digest('hex').slice(0, 16);
}
