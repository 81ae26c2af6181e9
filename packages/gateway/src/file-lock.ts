/**
 * A lock file: `open(…, 'wx')` (`O_EXCL`) succeeds for one process at a time, on any local or NFS
 * file system, so two processes — gateway workers, replicas sharing a volume, a CLI command — take
 * turns at a file they both write (a tenant's audit chain, the policy file). A lock older than
 * `staleMs` was left by a process that died (the work it guards takes milliseconds) and is taken
 * over.
 *
 * Not proper-lockfile: its locks are directories kept fresh by a timer for long holds, and its last
 * release is from 2021; what is locked here is held for milliseconds.
 */
import { mkdir, open, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';

/** A lock this old was left by a holder that died (the default of `staleMs`). */
export const LOCK_STALE_MS = 30_000;

/** Options of {@link withFileLock}. */
export interface FileLockOptions {
  /** How long to wait for another holder. */
  waitMs: number;
  /** A lock this old was left by a holder that died. @default 30_000 */
  staleMs?: number;
  /**
   * After `waitMs`, or when the lock file cannot be made at all: `throw` (a {@link FileLockBusyError}
   * when busy; the default), or `run` without the lock — for work that must not be lost (an audit
   * line), at the cost of the order it protects.
   */
  whenBusy?: 'throw' | 'run';
  /** The lock file's mode; its directory is created (0750) if missing. @default 0o600 */
  mode?: number;
}

/** Another process held the lock for longer than `waitMs`. */
export class FileLockBusyError extends Error {
  override name = 'FileLockBusyError';
}

/**
 * Runs `fn` holding the lock file `lock` (it holds this process's pid, for whoever finds it).
 * @throws FileLockBusyError when it is held elsewhere past `waitMs` (with `whenBusy: 'throw'`)
 * @example await withFileLock(`${file}.lock`, () => rewrite(file), { waitMs: 10_000 })
 */
export async function withFileLock<T>(lock: string, fn: () => Promise<T>, o: FileLockOptions): Promise<T> {
  const staleMs = o.staleMs ?? LOCK_STALE_MS;
  const deadline = Date.now() + o.waitMs;
  let held = false;
  while (!held) {
    try {
      const handle = await open(lock, 'wx', o.mode ?? 0o600);
      held = true; // ours from here, even if the pid cannot be written (a full disk)
      await handle
        .writeFile(`${process.pid}\n`)
        .catch(() => {})
        .finally(() => handle.close().catch(() => {}));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // A lock that cannot be made at all (no directory that can be made, no permission): the work
      // that must not be lost goes ahead without it; any other says why.
      const cannot = (reason: unknown) => {
        if (o.whenBusy !== 'run') throw reason;
      };
      /** `true` when `step` worked; otherwise as a lock that cannot be made, and `false`. */
      const tried = (step: Promise<unknown>) =>
        step.then(
          () => true,
          (reason: unknown) => {
            cannot(reason);
            return false;
          },
        );
      if (code === 'ENOENT') {
        // The directory is made once; one that keeps vanishing (a tenant purged meanwhile) is given
        // up on at the deadline like a busy lock.
        if (Date.now() > deadline) {
          cannot(err);
          break;
        }
        if (await tried(mkdir(dirname(lock), { recursive: true, mode: 0o750 }))) continue;
        break;
      }
      if (code !== 'EEXIST') {
        cannot(err);
        break;
      }
      const age = await stat(lock).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
      // Two waiters that both find it stale may both remove it, and the second may remove the lock
      // the first just took: only after a holder died, and each caller keeps its own check.
      if (age > staleMs) {
        // Not removable (no permission, a directory in its place): as a lock that cannot be made.
        if (await tried(rm(lock, { force: true }))) continue;
        break;
      }
      if (Date.now() > deadline) {
        if (o.whenBusy === 'run') break;
        throw new FileLockBusyError(
          `${lock} is held by another process (pid in the file); if none is running, it is taken over ` +
            `${Math.round(staleMs / 1000)} s after it was made, or remove it`,
        );
      }
      await new Promise((r) => setTimeout(r, 5 + Math.random() * 20));
    }
  }
  try {
    return await fn();
  } finally {
    // The work is done either way: a lock that cannot be removed must not turn its result into an
    // error (an audit line written, then reported lost). It is taken over once stale.
    if (held) await rm(lock, { force: true }).catch(() => {});
  }
}
