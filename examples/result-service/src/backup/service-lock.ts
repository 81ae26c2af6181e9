/**
 * The running service's lock: `<db>.lock` holds its process id while it has the database open.
 * `restore FILE` refuses to replace a database that a live process holds — a restore under a
 * running service would be overwritten by its next write or leave it serving a deleted file.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** The live process holding the lock, or undefined (no lock, or a stale one). */
export function lockHolder(lockFile: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(lockFile, 'utf8').trim());
  } catch {
    return undefined;
  }
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else — still a live holder.
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? pid : undefined;
  }
}

/**
 * Takes the lock for this process (replacing a stale one).
 * @returns a release function
 * @throws Error when another live process holds it
 */
export function acquireLock(lockFile: string): () => void {
  const holder = lockHolder(lockFile);
  if (holder !== undefined && holder !== process.pid) {
    throw new Error(`${lockFile}: the database is in use by process ${holder}`);
  }
  mkdirSync(dirname(lockFile), { recursive: true });
  writeFileSync(lockFile, `${process.pid}\n`, { mode: 0o644 });
  return () => {
    if (lockHolder(lockFile) === process.pid) rmSync(lockFile, { force: true });
  };
}
