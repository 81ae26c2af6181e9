/**
 * Where log lines go: `<dir>/<tenant>/<kind>-YYYY-MM-DD.jsonl` (UTC day), and the small helpers
 * every part of `logs/` shares for listing and appending those files.
 */
import { appendFile, type FileHandle, mkdir, open, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** The tenant of lines that belong to no tenant (unknown host, bad request before routing). */
export const GATEWAY_TENANT = '_gateway';

/** The two kinds of log file. */
export type LogKind = 'access' | 'audit';

/** `access-2026-11-28.jsonl` → kind and day. */
export const LOG_FILE = /^(access|audit)-(\d{4}-\d{2}-\d{2})\.jsonl$/;

/** Tenant ids as the policy allows them, plus `_gateway`: nothing that can climb out of the log dir. */
const SAFE_TENANT = /^(?:_gateway|[a-z0-9][a-z0-9-]{0,62})$/;

/** The tenant directory name for a tenant id; anything unexpected goes to `_gateway`. */
export function tenantDirName(tenant: string): string {
  return SAFE_TENANT.test(tenant) ? tenant : GATEWAY_TENANT;
}

/** True for a string that could be a tenant directory name. */
export function isTenantDirName(name: string): boolean {
  return SAFE_TENANT.test(name);
}

/** The UTC day (`YYYY-MM-DD`) of a time in milliseconds. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The file of one tenant, kind and day. */
export function logFile(dir: string, tenant: string, kind: LogKind, day: string): string {
  return join(dir, tenantDirName(tenant), `${kind}-${day}.jsonl`);
}

/** One log file of a tenant directory. */
export interface LogFileEntry {
  name: string;
  kind: LogKind;
  day: string;
}

/** The log files of a tenant directory, oldest day first (empty when the directory is absent). */
export async function listLogFiles(tenantDir: string, kind?: LogKind): Promise<LogFileEntry[]> {
  let names: string[];
  try {
    names = await readdir(tenantDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: LogFileEntry[] = [];
  for (const name of names) {
    const m = LOG_FILE.exec(name);
    if (m && (kind === undefined || m[1] === kind)) out.push({ name, kind: m[1] as LogKind, day: m[2]! });
  }
  return out.sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : a.name < b.name ? -1 : 1));
}

/** The tenant directories under a logs root. */
export async function listTenantDirs(root: string): Promise<string[]> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(root, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return entries
    .filter((e) => e.isDirectory() && isTenantDirName(e.name))
    .map((e) => e.name)
    .sort();
}

/**
 * Files whose last append failed: a disk that filled up mid-write can leave part of a line
 * behind. The next append to such a file first ends that fragment with a newline, so the torn
 * line stays one damaged line (which `logs verify` reports and exports skip) and is never
 * merged with the next, whole record.
 */
const maybeTorn = new Set<string>();

/** `text`, preceded by a newline when the file's last append failed part-way. */
async function afterTornLine(file: string, text: string, handle?: FileHandle): Promise<string> {
  if (!maybeTorn.has(file)) return text;
  let own: FileHandle | undefined;
  try {
    if (!handle) own = await open(file, 'r');
    const h = handle ?? own!;
    const { size } = await h.stat();
    if (size === 0) return text;
    const last = Buffer.alloc(1);
    await h.read(last, 0, 1, size - 1);
    return last[0] === 0x0a ? text : `\n${text}`;
  } catch {
    // Cannot tell (the file is gone or unreadable): a blank line is harmless, a merged one is not.
    return `\n${text}`;
  } finally {
    await own?.close().catch(() => {});
  }
}

async function appendOnce(
  file: string,
  text: string,
  write: (t: string) => Promise<void>,
  handle?: FileHandle,
) {
  try {
    await write(await afterTornLine(file, text, handle));
    maybeTorn.delete(file);
  } catch (err) {
    maybeTorn.add(file);
    throw err;
  }
}

/**
 * Appends text to a file, creating its directory when missing (a new tenant, or a directory
 * removed by `tenants purge`). Logs hold client addresses: files are 0640, directories 0750.
 */
export async function appendText(file: string, text: string): Promise<void> {
  const write = (t: string) => appendFile(file, t, { mode: 0o640 });
  try {
    await appendOnce(file, text, write);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    maybeTorn.delete(file);
    await mkdir(join(file, '..'), { recursive: true, mode: 0o750 });
    await appendOnce(file, text, write);
  }
}

async function openForAppend(file: string): Promise<FileHandle> {
  try {
    // a+: appends, and can read the last byte back after a torn write (afterTornLine).
    return await open(file, 'a+', 0o640);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    await mkdir(join(file, '..'), { recursive: true, mode: 0o750 });
    return await open(file, 'a+', 0o640);
  }
}

interface OpenFile {
  handle: Promise<FileHandle>;
  openedAt: number;
  /** Appends in progress: a handle is never closed under a write (that gave EBADF). */
  writing: number;
  /** Dropped while a write was in progress: closed when the last one ends. */
  closeWhenIdle?: boolean;
}

/**
 * Appends through file handles kept open for at most `maxAgeMs`: a busy access log writes a batch
 * every few tens of milliseconds, and opening and closing the file for each one cost more than the
 * write. A handle older than that is closed and the file opened again, so a file moved or removed
 * underneath (rotation, `tenants purge`, retention) is left within `maxAgeMs`, as it was when
 * every batch opened the file; idle handles are closed by a timer that does not keep the process
 * alive. Writes to one file must not overlap (the access sink chains its batches).
 */
export class AppendFiles {
  private readonly files = new Map<string, OpenFile>();
  private sweeper: NodeJS.Timeout | undefined;

  /** @param maxAgeMs longest a handle stays open (default 1 s) */
  constructor(private readonly maxAgeMs = 1000) {}

  /** Appends text to a file, creating it (0640) and its directory (0750) when missing. */
  async append(file: string, text: string): Promise<void> {
    const now = Date.now();
    let entry = this.files.get(file);
    if (entry && now - entry.openedAt >= this.maxAgeMs) {
      this.drop(file, entry);
      entry = undefined;
    }
    if (!entry) {
      entry = { handle: openForAppend(file), openedAt: now, writing: 0 };
      this.files.set(file, entry);
      this.sweeper ??= setTimeout(() => this.sweep(), this.maxAgeMs).unref();
    }
    entry.writing++;
    try {
      const handle = await entry.handle;
      await appendOnce(file, text, (t) => handle.appendFile(t), handle);
    } catch (err) {
      // A failed open or write is not kept: the next batch tries afresh.
      this.drop(file, entry);
      throw err;
    } finally {
      entry.writing--;
      if (entry.writing === 0 && entry.closeWhenIdle) void closeQuietly(entry.handle);
    }
  }

  /** Closes every handle (at shutdown, after the last flush). */
  async close(): Promise<void> {
    if (this.sweeper) clearTimeout(this.sweeper);
    this.sweeper = undefined;
    const all = [...this.files.values()];
    this.files.clear();
    await Promise.all(all.map((e) => closeQuietly(e.handle)));
  }

  private drop(file: string, entry: OpenFile): void {
    if (this.files.get(file) === entry) this.files.delete(file);
    if (entry.writing > 0) entry.closeWhenIdle = true;
    else void closeQuietly(entry.handle);
  }

  private sweep(): void {
    this.sweeper = undefined;
    const now = Date.now();
    for (const [file, entry] of this.files) if (now - entry.openedAt >= this.maxAgeMs) this.drop(file, entry);
    if (this.files.size > 0) this.sweeper = setTimeout(() => this.sweep(), this.maxAgeMs).unref();
  }
}

async function closeQuietly(handle: Promise<FileHandle>): Promise<void> {
  try {
    await (await handle).close();
  } catch {
    // A handle that failed to open, or is already closed: nothing to release.
  }
}
