/**
 * What happens when a log write fails (disk full, permission): the gateway keeps serving, the
 * lost lines are counted in `resultgate_log_lines_lost_total`, stderr says so at most once a
 * minute, and `healthy` stays false until a write succeeds again (`logs.failClosed` then answers
 * 503 instead of serving unlogged requests).
 */
import { Counter, register as defaultRegistry, type Registry } from 'prom-client';
import type { LogKind } from './files.js';

/** Name of the counter of log lines that could not be written. */
export const LOST_LINES_METRIC = 'resultgate_log_lines_lost_total';

/**
 * The lost-lines counter on `registry` (default: prom-client's global registry), created once
 * per registry so several log handles (tests, reloads) share it.
 */
export function logLinesLostCounter(registry: Registry = defaultRegistry): Counter<'kind'> {
  const existing = registry.getSingleMetric(LOST_LINES_METRIC);
  if (existing) return existing as Counter<'kind'>;
  return new Counter({
    name: LOST_LINES_METRIC,
    help: 'Log lines that could not be written (disk full, permission), by kind',
    labelNames: ['kind'],
    registers: [registry],
  });
}

/** Options of {@link LogHealth}. */
export interface LogHealthOptions {
  now: () => number;
  registry?: Registry;
  /** Where the once-a-minute warning goes. @default process.stderr */
  warn?: (line: string) => void;
}

const WARN_EVERY_MS = 60_000;
/**
 * How long a failed file keeps the logs unhealthy without a newer write to it. Requests refused
 * by `failClosed` are logged under `_gateway` (they are refused before the tenant is known), so
 * they cannot probe a failing tenant file; after this long one batch is let through to try again.
 */
const RETRY_FAILED_MS = 10_000;

/** Health of the log writers: shared by the access and audit sinks. */
export class LogHealth {
  /** File → time of its latest failed write; cleared by a later successful write to that file. */
  private readonly failedFiles = new Map<string, number>();
  private lastWarn = Number.NEGATIVE_INFINITY;
  private lostSinceWarn = 0;
  /** Lines lost since start, by kind (the metric also counts them). */
  readonly lost = { access: 0, audit: 0 };
  /** The `resultgate_log_lines_lost_total` counter this health reports to. */
  readonly counter: Counter<'kind'>;
  private readonly now: () => number;
  private readonly warn: (line: string) => void;

  constructor(options: LogHealthOptions) {
    this.now = options.now;
    this.counter = logLinesLostCounter(options.registry);
    this.warn = options.warn ?? ((line) => process.stderr.write(line));
  }

  /**
   * False while some file's latest write failed. A failure older than 10 s with no write since
   * (yesterday's file, a purged tenant, a tenant whose requests fail-closed refuses) no longer
   * counts, so one dead file cannot keep a fail-closed gateway down forever; the next write to
   * it decides again.
   */
  get healthy(): boolean {
    if (this.failedFiles.size === 0) return true;
    const since = this.now() - RETRY_FAILED_MS;
    for (const [file, at] of this.failedFiles) {
      if (at >= since) return false;
      this.failedFiles.delete(file);
    }
    return true;
  }

  /** A write to `file` succeeded. */
  ok(file: string): void {
    if (this.failedFiles.size !== 0) this.failedFiles.delete(file);
  }

  /** A write of `lines` lines to `file` failed with `err`: count, and warn at most once a minute. */
  failed(kind: LogKind, file: string, lines: number, err: unknown): void {
    const now = this.now();
    this.failedFiles.set(file, now);
    this.lost[kind] += lines;
    this.lostSinceWarn += lines;
    this.counter.inc({ kind }, lines);
    if (now - this.lastWarn < WARN_EVERY_MS) return;
    this.lastWarn = now;
    const code = (err as NodeJS.ErrnoException)?.code ?? String(err);
    this.warn(
      `resultgate: cannot write logs (${code} on ${file}); ${this.lostSinceWarn} line(s) lost since the last warning\n`,
    );
    this.lostSinceWarn = 0;
  }
}
