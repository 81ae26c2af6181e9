import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileLockBusyError, LOCK_STALE_MS, withFileLock } from './file-lock.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rg-lock-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('withFileLock', () => {
  it('lets one holder in at a time, and leaves no lock behind', async () => {
    const lock = join(dir, 'x.lock');
    let inside = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 8 }, () =>
        withFileLock(
          lock,
          async () => {
            inside++;
            most = Math.max(most, inside);
            expect(await readFile(lock, 'utf8')).toBe(`${process.pid}\n`);
            await new Promise((r) => setTimeout(r, 5));
            inside--;
          },
          { waitMs: 5_000 },
        ),
      ),
    );
    expect(most).toBe(1);
    expect(await readdir(dir)).toEqual([]);
  });

  it('says who to look for when another process holds it past the wait, and runs nothing', async () => {
    const lock = join(dir, 'x.lock');
    await writeFile(lock, '4242\n');
    let ran = false;
    const attempt = withFileLock(
      lock,
      async () => {
        ran = true;
      },
      { waitMs: 50 },
    );
    await expect(attempt).rejects.toThrow(FileLockBusyError);
    await expect(attempt).rejects.toThrow(`${lock} is held by another process`);
    expect(ran).toBe(false);
    expect(await readFile(lock, 'utf8')).toBe('4242\n');
  });

  it("with whenBusy 'run', runs without it and leaves the other holder's lock alone", async () => {
    const lock = join(dir, 'x.lock');
    await writeFile(lock, '4242\n');
    expect(await withFileLock(lock, async () => 'done', { waitMs: 50, whenBusy: 'run' })).toBe('done');
    expect(await readFile(lock, 'utf8')).toBe('4242\n');
  });

  it('takes over a lock older than staleMs, and creates a missing directory', async () => {
    const lock = join(dir, 'x.lock');
    await writeFile(lock, '4242\n');
    const old = (Date.now() - LOCK_STALE_MS - 1000) / 1000;
    await utimes(lock, old, old);
    expect(await withFileLock(lock, async () => 1, { waitMs: 50 })).toBe(1);
    const nested = join(dir, 'tenant', 'audit.lock');
    expect(await withFileLock(nested, async () => 2, { waitMs: 50 })).toBe(2);
    expect(await readdir(join(dir, 'tenant'))).toEqual([]);
  });

  it("when no lock can be made: with 'run' the work goes ahead, else the error says why", async () => {
    const file = join(dir, 'not-a-dir');
    await writeFile(file, '');
    const lock = join(file, 'x.lock');
    expect(await withFileLock(lock, async () => 'done', { waitMs: 50, whenBusy: 'run' })).toBe('done');
    await expect(withFileLock(lock, async () => 'done', { waitMs: 50 })).rejects.toThrow(/ENOTDIR|EEXIST/);
  });

  it('a stale lock that cannot be removed (a directory in its place): run goes ahead, else the error says why', async () => {
    const lock = join(dir, 'x.lock');
    await mkdir(lock);
    await writeFile(join(lock, 'inside'), '');
    const old = (Date.now() - LOCK_STALE_MS - 1000) / 1000;
    await utimes(lock, old, old);
    expect(await withFileLock(lock, async () => 'done', { waitMs: 50, whenBusy: 'run' })).toBe('done');
    await expect(withFileLock(lock, async () => 'done', { waitMs: 50 })).rejects.toThrow(/directory|EISDIR/i);
  });

  it("returns the work's result even when its own lock can no longer be removed", async () => {
    const lock = join(dir, 'x.lock');
    const result = await withFileLock(
      lock,
      async () => {
        // Something replaced the lock meanwhile with what a plain removal cannot remove.
        await rm(lock);
        await mkdir(lock);
        await writeFile(join(lock, 'inside'), '');
        return 'written';
      },
      { waitMs: 50, whenBusy: 'run' },
    );
    expect(result).toBe('written');
  });
});
