/**
 * Where log lines go: `<dir>/<tenant>/<kind>-YYYY-MM-DD.jsonl` (UTC day), and the small helpers
 * every part of `logs/` shares for listing and appending those files.
 */
import { appendFile, mkdir, readdir } from 'node:fs/promises';
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
 * Appends text to a file, creating its directory when missing (a new tenant, or a directory
 * removed by `tenants purge`). Logs hold client addresses: files are 0640, directories 0750.
 */
export async function appendText(file: string, text: string): Promise<void> {
  try {
    await appendFile(file, text, { mode: 0o640 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    await mkdir(join(file, '..'), { recursive: true, mode: 0o750 });
    await appendFile(file, text, { mode: 0o640 });
  }
}
