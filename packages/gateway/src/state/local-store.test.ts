import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalStore, STATE_FILE } from './local-store.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rg-state-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const WINDOW = 60_000;
const DURATION = 120_000;
const keys = [
  { key: 'u\0t\0alice', max: 3 },
  { key: 'a\0t\x0198.51.100.7', max: 5 },
];

describe('LocalStore', () => {
  it('locks each key at its own threshold within the window, and counts nothing more while locked', () => {
    const s = new LocalStore(undefined);
    expect(s.fail(keys, WINDOW, DURATION, 0).map((r) => r.until)).toEqual([0, 0]);
    s.fail(keys, WINDOW, DURATION, 1);
    expect(s.fail(keys, WINDOW, DURATION, 2)).toEqual([
      { key: keys[0]!.key, until: 2 + DURATION, started: true },
      { key: keys[1]!.key, until: 0, started: false },
    ]);
    expect(s.fail(keys, WINDOW, DURATION, 3)[0]).toEqual({
      key: keys[0]!.key,
      until: 2 + DURATION,
      started: false,
    });
    expect(s.fail(keys, WINDOW, DURATION, 4)[1]).toMatchObject({ started: true, until: 4 + DURATION });
    expect(s.lockedUntil(keys[0]!.key, DURATION + 1)).toBe(2 + DURATION);
    expect(s.lockedUntil(keys[0]!.key, DURATION + 2)).toBe(0);
  });

  it('forgets failures older than the window', () => {
    const s = new LocalStore(undefined);
    s.fail(keys, WINDOW, DURATION, 0);
    s.fail(keys, WINDOW, DURATION, 1);
    expect(s.fail(keys, WINDOW, DURATION, WINDOW + 1)[0]!.until).toBe(0);
  });

  it('keeps lockouts and revocations in its file across a reopen, in WAL mode', () => {
    const dir = tempDir();
    const a = new LocalStore(dir);
    for (let i = 0; i < 3; i++) a.fail(keys, WINDOW, DURATION, i);
    a.revoke('sid-1', 10_000);
    a.close();
    const b = new LocalStore(dir);
    expect(b.activeLocks(100)).toEqual([{ key: keys[0]!.key, until: 2 + DURATION }]);
    expect(b.activeRevocations(100)).toEqual([{ sid: 'sid-1', until: 10_000 }]);
    b.close();
    const raw = new DatabaseSync(join(dir, STATE_FILE));
    expect(raw.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
    raw.close();
  });

  it('unlocks a key and its failures; a success clears only that key', () => {
    const s = new LocalStore(undefined);
    for (let i = 0; i < 3; i++) s.fail(keys, WINDOW, DURATION, i);
    expect(s.unlock(keys[0]!.key, 10)).toBe(true);
    expect(s.unlock(keys[0]!.key, 10)).toBe(false);
    expect(s.lockedUntil(keys[0]!.key, 10)).toBe(0);
    s.clearFailures(keys[0]!.key);
    // The address kept its three failures: two more lock it.
    s.fail(keys, WINDOW, DURATION, 11);
    expect(s.fail(keys, WINDOW, DURATION, 12)[1]!.started).toBe(true);
  });

  it('sweeps expired rows', () => {
    const dir = tempDir();
    const s = new LocalStore(dir);
    for (let i = 0; i < 3; i++) s.fail(keys, WINDOW, DURATION, i);
    s.revoke('sid-old', 50);
    s.sweep(DURATION + WINDOW + 10);
    s.close();
    const raw = new DatabaseSync(join(dir, STATE_FILE));
    for (const table of ['failures', 'locks', 'revoked'])
      expect(raw.prepare(`SELECT count(*) AS n FROM ${table}`).get()).toEqual({ n: 0 });
    raw.close();
  });

  it('waits for another process holding the file, as serve --workers opens it in every worker at once', async () => {
    const dir = tempDir();
    // Another process's moment of exclusive lock (what switching a new file to WAL takes).
    const holder = new DatabaseSync(join(dir, STATE_FILE));
    holder.exec('BEGIN EXCLUSIVE; CREATE TABLE IF NOT EXISTS held (x); COMMIT; BEGIN EXCLUSIVE;');
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const store = pathToFileURL(fileURLToPath(new URL('./local-store.ts', import.meta.url))).href;
    const child = spawn(
      process.execPath,
      [
        '--conditions=source',
        '--import',
        tsx,
        '--input-type=module',
        '-e',
        `const { LocalStore } = await import(${JSON.stringify(store)}); new LocalStore(${JSON.stringify(dir)}); console.log('opened');`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d;
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d;
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await new Promise((r) => setTimeout(r, 1500));
      holder.exec('COMMIT');
      expect(await exited).toBe(0);
      expect(out).toContain('opened');
    } finally {
      child.kill();
      holder.close();
    }
  }, 30_000);
});
