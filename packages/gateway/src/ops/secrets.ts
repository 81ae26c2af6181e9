/**
 * Key files (`identity.secretFile`, `sessions.secretFile`): one key a line, newest first, each a
 * random string whose UTF-8 bytes are the key. A missing file is created with one fresh 256-bit key
 * and mode 0600, so a first start needs no manual step; an existing file is never rewritten.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** A fresh key line: 32 random bytes, base64url. */
export function newKeyLine(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Reads a key file, creating it (0600, parent directories too) when it does not exist.
 * @param file path of the key file
 * @returns the keys, newest first (at least one)
 * @throws {Error} when the file exists but holds no key, or cannot be read or created
 * @example const [identitySecret] = await readKeyFile('var/identity.key')
 */
export async function readKeyFile(file: string): Promise<Uint8Array[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    await mkdir(dirname(file), { recursive: true });
    text = `${newKeyLine()}\n`;
    // 'wx': never overwrite a key another process created meanwhile.
    await writeFile(file, text, { mode: 0o600, flag: 'wx' }).catch(async (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EEXIST') throw e;
      text = await readFile(file, 'utf8');
    });
  }
  const keys = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => new TextEncoder().encode(l));
  if (keys.length === 0) throw new Error(`${file}: no key in the file`);
  for (const k of keys) if (k.length < 16) throw new Error(`${file}: a key is shorter than 16 bytes`);
  return keys;
}
