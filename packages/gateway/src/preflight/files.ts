/**
 * The files a policy names, checked as `serve` will use them: the certificate and key readable,
 * the secret files readable (or creatable: `serve` makes a missing one), the log directory
 * writable (or creatable). Relative paths are resolved from the working directory, as `serve`
 * resolves them.
 */
import { constants } from 'node:fs';
import { access, readFile, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Policy } from '../policy/schema.js';
import type { Findings } from './findings.js';

const errno = (err: unknown) => (err as NodeJS.ErrnoException).code ?? String(err);

/** The nearest existing ancestor of `path` (itself included), or `undefined`. */
async function existingAncestor(path: string): Promise<string | undefined> {
  let dir = path;
  for (;;) {
    if (
      await stat(dir).then(
        () => true,
        () => false,
      )
    )
      return dir;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** True when a file or directory could be created at `path` (its nearest existing ancestor is a writable directory). */
async function creatable(path: string): Promise<string | undefined> {
  const ancestor = await existingAncestor(dirname(path));
  if (!ancestor) return 'no existing parent directory';
  const s = await stat(ancestor);
  if (!s.isDirectory()) return `${ancestor} is not a directory`;
  return access(ancestor, constants.W_OK | constants.X_OK).then(
    () => undefined,
    () => `${ancestor} is not writable`,
  );
}

/**
 * Reads a file the gateway needs; an error finding (naming the path and the reason) when it is
 * missing or unreadable. @returns its bytes, or `undefined`
 */
export async function readNeeded(
  file: string,
  path: string,
  cwd: string,
  out: Findings,
): Promise<Buffer | undefined> {
  const full = resolve(cwd, file);
  try {
    const s = await stat(full);
    if (!s.isFile()) {
      out.error(path, `"${file}" is not a file`);
      return undefined;
    }
    return await readFile(full);
  } catch (err) {
    const code = errno(err);
    const why =
      code === 'ENOENT'
        ? 'does not exist'
        : code === 'EACCES'
          ? 'cannot be read (permission denied)'
          : `cannot be read (${code})`;
    out.error(path, `"${file}" ${why}${full !== file ? ` (${full})` : ''}`);
    return undefined;
  }
}

/** A key file: readable with at least one key of 16+ bytes, or absent where `serve` can create it. */
async function checkKeyFile(
  file: string,
  path: string,
  cwd: string,
  what: string,
  out: Findings,
): Promise<void> {
  const full = resolve(cwd, file);
  const missing = (err: unknown) => errno(err) === 'ENOENT' || errno(err) === 'ENOTDIR';
  const exists = await stat(full).then(
    () => true,
    (err) => !missing(err),
  );
  if (!exists) {
    const blocked = await creatable(full);
    if (blocked) out.error(path, `"${file}" does not exist and cannot be created (${blocked})`);
    else
      out.warn(path, `"${file}" does not exist; serve will create it with a fresh random key (0600)${what}`);
    return;
  }
  const bytes = await readNeeded(file, path, cwd, out);
  if (!bytes) return;
  const keys = bytes
    .toString('utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  if (keys.length === 0) out.error(path, `"${file}" holds no key (one key a line, newest first)`);
  else if (keys.some((k) => Buffer.byteLength(k) < 16))
    out.error(path, `"${file}" has a key shorter than 16 bytes`);
}

/** Adds the findings about every file and directory the policy names to `out`. */
export async function checkFiles(policy: Policy, cwd: string, out: Findings): Promise<void> {
  await checkKeyFile(
    policy.sessions.secretFile,
    'sessions.secretFile',
    cwd,
    ': every session signed by another gateway instance or an earlier key ends',
    out,
  );
  await checkKeyFile(
    policy.identity.secretFile,
    'identity.secretFile',
    cwd,
    '; the upstream must verify X-Gateway-Signature with this same file',
    out,
  );
  const dir = policy.logs.dir;
  const full = resolve(cwd, dir);
  const s = await stat(full).catch((err) => errno(err));
  if (typeof s === 'string') {
    if (s !== 'ENOENT') out.error('logs.dir', `"${dir}" cannot be read (${s})`);
    else {
      const blocked = await creatable(full);
      if (blocked) out.error('logs.dir', `"${dir}" does not exist and cannot be created (${blocked})`);
    }
  } else if (!s.isDirectory()) out.error('logs.dir', `"${dir}" is not a directory`);
  else {
    await access(full, constants.W_OK | constants.X_OK).catch(() =>
      out.error('logs.dir', `"${dir}" is not writable: access and audit lines would be lost`),
    );
  }
}
