/**
 * `results.sendMany`: a whole cohort in batches, one report of every item, resumable after a
 * crash. Why it cannot publish twice, and why its counts do not depend on `chunkSize`: the
 * service decides each item by one rule (see `sendBatch`) — new → `accepted`, identical content
 * already stored → `duplicate`, other content under a stored externalId → `rejected`
 * (`duplicate_external_id`) — whatever batch the item came in. A resumed run skips the items the
 * report already settled; an item the crashed run stored but never recorded comes back as
 * `duplicate`.
 */
import { isResultGateError, ValidationError } from '../errors.js';
import type { BatchOptions, BatchResponse, ResultInput } from '../types.js';

/** What happened to one item. `pending`: not answered yet; `failed`: its batch got no answer. */
export type SendManyOutcome = 'accepted' | 'duplicate' | 'rejected' | 'failed' | 'pending';

/** One item of a {@link SendManyReport}, in input order. */
export interface SendManyItem {
  externalId: string;
  outcome: SendManyOutcome;
  /** The stored result's id. */
  id?: string;
  /** Returned once when the result is created: keep the report somewhere safe. */
  accessCode?: string;
  pin?: string;
  /** Why it was rejected or failed (never personal data). */
  reason?: string;
  issues?: { path: string; message: string }[];
  /** Carried over from `resumeFrom` without sending. */
  resumed?: boolean;
}

/** A rejected item, in the report's `rejected` list. */
export interface SendManyRejection {
  externalId: string;
  /** `validation_failed`, `duplicate_external_id` (other content is stored under this externalId), … */
  reason: string;
  issues?: { path: string; message: string }[];
}

/** The report of a `sendMany` run: JSON-serialisable, pass it back as `resumeFrom`. */
export interface SendManyReport {
  version: 1;
  dryRun: boolean;
  /**
   * True only when every item is `accepted` or a `duplicate` of identical content: nothing was
   * rejected, failed or left pending, and the run was not aborted.
   */
  complete: boolean;
  /** Every rejected item and why (also in `items`); fix them and resume to send them again. */
  rejected: SendManyRejection[];
  /** Set when a batch failed in a way that stops the run (auth, allow-list, maintenance, …). */
  aborted?: { code: string; message: string; requestId?: string | undefined };
  counts: Record<SendManyOutcome, number> & { resumed: number };
  items: SendManyItem[];
}

/** Options of `sendMany`. */
export interface SendManyOptions {
  /** Items per batch request. @default 100 */
  chunkSize?: number;
  /** Batches in flight at once. @default 2 */
  concurrency?: number;
  /** Called (awaited, one at a time) after each batch with a snapshot: persist it to resume. */
  onProgress?: (report: SendManyReport) => void | Promise<void>;
  /** A report of an earlier run: its accepted and duplicate items are not sent again (rejected ones are). */
  resumeFrom?: SendManyReport;
  /** Validate only (the service stores nothing). */
  dryRun?: boolean;
  signal?: AbortSignal;
}

type SendBatch = (items: ResultInput[], options: BatchOptions) => Promise<BatchResponse>;

/** Outcomes the service answered. */
const ANSWERED = new Set<SendManyOutcome>(['accepted', 'duplicate', 'rejected']);
/** Outcomes a resumed run does not send again. */
const DONE = new Set<SendManyOutcome>(['accepted', 'duplicate']);

function tally(report: SendManyReport): SendManyReport {
  const counts = { accepted: 0, duplicate: 0, rejected: 0, failed: 0, pending: 0, resumed: 0 };
  report.rejected = [];
  for (const item of report.items) {
    counts[item.outcome]++;
    if (item.resumed) counts.resumed++;
    if (item.outcome === 'rejected') {
      const { externalId, reason = 'rejected', issues } = item;
      report.rejected.push({ externalId, reason, ...(issues ? { issues } : {}) });
    }
  }
  report.counts = counts;
  report.complete = !report.aborted && counts.accepted + counts.duplicate === report.items.length;
  return report;
}

/**
 * Sends `items` through `sendBatch` in chunks. Request errors never escape: they mark the chunk
 * `failed` (a {@link ValidationError} of the whole batch marks it `rejected`); an error that
 * makes further batches pointless stops the run and sets `aborted`. Errors thrown by the input
 * iterable or by `onProgress` do escape (a crash): resume with the last `onProgress` snapshot.
 * @example
 * const report = await client.results.sendMany(readCsv('cohort.csv'), {
 *   onProgress: (r) => writeFile('report.json', JSON.stringify(r)),
 *   resumeFrom: await readPreviousReport(),
 * });
 */
export async function sendMany(
  sendBatch: SendBatch,
  items: Iterable<ResultInput> | AsyncIterable<ResultInput>,
  options: SendManyOptions = {},
): Promise<SendManyReport> {
  const chunkSize = Math.max(1, Math.floor(options.chunkSize ?? 100));
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 2));
  const dryRun = options.dryRun ?? false;
  const previous = options.resumeFrom;
  if (previous && previous.dryRun !== dryRun)
    throw new TypeError('resumeFrom comes from a run with another dryRun');
  const settled = new Map<string, SendManyItem>();
  for (const item of previous?.items ?? []) if (DONE.has(item.outcome)) settled.set(item.externalId, item);

  const report: SendManyReport = tally({
    version: 1,
    dryRun,
    complete: false,
    rejected: [],
    counts: {} as never,
    items: [],
  });
  const inFlight = new Set<Promise<void>>();
  let progress: Promise<void> = Promise.resolve();
  let crash: { error: unknown } | undefined;

  const runChunk = async (chunk: { input: ResultInput; entry: SendManyItem }[]) => {
    try {
      const answer = await sendBatch(
        chunk.map((c) => c.input),
        { dryRun, signal: options.signal },
      );
      for (const [i, { entry }] of chunk.entries()) {
        const got = answer.items?.find((a) => a.index === i) ?? answer.items?.[i];
        if (!got) Object.assign(entry, { outcome: 'failed', reason: 'no_answer' });
        else {
          const outcome = ANSWERED.has(got.outcome as SendManyOutcome) ? got.outcome : 'rejected';
          Object.assign(entry, { outcome });
          if (got.result?.id) entry.id = got.result.id;
          if (got.result?.accessCode)
            Object.assign(entry, { accessCode: got.result.accessCode, pin: got.result.pin });
          if (got.reason) entry.reason = got.reason;
          if (got.issues) entry.issues = got.issues;
        }
      }
    } catch (error) {
      if (!isResultGateError(error)) throw error;
      const rejected = error instanceof ValidationError;
      for (const { entry } of chunk) {
        Object.assign(entry, { outcome: rejected ? 'rejected' : 'failed', reason: `${error.code}` });
        if (rejected && error.issues.length) entry.issues = error.issues;
      }
      // Anything but a whole-batch validation error means the next batch would fail the same way.
      if (!rejected)
        report.aborted ??= { code: error.code, message: error.message, requestId: error.requestId };
    }
    tally(report);
    const snapshot = structuredClone(report);
    progress = progress.then(() => options.onProgress?.(snapshot));
    await progress;
  };

  const launch = async (chunk: { input: ResultInput; entry: SendManyItem }[]) => {
    while (inFlight.size >= concurrency) await Promise.race(inFlight);
    if (crash || report.aborted) {
      for (const { entry } of chunk) entry.outcome = 'pending';
      return;
    }
    const p: Promise<void> = runChunk(chunk)
      .catch((error: unknown) => {
        crash ??= { error };
      })
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  };

  try {
    let chunk: { input: ResultInput; entry: SendManyItem }[] = [];
    for await (const input of items) {
      if (crash || report.aborted) break;
      const done = settled.get(input.externalId);
      if (done) {
        report.items.push({ ...done, resumed: true });
        continue;
      }
      const entry: SendManyItem = { externalId: input.externalId, outcome: 'pending' };
      report.items.push(entry);
      chunk.push({ input, entry });
      if (chunk.length >= chunkSize) {
        await launch(chunk);
        chunk = [];
      }
    }
    if (chunk.length > 0) await launch(chunk);
  } finally {
    await Promise.allSettled([...inFlight]);
  }
  if (crash) throw crash.error;
  return tally(report);
}
