/**
 * `resultgate logs verify`: walks each tenant's audit chain and names the first line where it
 * breaks — an edited line (hash), a removed, inserted or reordered line (seq and prev), or a cut
 * head (the chain ends before `audit-head.json` says it did). See head.ts for the threat model.
 */
import { readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { type ChainHead, chainHash } from './chain.js';
import { listLogFiles, listTenantDirs } from './files.js';
import { type ChainAnchor, HEAD_FILE, readAnchorFile, readHeadFile } from './head.js';

/** The verdict on one tenant's audit chain. */
export interface TenantVerdict {
  tenant: string;
  ok: boolean;
  /** Chain lines checked. */
  lines: number;
  /** The first bad place: `tenant/file:line` (or the head file) and why. */
  error?: { where: string; message: string };
  /** Not failures, but worth saying (no head file yet, lines written after the last head update). */
  notes: string[];
}

/** The verdict on a directory: ok only when every tenant's chain is. */
export interface VerifyResult {
  ok: boolean;
  tenants: TenantVerdict[];
}

async function isTenantDir(dir: string): Promise<boolean> {
  if ((await listLogFiles(dir)).length > 0) return true;
  return stat(join(dir, HEAD_FILE)).then(
    () => true,
    () => false,
  );
}

/**
 * Verifies a tenant's log directory, or every tenant under a logs root.
 * @example const { ok, tenants } = await verifyAuditDir('var/log')
 */
export async function verifyAuditDir(dir: string): Promise<VerifyResult> {
  const dirs = (await isTenantDir(dir)) ? [dir] : (await listTenantDirs(dir)).map((t) => join(dir, t));
  const tenants: TenantVerdict[] = [];
  for (const d of dirs) tenants.push(await verifyTenantDir(d));
  return { ok: tenants.length > 0 && tenants.every((t) => t.ok), tenants };
}

/** Verifies one tenant directory's audit chain. */
export async function verifyTenantDir(dir: string): Promise<TenantVerdict> {
  const tenant = basename(dir);
  let anchor: ChainAnchor;
  let head: ChainHead | undefined;
  try {
    [anchor, head] = await Promise.all([readAnchorFile(dir), readHeadFile(dir)]);
  } catch (err) {
    return {
      tenant,
      ok: false,
      lines: 0,
      notes: [],
      error: { where: `${tenant}/${HEAD_FILE}`, message: (err as Error).message },
    };
  }
  const files: ChainFile[] = [];
  for (const file of await listLogFiles(dir, 'audit'))
    files.push({ name: file.name, text: await readFile(join(dir, file.name), 'utf8') });
  return checkChain(tenant, files, anchor, head);
}

/** One audit file's name and text, oldest file first. */
export interface ChainFile {
  name: string;
  text: string;
}

/**
 * Checks a chain's lines against its anchor (where it must start) and its recorded head (where it
 * must reach): the pure core of {@link verifyTenantDir}.
 */
export function checkChain(
  tenant: string,
  files: readonly ChainFile[],
  anchor: ChainAnchor,
  head: ChainHead | undefined,
): TenantVerdict {
  const verdict: TenantVerdict = { tenant, ok: true, lines: 0, notes: [] };
  const fail = (where: string, message: string): TenantVerdict => ({
    ...verdict,
    ok: false,
    error: { where: `${tenant}/${where}`, message },
  });
  let seq = anchor.seq;
  let prev = anchor.prev;
  let hashAtHead: string | undefined;
  let lastWhere = '(no audit line)';
  for (const file of files) {
    const lines = file.text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const text = lines[i]!;
      if (text === '' && i === lines.length - 1) break;
      const where = `${file.name}:${i + 1}`;
      let record: Record<string, unknown>;
      try {
        record = JSON.parse(text) as Record<string, unknown>;
      } catch {
        return fail(where, 'not a JSON line (edited or truncated)');
      }
      if (typeof record !== 'object' || record === null || typeof record.seq !== 'number')
        return fail(where, 'not an audit chain line (no seq)');
      if (record.seq > seq)
        return fail(where, `seq jumps from ${seq - 1} to ${record.seq}: line(s) removed or reordered`);
      if (record.seq < seq)
        return fail(where, `seq ${record.seq} where ${seq} was expected: line inserted or reordered`);
      if (record.prev !== prev)
        return fail(where, "prev is not the previous line's hash: line removed, inserted or reordered");
      if (record.hash !== chainHash(record)) return fail(where, 'hash does not match the line: line edited');
      if (head && record.seq === head.seq) hashAtHead = record.hash;
      prev = record.hash;
      seq++;
      verdict.lines++;
      lastWhere = where;
    }
  }
  const last = seq - 1;
  if (!head) {
    if (verdict.lines > 0)
      verdict.notes.push(`no ${HEAD_FILE}: a cut of the newest lines cannot be detected`);
    return verdict;
  }
  if (head.seq > last)
    return fail(
      HEAD_FILE,
      `the head records seq ${head.seq} but the chain ends at seq ${last} (${lastWhere}): the newest line(s) were removed`,
    );
  if (hashAtHead !== undefined && hashAtHead !== head.hash)
    return fail(
      HEAD_FILE,
      `the line with seq ${head.seq} does not have the recorded head hash: chain rewritten`,
    );
  if (last > head.seq)
    verdict.notes.push(`${last - head.seq} line(s) after the recorded head (written just before a stop?)`);
  return verdict;
}
