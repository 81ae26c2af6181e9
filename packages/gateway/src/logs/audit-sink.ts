/**
 * The audit sink: security events sealed onto a per-tenant hash chain and appended
 * asynchronously, in order, to `<dir>/<tenant>/audit-YYYY-MM-DD.jsonl`.
 */
import { join, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import type { AuditEvent, AuditSink } from '../types.js';
import { type ChainHead, sealRecord } from './chain.js';
import { appendText, tenantDirName } from './files.js';
import { readHeadFile, recoverHead, withChainLock, writeHeadFile } from './head.js';
import type { LogHealth } from './health.js';

/** Options of {@link AuditLogWriter}. */
export interface AuditLogWriterOptions {
  dir: string;
  health: LogHealth;
  now: () => number;
  /** Also copy every line here (`logs.stdout`). */
  stdout?: Writable;
  /** Longest an event waits in memory. @default 50 */
  flushMs?: number;
  /** Told once per tenant whose head file is ahead of its files (the chain's head was cut). */
  warn?: (line: string) => void;
}

interface Pending {
  event: AuditEvent;
  ts: string;
}

const MAX_QUEUED = 100_000;

/** Keys that must never reach a log line, whatever a caller puts into an event. */
const SECRET_KEY = /pass|secret|token|authorization|cookie|credential/i;

/** The chained, batched audit writer (implements the pipeline's {@link AuditSink}). */
export class AuditLogWriter implements AuditSink {
  private readonly root: string;
  private readonly heads = new Map<string, ChainHead>();
  private pending = new Map<string, Pending[]>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  /** Events accepted and not yet written (bounded by MAX_QUEUED). */
  private queued = 0;
  /** Tenants whose cut head was already reported on stderr. */
  private readonly warnedCut = new Set<string>();

  constructor(private readonly options: AuditLogWriterOptions) {
    this.root = resolve(options.dir);
  }

  /** Queues one event; `ts` is taken now, `seq`/`prev`/`hash` when it is written. Never throws. */
  write(event: AuditEvent): void {
    // A flood of failed logins against a stalled disk must not grow memory without bound.
    if (this.queued >= MAX_QUEUED) {
      this.options.health.failed('audit', this.root, 1, new Error('audit queue full'));
      return;
    }
    this.queued++;
    const clean: AuditEvent = { type: event.type, tenant: tenantDirName(String(event.tenant)) };
    for (const key of Object.keys(event)) {
      if (key !== 'type' && key !== 'tenant' && !SECRET_KEY.test(key)) clean[key] = event[key];
    }
    const item = { event: clean, ts: new Date(this.options.now()).toISOString() };
    const queue = this.pending.get(clean.tenant);
    if (queue) queue.push(item);
    else this.pending.set(clean.tenant, [item]);
    if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), this.options.flushMs ?? 50);
      this.timer.unref();
    }
  }

  /** Writes everything queued so far; resolves when it is on disk (or counted lost). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.size === 0) return this.running;
    const batch = this.pending;
    this.pending = new Map();
    this.running = this.running.then(async () => {
      await Promise.all([...batch].map(([tenant, items]) => this.writeTenant(tenant, items)));
      for (const items of batch.values()) this.queued -= items.length;
    });
    return this.running;
  }

  /**
   * The head to continue from. The in-memory head is trusted while the head file still says the
   * same; otherwise another process (a CLI command) wrote to the chain, or it was cut or purged,
   * and the head is recovered from disk.
   */
  private async currentHead(tenant: string, dir: string): Promise<ChainHead> {
    const known = this.heads.get(tenant);
    const recorded = await readHeadFile(dir).catch(() => undefined);
    if (known && recorded && recorded.seq === known.seq && recorded.hash === known.hash) return known;
    const { head, cut } = await recoverHead(dir);
    if (cut && !this.warnedCut.has(tenant)) {
      this.warnedCut.add(tenant);
      (this.options.warn ?? ((l) => process.stderr.write(l)))(
        `resultgate: audit chain of ${tenant} ends before its recorded head (seq ${head.seq}): lines were removed; continuing from the head so the gap stays visible\n`,
      );
    }
    this.heads.set(tenant, head);
    return head;
  }

  private writeTenant(tenant: string, items: Pending[]): Promise<void> {
    const dir = join(this.root, tenant);
    return withChainLock(dir, () => this.writeLocked(tenant, dir, items)).catch((err: unknown) =>
      this.options.health.failed('audit', dir, items.length, err),
    );
  }

  private async writeLocked(tenant: string, dir: string, items: Pending[]): Promise<void> {
    let head: ChainHead;
    try {
      head = await this.currentHead(tenant, dir);
    } catch (err) {
      this.options.health.failed('audit', dir, items.length, err);
      return;
    }
    // Group by day; seal each group from the committed head right before writing it, so a
    // failed write loses its lines without breaking the chain of the lines that follow.
    const groups = new Map<string, Pending[]>();
    for (const item of items) {
      const day = item.ts.slice(0, 10);
      const group = groups.get(day);
      if (group) group.push(item);
      else groups.set(day, [item]);
    }
    let wrote = false;
    for (const [day, group] of groups) {
      let next: ChainHead = head;
      let text = '';
      for (const item of group) {
        const sealed = sealRecord(item.event, item.ts, next);
        text += sealed.line;
        next = sealed.head;
      }
      const file = join(dir, `audit-${day}.jsonl`);
      try {
        await appendText(file, text);
        this.options.health.ok(file);
        this.options.stdout?.write(text);
        head = next;
        this.heads.set(tenant, head);
        wrote = true;
      } catch (err) {
        this.options.health.failed('audit', file, group.length, err);
      }
    }
    if (wrote) {
      await writeHeadFile(dir, head).catch((err: unknown) =>
        this.options.health.failed('audit', join(dir, 'audit-head.json'), 0, err),
      );
    }
  }
}
