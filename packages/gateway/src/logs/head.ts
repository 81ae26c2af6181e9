/**
 * The files beside a tenant's audit chain that make a cut visible:
 * - `audit-head.json`: the last `seq` and `hash` written, rewritten after every batch, so
 *   removing the newest lines (or the newest file) no longer matches the head;
 * - `audit-anchor.json`: written by retention before it deletes old audit files — the `seq` and
 *   `prev` the oldest kept line must have, so removing the oldest lines shows too.
 * Threat model: these detect tampering by someone who edits lines; someone who can rewrite the
 * whole chain AND these files can forge a consistent history (the hashes have no key). Ship the
 * head to another system (the access log's stdout copy, a SIEM) for stronger evidence.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { withFileLock } from '../file-lock.js';
import { type ChainHead, GENESIS } from './chain.js';
import { listLogFiles } from './files.js';

export const HEAD_FILE = 'audit-head.json';
export const ANCHOR_FILE = 'audit-anchor.json';

/** What the oldest kept line must carry: its `seq` and `prev`. */
export interface ChainAnchor {
  seq: number;
  prev: string;
}

async function readJson(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`${file}: unreadable (${(err as Error).message})`);
  }
}

async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(value)}\n`, { mode: 0o640 });
  await rename(tmp, file);
}

/** The recorded head, or undefined when the tenant has none yet. @throws when it is not valid JSON */
export async function readHeadFile(tenantDir: string): Promise<ChainHead | undefined> {
  const v = (await readJson(join(tenantDir, HEAD_FILE))) as Partial<ChainHead> | undefined;
  if (v === undefined) return undefined;
  if (typeof v.seq !== 'number' || typeof v.hash !== 'string')
    throw new Error(`${HEAD_FILE}: not a chain head`);
  return { seq: v.seq, hash: v.hash };
}

/** Records the head after a batch (temp file + rename: never half written). */
export function writeHeadFile(tenantDir: string, head: ChainHead): Promise<void> {
  return writeJsonAtomic(join(tenantDir, HEAD_FILE), { seq: head.seq, hash: head.hash });
}

/** The retention anchor, or the genesis anchor when nothing was ever deleted. */
export async function readAnchorFile(tenantDir: string): Promise<ChainAnchor> {
  const v = (await readJson(join(tenantDir, ANCHOR_FILE))) as Partial<ChainAnchor> | undefined;
  if (v === undefined) return { seq: 1, prev: GENESIS };
  if (typeof v.seq !== 'number' || typeof v.prev !== 'string')
    throw new Error(`${ANCHOR_FILE}: not an anchor`);
  return { seq: v.seq, prev: v.prev };
}

/** Records where the kept chain starts (retention, before deleting). */
export function writeAnchorFile(tenantDir: string, anchor: ChainAnchor): Promise<void> {
  return writeJsonAtomic(join(tenantDir, ANCHOR_FILE), anchor);
}

/** Parses one audit line into its `seq`/`hash`/`prev`, or undefined when it is not one. */
export function parseChainLine(line: string): { seq: number; hash: string; prev: string } | undefined {
  try {
    const v = JSON.parse(line) as Record<string, unknown>;
    if (typeof v.seq === 'number' && typeof v.hash === 'string' && typeof v.prev === 'string')
      return { seq: v.seq, hash: v.hash, prev: v.prev };
  } catch {}
  return undefined;
}

/** The last chain line in the tenant's audit files, newest file first. */
export async function lastChainLine(tenantDir: string): Promise<ChainHead | undefined> {
  const files = await listLogFiles(tenantDir, 'audit');
  for (let i = files.length - 1; i >= 0; i--) {
    const lines = (await readFile(join(tenantDir, files[i]!.name), 'utf8')).split('\n');
    for (let j = lines.length - 1; j >= 0; j--) {
      const parsed = lines[j] ? parseChainLine(lines[j]!) : undefined;
      if (parsed) return { seq: parsed.seq, hash: parsed.hash };
    }
  }
  return undefined;
}

/**
 * Where to continue a tenant's chain after a restart. When the head file is ahead of the files
 * (lines were cut), the chain continues from the head file, so the cut stays visible as a gap
 * instead of being papered over by new lines. `cut` reports that case.
 */
export async function recoverHead(tenantDir: string): Promise<{ head: ChainHead; cut: boolean }> {
  const [recorded, last, anchor] = await Promise.all([
    readHeadFile(tenantDir).catch(() => undefined),
    lastChainLine(tenantDir),
    readAnchorFile(tenantDir).catch(() => ({ seq: 1, prev: GENESIS })),
  ]);
  const fromFiles = last ?? { seq: anchor.seq - 1, hash: anchor.prev };
  if (recorded && recorded.seq > fromFiles.seq) return { head: recorded, cut: true };
  return { head: fromFiles, cut: false };
}

export const LOCK_FILE = 'audit.lock';

/**
 * Runs `fn` holding the tenant's chain lock (file-lock.ts), so the gateway and a CLI command
 * (`tenants purge`, `users add`) appending to the same chain cannot both write seq N+1. A lock
 * older than 30 s is stale (a crashed writer) and is taken over; after waiting 5 s the write goes
 * ahead without it rather than losing the audit line.
 */
export function withChainLock<T>(tenantDir: string, fn: () => Promise<T>): Promise<T> {
  return withFileLock(join(tenantDir, LOCK_FILE), fn, { waitMs: 5_000, whenBusy: 'run', mode: 0o640 });
}
