import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LRUCache } from 'lru-cache';
import { describe, expect, it } from 'vitest';
import { capped, SecurityState, stateDir } from './index.js';

const key = 'u\0t\0alice';
const fail = (s: SecurityState, now: number) => s.fail([{ key, max: 2 }], 60_000, 120_000, now);

describe('the in-memory mirrors', () => {
  it('hold at most their cap, dropping the least recently used, and reserve nothing up front', () => {
    const cache = new LRUCache<string, number>(capped(3));
    for (let i = 0; i < 5; i++) cache.set(`k${i}`, i);
    expect(cache.size).toBe(3);
    expect([...cache.keys()]).toEqual(['k4', 'k3', 'k2']);
    // `max` would make lru-cache allocate its arrays for the whole cap at once (20 MB for 500,000).
    expect(capped(500_000)).not.toHaveProperty('max');
  });
});

describe('SecurityState', () => {
  it('answers the hot path from memory and keeps lockouts and logouts across a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rg-state-'));
    try {
      const a = new SecurityState({ dir, now: () => 1000 });
      expect(a.lockedUntil(key, 1000)).toBe(0);
      await fail(a, 1000);
      const [r] = await fail(a, 1001);
      expect(r).toMatchObject({ started: true, until: 121_001 });
      expect(a.lockedUntil(key, 2000)).toBe(121_001);
      await a.revoke('sid-1', 50_000);
      expect(a.isRevoked('sid-1', 2000)).toBe(true);
      await a.close();

      const b = new SecurityState({ dir, now: () => 3000 });
      expect(b.lockedUntil(key, 3000)).toBe(121_001);
      expect(b.isRevoked('sid-1', 3000)).toBe(true);
      expect(b.isRevoked('sid-1', 50_001)).toBe(false);
      // Another process (users unlock) ends the lockout in the file: the mirror follows at once.
      const cli = new SecurityState({ dir, now: () => 3000 });
      expect(await cli.unlock(key)).toBe(true);
      await cli.close();
      expect(b.lockedUntil(key, 3001)).toBe(0);
      await b.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('passes every change to its peers (cluster workers) and applies theirs', async () => {
    const a = new SecurityState();
    const b = new SecurityState();
    a.peers = (e) => b.apply(e);
    await fail(a, Date.now());
    await fail(a, Date.now());
    expect(b.lockedUntil(key, Date.now())).toBeGreaterThan(Date.now());
    await a.revoke('sid-2', Date.now() + 60_000);
    expect(b.isRevoked('sid-2', Date.now())).toBe(true);
    await a.unlock(key);
    expect(b.lockedUntil(key, Date.now())).toBe(0);
    await a.close();
    await b.close();
  });

  it('serves on the local store and says so when Redis is unreachable from the start', async () => {
    const lines: string[] = [];
    const s = new SecurityState({ redis: { url: 'redis://127.0.0.1:1' }, warn: (l) => lines.push(l) });
    try {
      const deadline = Date.now() + 5000;
      while (lines.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(lines[0]).toMatch(/shared state \(Redis\) unreachable .*serving on the local store/);
      expect(s.shared).toBe(false);
      await fail(s, Date.now());
      await fail(s, Date.now());
      expect(s.lockedUntil(key, Date.now())).toBeGreaterThan(Date.now());
      expect(await s.lockedUntilFresh([key], Date.now())).toBeGreaterThan(Date.now());
    } finally {
      await s.close();
    }
  });

  it('keeps the state directory beside the logs unless sharedState.dir says otherwise', () => {
    expect(stateDir({ logs: { dir: '/srv/rg/log' } } as never)).toBe('/srv/rg/state');
    expect(stateDir({ logs: { dir: '/srv/rg/log' }, sharedState: { dir: '/var/lib/rg' } } as never)).toBe(
      '/var/lib/rg',
    );
  });
});
