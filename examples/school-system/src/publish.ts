/** Waits until sent results are published, and formats the status table. */
import type { Result, ResultClient, SendManyReport } from '@resultgate/sdk';

/** Statuses at or after publication. */
const PUBLISHED_OR_LATER = new Set(['published', 'notified', 'viewed']);
/** Statuses that will never become published. */
const FINAL = new Set(['withdrawn', 'expired', 'failed']);

/**
 * Polls `results.get` for every id until each is published (or final), or the deadline passes.
 * @param options.timeoutMs give up after this long @default 60_000
 * @param options.intervalMs between polls @default 1_000
 * @returns the latest state of every result
 */
export async function waitUntilPublished(
  client: ResultClient,
  ids: readonly string[],
  options: { timeoutMs?: number; intervalMs?: number; onPoll?: (pending: number) => void } = {},
): Promise<Result[]> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  const latest = new Map<string, Result>();
  for (;;) {
    for (const id of ids) {
      const current = latest.get(id);
      if (current && (PUBLISHED_OR_LATER.has(current.status) || FINAL.has(current.status))) continue;
      latest.set(id, await client.results.get(id));
    }
    const pending = [...latest.values()].filter(
      (r) => !PUBLISHED_OR_LATER.has(r.status) && !FINAL.has(r.status),
    );
    options.onPoll?.(pending.length);
    if (pending.length === 0 || Date.now() >= deadline) break;
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 1_000));
  }
  return ids.map((id) => latest.get(id)).filter((r): r is Result => r !== undefined);
}

/** One row of the printed table: no name, e-mail or outcome (the table may end up in a log). */
export interface StatusRow {
  externalId: string;
  recipient: string;
  send: string;
  status: string;
  publishedAt: string;
}

/** Joins the sendMany report with the latest states into table rows, in input order. */
export function statusRows(report: SendManyReport, results: readonly Result[]): StatusRow[] {
  const byId = new Map(results.map((r) => [r.id, r]));
  return report.items.map((item) => {
    const r = item.id ? byId.get(item.id) : undefined;
    return {
      externalId: item.externalId,
      recipient: r?.recipient.id ?? '',
      send: item.outcome + (item.reason && item.outcome !== 'duplicate' ? ` (${item.reason})` : ''),
      status: r?.status ?? '-',
      publishedAt: r?.publishedAt ?? '',
    };
  });
}

/** A fixed-width text table (console.table quotes and indexes; this reads better in a terminal). */
export function formatTable(rows: readonly StatusRow[]): string {
  if (rows.length === 0) return '(no results)';
  const keys = Object.keys(rows[0] as StatusRow) as (keyof StatusRow)[];
  const width = (k: keyof StatusRow) => Math.max(k.length, ...rows.map((r) => r[k].length));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(width(keys[i] as keyof StatusRow)))
      .join('  ')
      .trimEnd();
  return [
    line(keys),
    line(keys.map((k) => '-'.repeat(width(k)))),
    ...rows.map((r) => line(keys.map((k) => r[k]))),
  ].join('\n');
}
