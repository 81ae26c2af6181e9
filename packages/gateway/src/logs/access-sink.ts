/**
 * The access-log sink: one JSON line per request, batched in memory and appended
 * asynchronously, so the request path only builds a string and pushes it onto a queue.
 */
import { resolve, sep } from 'node:path';
import type { Writable } from 'node:stream';
import type { AccessLogSink, AccessRecord } from '../types.js';
import { AppendFiles, GATEWAY_TENANT, tenantDirName, utcDay } from './files.js';
import type { LogHealth } from './health.js';

/** Longest values kept, so one request cannot write a megabyte line. */
export const FIELD_CAPS = {
  reqId: 128,
  ip: 64,
  method: 16,
  path: 2048,
  user: 128,
  decision: 64,
  ua: 512,
  zone: 128,
};

function cap(value: string, max: number): string {
  return value.length > max ? `${value.slice(0, max)}…` : value;
}

function capOrNull(value: string | null | undefined, max: number): string | null {
  return value == null ? null : cap(String(value), max);
}

/**
 * One access line: exactly the fields of docs/architecture.md §6, in a fixed order. JSON.stringify escapes
 * CR, LF and every control character, so a value can never start a forged line; a query string
 * is cut off even if a caller passes a raw URL (query strings can hold exam numbers).
 */
export function accessLine(r: AccessRecord): string {
  const q = r.path.indexOf('?');
  const path = q === -1 ? r.path : r.path.slice(0, q);
  return `${JSON.stringify({
    ts: r.ts,
    reqId: cap(String(r.reqId), FIELD_CAPS.reqId),
    tenant: r.tenant,
    zone: capOrNull(r.zone, FIELD_CAPS.zone),
    ip: cap(String(r.ip), FIELD_CAPS.ip),
    method: cap(String(r.method), FIELD_CAPS.method),
    path: cap(path, FIELD_CAPS.path),
    status: r.status,
    bytes: r.bytes,
    ms: r.ms,
    upstreamMs: r.upstreamMs,
    user: capOrNull(r.user, FIELD_CAPS.user),
    decision: cap(String(r.decision), FIELD_CAPS.decision),
    ua: capOrNull(r.ua, FIELD_CAPS.ua),
  })}\n`;
}

/** Options of {@link AccessLogWriter}. */
export interface AccessLogWriterOptions {
  /** The logs root (`logs.dir`). */
  dir: string;
  health: LogHealth;
  /** Also copy every line to this stream (`logs.stdout`: process.stdout). */
  stdout?: Writable;
  /** Longest a line waits in memory. @default 50 */
  flushMs?: number;
  /** Lines that trigger an immediate flush. @default 256 */
  batchLines?: number;
  /** Lines kept in memory while the disk is slow or failing; beyond, lines are dropped and counted lost. @default 100000 */
  maxPending?: number;
  /** How long after a failed write the lines kept are tried again. @default 1000 */
  retryMs?: number;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** The batched, asynchronous access-log writer (implements the pipeline's {@link AccessLogSink}). */
export class AccessLogWriter implements AccessLogSink {
  private readonly root: string;
  private pending = new Map<string, string[]>();
  private pendingLines = 0;
  /** Lines of failed writes, by file, tried again first (and not echoed to stdout again). */
  private retrying = new Map<string, string[]>();
  private retryLines = 0;
  /** Lines handed to batches that are not written yet (a slow disk): counted against maxPending. */
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private running: Promise<void> = Promise.resolve();
  private readonly flushMs: number;
  private readonly batchLines: number;
  private readonly maxPending: number;
  private readonly retryMs: number;
  private retryTimer: NodeJS.Timeout | undefined;
  private closing = false;
  private readonly files = new AppendFiles();
  /** The file of each tenant's current day, so a line does not rebuild the path. */
  private readonly paths = new Map<string, { day: string; file: string }>();

  constructor(private readonly options: AccessLogWriterOptions) {
    this.root = resolve(options.dir) + sep;
    this.flushMs = options.flushMs ?? 50;
    this.batchLines = options.batchLines ?? 256;
    this.maxPending = options.maxPending ?? 100_000;
    this.retryMs = options.retryMs ?? 1000;
  }

  get healthy(): boolean {
    return this.options.health.healthy;
  }

  /** Queues one record; never blocks and never throws. */
  write(record: AccessRecord): void {
    if (this.pendingLines + this.retryLines + this.inFlight >= this.maxPending) {
      this.options.health.failed('access', this.root, 1, new Error('queue full'));
      return;
    }
    const line = accessLine(record);
    const file = this.fileOf(record.tenant ?? GATEWAY_TENANT, record.ts.slice(0, 10));
    const lines = this.pending.get(file);
    if (lines) lines.push(line);
    else this.pending.set(file, [line]);
    this.pendingLines++;
    // While the disk fails, the retry timer decides when to try again.
    if (this.retryTimer) return;
    if (this.pendingLines >= this.batchLines) {
      this.immediate ??= setImmediate(() => void this.flush());
    } else if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), this.flushMs);
      this.timer.unref();
    }
  }

  private fileOf(tenant: string, day: string): string {
    const known = this.paths.get(tenant);
    if (known?.day === day) return known.file;
    const valid = DAY.test(day) ? day : utcDay(Date.now());
    const file = `${this.root}${tenantDirName(tenant)}${sep}access-${valid}.jsonl`;
    if (valid === day) {
      if (this.paths.size >= 10_000) this.paths.clear(); // bounded: tenant ids come from the policy
      this.paths.set(tenant, { day, file });
    }
    return file;
  }

  /** Writes what is queued and closes the open files (at shutdown); what still fails is counted lost. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.flush();
    await this.files.close();
  }

  /** Writes everything queued so far; resolves when it is on disk (or kept for a retry, or counted lost). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
    if (this.pendingLines === 0 && this.retryLines === 0) return this.running;
    const batch = this.pending;
    const retry = this.retrying;
    const lines = this.pendingLines + this.retryLines;
    this.pending = new Map();
    this.retrying = new Map();
    this.pendingLines = 0;
    this.retryLines = 0;
    this.inFlight += lines;
    // Batches are chained so lines of one file stay in order; files of one batch go in parallel.
    this.running = this.running
      .then(() => this.writeBatch(batch, retry))
      .finally(() => {
        this.inFlight -= lines;
      });
    return this.running;
  }

  private async writeBatch(batch: Map<string, string[]>, retry: Map<string, string[]>): Promise<void> {
    const { stdout } = this.options;
    const writes: Promise<void>[] = [];
    for (const [file, fresh] of batch) {
      const text = fresh.join('');
      // stdout gets each line once, when it is first written (a retry goes to the file only).
      if (stdout) stdout.write(text);
      const kept = retry.get(file);
      retry.delete(file);
      const lines = kept ? kept.concat(fresh) : fresh;
      writes.push(this.appendLines(file, lines, kept ? lines.join('') : text));
    }
    for (const [file, kept] of retry) writes.push(this.appendLines(file, kept, kept.join('')));
    await Promise.all(writes);
  }

  private appendLines(file: string, lines: string[], text: string): Promise<void> {
    return this.files.append(file, text).then(
      () => this.options.health.ok(file),
      (err: unknown) => this.keepForRetry(file, lines, err),
    );
  }

  /**
   * A failed write (disk full, read-only): its lines go back to the front of the queue and are
   * tried again in `retryMs`, so the requests served at the onset of the fault are logged once the
   * disk takes writes again. Only what the bounded queue cannot hold, or what still fails at
   * shutdown, is dropped — and counted in `resultgate_log_lines_lost_total`.
   */
  private keepForRetry(file: string, lines: string[], err: unknown): void {
    const { health } = this.options;
    if (this.closing || this.pendingLines + this.retryLines + this.inFlight >= this.maxPending) {
      health.failed('access', file, lines.length, err);
      return;
    }
    health.failed('access', file, 0, err);
    const kept = this.retrying.get(file);
    this.retrying.set(file, kept ? kept.concat(lines) : lines);
    this.retryLines += lines.length;
    if (!this.retryTimer) {
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        void this.flush();
      }, this.retryMs);
      this.retryTimer.unref();
    }
  }
}
