/**
 * Retention: log files whose whole day is older than `retentionDays` are deleted, at start and
 * then periodically. Before old audit files go, the anchor records where the kept chain starts,
 * so `logs verify` still catches a removal of the oldest kept lines.
 */
import { readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { listLogFiles, listTenantDirs, utcDay } from './files.js';
import { lastChainLine, parseChainLine, writeAnchorFile } from './head.js';

const DAY_MS = 86_400_000;

/** The oldest day kept: every line stays at least `retentionDays` days. */
export function retentionCutoff(now: number, retentionDays: number): string {
  return utcDay(now - retentionDays * DAY_MS);
}

async function firstChainLine(file: string): Promise<{ seq: number; prev: string } | undefined> {
  for (const line of (await readFile(file, 'utf8')).split('\n')) {
    const parsed = line ? parseChainLine(line) : undefined;
    if (parsed) return parsed;
  }
  return undefined;
}

/** Deletes one tenant directory's expired files; returns their names. */
async function sweepTenant(dir: string, cutoff: string): Promise<string[]> {
  const files = await listLogFiles(dir);
  const expired = files.filter((f) => f.day < cutoff);
  if (expired.length === 0) return [];
  const audit = files.filter((f) => f.kind === 'audit');
  const kept = audit.filter((f) => f.day >= cutoff);
  if (kept.length < audit.length) {
    // Where the chain will start once the old files are gone.
    const first = kept.length > 0 ? await firstChainLine(join(dir, kept[0]!.name)) : undefined;
    if (first) await writeAnchorFile(dir, { seq: first.seq, prev: first.prev });
    else if (kept.length === 0) {
      const last = await lastChainLine(dir);
      if (last) await writeAnchorFile(dir, { seq: last.seq + 1, prev: last.hash });
    }
  }
  for (const f of expired) await unlink(join(dir, f.name)).catch(() => {});
  return expired.map((f) => f.name);
}

/**
 * Deletes every tenant's files older than `retentionDays` under the logs root.
 * @returns the deleted files as `tenant/name`
 */
export async function sweepRetention(root: string, retentionDays: number, now: number): Promise<string[]> {
  const cutoff = retentionCutoff(now, retentionDays);
  const deleted: string[] = [];
  for (const tenant of await listTenantDirs(root)) {
    for (const name of await sweepTenant(join(root, tenant), cutoff)) deleted.push(`${tenant}/${name}`);
  }
  return deleted;
}
