/**
 * Opens the gateway's logs: the access and audit sinks the pipeline writes to, retention at
 * start and then hourly, and `flush`/`close` for a graceful stop (no line lost on SIGTERM).
 */
import { mkdir } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import type { Registry } from 'prom-client';
import { AccessLogWriter } from './access-sink.js';
import { AuditLogWriter } from './audit-sink.js';
import { LOST_LINES_METRIC, LogHealth } from './health.js';
import { sweepRetention } from './retention.js';

/** The `logs` section of the policy. */
export interface LogsOptions {
  dir: string;
  retentionDays: number;
  /** Copy every line to stdout too (container log collectors). @default false */
  stdout?: boolean;
  /** Answer 503 while writes fail (read by the `accessLog` middleware from the policy). @default false */
  failClosed?: boolean;
}

/** Injected clock, metrics registry and streams. */
export interface LogsRuntime {
  /** @default Date.now */
  now?: () => number;
  /** Registry of `resultgate_log_lines_lost_total`. @default prom-client's global registry */
  registry?: Registry;
  /** Where warnings go. @default process.stderr */
  warn?: (line: string) => void;
  /** The stream of `logs.stdout`. @default process.stdout */
  stdoutStream?: Writable;
  /** Longest a line waits in memory before it is written. @default 50 */
  flushMs?: number;
  /** How often retention runs after the start. @default 1 hour */
  retentionEveryMs?: number;
}

/** Open logs: hand `accessLog` and `audit` to the gateway's deps; `close()` on shutdown. */
export interface Logs {
  accessLog: AccessLogWriter;
  audit: AuditLogWriter;
  health: LogHealth;
  /** Writes every queued line. */
  flush(): Promise<void>;
  /** Stops retention and writes every queued line (call after the server stopped accepting). */
  close(): Promise<void>;
  /** Runs retention now; resolves to the deleted files (`tenant/name`). */
  sweep(): Promise<string[]>;
  /** Also exposes `resultgate_log_lines_lost_total` on `registry` (e.g. the admin port's). */
  registerMetrics(registry: Registry): void;
}

/**
 * Opens the logs under `options.dir` and runs retention once before resolving.
 * @example
 * const logs = await openLogs(policy.logs);
 * const deps = { ...otherDeps, accessLog: logs.accessLog, audit: logs.audit };
 * process.on('SIGTERM', async () => { await closeServer(); await logs.close(); });
 */
export async function openLogs(options: LogsOptions, runtime: LogsRuntime = {}): Promise<Logs> {
  const now = runtime.now ?? Date.now;
  const warn = runtime.warn ?? ((line: string) => void process.stderr.write(line));
  const health = new LogHealth({ now, registry: runtime.registry, warn });
  const stdout = options.stdout ? (runtime.stdoutStream ?? process.stdout) : undefined;
  const flushMs = runtime.flushMs ?? 50;
  const accessLog = new AccessLogWriter({ dir: options.dir, health, stdout, flushMs });
  const audit = new AuditLogWriter({ dir: options.dir, health, now, stdout, flushMs, warn });
  // A root that cannot be created is not fatal: writes fail, are counted, and health says so.
  await mkdir(options.dir, { recursive: true, mode: 0o750 }).catch(() => {});

  const sweep = () =>
    sweepRetention(options.dir, options.retentionDays, now()).catch((err: unknown) => {
      warn(`resultgate: log retention failed: ${(err as Error).message}\n`);
      return [] as string[];
    });
  await sweep();
  const timer = setInterval(() => void sweep(), runtime.retentionEveryMs ?? 3_600_000);
  timer.unref();

  const flush = async () => {
    await Promise.all([accessLog.flush(), audit.flush()]);
  };
  return {
    accessLog,
    audit,
    health,
    flush,
    sweep,
    registerMetrics(registry) {
      if (!registry.getSingleMetric(LOST_LINES_METRIC)) registry.registerMetric(health.counter);
    },
    async close() {
      clearInterval(timer);
      // Flushes, then releases the access log's open file handles at once (not at exit).
      await Promise.all([accessLog.close(), audit.flush()]);
    },
  };
}
