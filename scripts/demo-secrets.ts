/**
 * `npm run demo:secrets [-- DIR]`: the files the container demo mounts next to its policy
 * (deploy/demo by default, git-ignored): a development certificate for `*.localhost` in
 * `tls/cert.pem` + `tls/key.pem`, and the session and identity keys in `keys/`. Existing files
 * are kept. Demo only — never production keys.
 *
 * The containers run as uid 1000 (the images' `node` user), which must read these files: run as
 * root, the files are given to uid 1000 (mode 0600); run as another user, they are made readable
 * by all (0644), which is fine for a throwaway demo and nothing else.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, realpathSync } from 'node:fs';
import { chmod, chown, mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { devCertificate } from './dev-cert.js';

/** The container user (node:24-slim's `node`). */
const CONTAINER_UID = 1000;

async function put(file: string, content: () => string | Promise<string>): Promise<boolean> {
  if (existsSync(file)) return false;
  await writeFile(file, await content(), { flag: 'wx', mode: 0o600 });
  if (process.getuid?.() === 0) await chown(file, CONTAINER_UID, CONTAINER_UID);
  else if (process.getuid?.() !== CONTAINER_UID) await chmod(file, 0o644);
  return true;
}

/**
 * Writes what is missing under `dir`; returns the files written.
 * @example await demoSecrets('deploy/demo')
 */
export async function demoSecrets(dir: string): Promise<string[]> {
  const written: string[] = [];
  for (const sub of ['tls', 'keys']) {
    await mkdir(join(dir, sub), { recursive: true });
    await chmod(join(dir, sub), 0o755);
  }
  const [certFile, keyFile] = [join(dir, 'tls', 'cert.pem'), join(dir, 'tls', 'key.pem')];
  if (existsSync(certFile) !== existsSync(keyFile)) {
    throw new Error(`${dir}/tls: cert.pem and key.pem go together; remove the one left and run again`);
  }
  if (!existsSync(certFile)) {
    const { cert, key } = await devCertificate();
    await put(keyFile, () => key);
    await put(certFile, () => cert);
    written.push('tls/cert.pem', 'tls/key.pem');
  }
  for (const name of ['session.key', 'identity.key']) {
    // The gateway's key-file format: one key a line; 32 random bytes as base64url.
    if (await put(join(dir, 'keys', name), () => `${randomBytes(32).toString('base64url')}\n`)) {
      written.push(`keys/${name}`);
    }
  }
  return written;
}

if (process.argv[1] && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url))) {
  const dir = resolve(process.argv[2] ?? 'deploy/demo');
  const written = await demoSecrets(dir);
  console.log(written.length ? `wrote in ${dir}: ${written.join(', ')}` : `${dir}: all files already there`);
}
