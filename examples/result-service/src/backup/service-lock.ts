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
 * Takes the lock for this process. It does not refuse to start when the file names another live
 * process: after a crash and a reboot that process id may belong to anything, and a service that
 * will not start is worse than two that share a database (which SQLite allows).
 * @returns a release function
 */
export function acquireLock(lockFile: string): () => void {
  mkdirSync(dirname(lockFile), { recursive: true });
  writeFileSync(lockFile, `${process.pid}\n`, { mode: 0o644 });
  return () => {
    if (lockHolder(lockFile) === process.pid) rmSync(lockFile, { force: true });
  };
}
