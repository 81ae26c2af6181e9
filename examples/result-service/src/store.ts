/**
 * Every read and write of results. Each query names the tenant, so no code path can reach another
 * tenant's rows; status changes go through {@link ResultStore.transition}, which records the step
 * in `result_events` and tells the listener (status webhooks).
 */
import { createHmac } from 'node:crypto';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { transaction } from './db.js';
import { STATUS_COLUMN, type ResultRow } from './resource.js';
import type { ResultInput, ResultStatus } from './schema.js';
import { hashPin, newAccessCode, newPin, newResultId } from './secrets.js';

/** Called after every status change, inside the same transaction. */
export type StatusListener = (
  row: ResultRow,
  status: ResultStatus,
  at: number,
  detail: string | null,
) => void;

/** Filters of a list query; `afterSeq` comes from the decoded cursor. */
export interface ListFilter {
  status?: ResultStatus | undefined;
  since?: number | undefined;
  afterSeq?: number | undefined;
  limit: number;
}

/** The statuses a result may leave for each target (terminal ones are never left). */
const FROM: Record<Exclude<ResultStatus, 'scheduled'>, readonly ResultStatus[]> = {
  published: ['scheduled'],
  notified: ['published'],
  viewed: ['published', 'notified', 'failed'],
  withdrawn: ['scheduled', 'published', 'notified', 'viewed', 'failed'],
  expired: ['scheduled', 'published', 'notified', 'viewed', 'failed'],
  failed: ['published'],
};

/** Result rows of all tenants, each call scoped to one. */
export class ResultStore {
  readonly db: DatabaseSync;
  readonly #pinKey: Buffer;
  readonly #contentKey: Buffer;
  readonly #listener: StatusListener;
  readonly #byId: StatementSync;
  readonly #byExternal: StatementSync;
  readonly #byCode: StatementSync;
  readonly #insert: StatementSync;
  readonly #event: StatementSync;

  /**
   * @param db the migrated database
   * @param pinKey the key PIN hashes are made with
   * @param listener told of every status change (e.g. to queue a webhook)
   */
  constructor(db: DatabaseSync, pinKey: Buffer, listener: StatusListener = () => {}) {
    this.db = db;
    this.#pinKey = pinKey;
    // Keyed, not a plain hash: the fingerprint covers names and e-mails, which are guessable.
    this.#contentKey = createHmac('sha256', pinKey).update('result content').digest();
    this.#listener = listener;
    this.#byId = db.prepare('SELECT * FROM results WHERE tenant = ? AND id = ?');
    this.#byExternal = db.prepare('SELECT * FROM results WHERE tenant = ? AND external_id = ?');
    this.#byCode = db.prepare('SELECT * FROM results WHERE tenant = ? AND access_code = ?');
    this.#insert =
      db.prepare(`INSERT INTO results (id, tenant, external_id, recipient, title, outcome, details,
      publish_at, expires_at, status, access_code, pin_hash, created_at, updated_at, content_hash)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'scheduled', ?, ?, ?, ?, ?)`);
    this.#event = db.prepare('INSERT INTO result_events (result_id, status, at, detail) VALUES (?, ?, ?, ?)');
  }

  /** A tenant's result by id. */
  get(tenant: string, id: string): ResultRow | undefined {
    return this.#byId.get(tenant, id) as ResultRow | undefined;
  }

  /**
   * A tenant's result by the integrator's key — the one lookup by `externalId` (sends, batches,
   * `GET /results/by-external-id/…`), served by the `UNIQUE (tenant, external_id)` index.
   */
  byExternalId(tenant: string, externalId: string): ResultRow | undefined {
    return this.#byExternal.get(tenant, externalId) as ResultRow | undefined;
  }

  /**
   * The fingerprint of a result as sent: a keyed hash of its canonical JSON, times normalised
   * (`+09:00` and `Z` spellings of one instant are the same content).
   */
  contentHash(input: ResultInput): string {
    const time = (t: string | undefined) => (t === undefined ? undefined : new Date(t).toISOString());
    const normal = { ...input, publishAt: time(input.publishAt), expiresAt: time(input.expiresAt) };
    return createHmac('sha256', this.#contentKey).update(canonicalJson(normal)).digest('base64url');
  }

  /** Whether `input` is exactly what was sent for `row` (false for rows stored before fingerprints). */
  sameContent(row: ResultRow, input: ResultInput): boolean {
    return row.content_hash !== null && row.content_hash === this.contentHash(input);
  }

  /** A tenant's result by access code (already normalised). */
  byAccessCode(tenant: string, code: string): ResultRow | undefined {
    return this.#byCode.get(tenant, code) as ResultRow | undefined;
  }

  /**
   * Stores a new result as `scheduled`, with a fresh access code and PIN (only the PIN's HMAC is
   * kept). The caller checks for a duplicate `externalId` first and runs this in a transaction.
   * @returns the row and the plain access code and PIN, to be shown once
   */
  insert(
    tenant: string,
    input: ResultInput,
    now: number,
  ): { row: ResultRow; accessCode: string; pin: string } {
    const id = newResultId();
    const pin = newPin();
    const publishAt = input.publishAt ? Date.parse(input.publishAt) : now;
    const expiresAt = input.expiresAt ? Date.parse(input.expiresAt) : null;
    const recipient = JSON.stringify(input.recipient);
    for (let attempt = 0; ; attempt++) {
      const accessCode = newAccessCode();
      if (this.byAccessCode(tenant, accessCode) && attempt < 5) continue; // ~59 bits: a clash is rare
      this.#insert.run(
        id,
        tenant,
        input.externalId,
        recipient,
        input.title,
        input.outcome,
        JSON.stringify(input.details),
        publishAt,
        expiresAt,
        accessCode,
        hashPin(this.#pinKey, id, pin),
        now,
        now,
        this.contentHash(input),
      );
      this.#event.run(id, 'scheduled', now, null);
      const row = this.get(tenant, id) as ResultRow;
      this.#listener(row, 'scheduled', now, null);
      return { row, accessCode, pin };
    }
  }

  /** A page of a tenant's results in creation order. */
  list(tenant: string, filter: ListFilter): ResultRow[] {
    const where = ['tenant = ?', 'seq > ?'];
    const args: (string | number)[] = [tenant, filter.afterSeq ?? 0];
    if (filter.status) {
      where.push('status = ?');
      args.push(filter.status);
    }
    if (filter.since !== undefined) {
      where.push('updated_at >= ?');
      args.push(filter.since);
    }
    const sql = `SELECT * FROM results WHERE ${where.join(' AND ')} ORDER BY seq LIMIT ?`;
    return this.db.prepare(sql).all(...args, filter.limit) as unknown as ResultRow[];
  }

  /** How many results a tenant has in each status. */
  counts(tenant: string): Record<ResultStatus, number> {
    const out = { scheduled: 0, published: 0, notified: 0, viewed: 0, withdrawn: 0, expired: 0, failed: 0 };
    const rows = this.db
      .prepare('SELECT status, COUNT(*) AS n FROM results WHERE tenant = ? GROUP BY status')
      .all(tenant);
    for (const r of rows as { status: ResultStatus; n: number }[]) out[r.status] = r.n;
    return out;
  }

  /** The recorded steps of a result, oldest first. */
  events(id: string): { status: ResultStatus; at: number; detail: string | null }[] {
    return this.db
      .prepare('SELECT status, at, detail FROM result_events WHERE result_id = ? ORDER BY seq')
      .all(id) as unknown as { status: ResultStatus; at: number; detail: string | null }[];
  }

  /**
   * Moves a result to `to` if its current status allows it; records the step and tells the listener.
   * @param detail e.g. the last error of a failed notification
   * @returns the updated row, or undefined when the move was not allowed (nothing changed)
   */
  transition(
    row: ResultRow,
    to: Exclude<ResultStatus, 'scheduled'>,
    now: number,
    detail: string | null = null,
  ) {
    const from = FROM[to];
    if (!from.includes(row.status)) return undefined;
    return transaction(this.db, () => {
      const column = STATUS_COLUMN[to];
      const extra = to === 'published' ? ', next_notify_at = ?' : to === 'failed' ? ', last_error = ?' : '';
      const extraArg = to === 'published' ? [now] : to === 'failed' ? [detail] : [];
      const res = this.db
        .prepare(`UPDATE results SET status = ?, ${column} = ?, updated_at = ?${extra}
          WHERE tenant = ? AND id = ? AND status IN (${from.map(() => '?').join(',')})`)
        .run(to, now, now, ...extraArg, row.tenant, row.id, ...from);
      if (res.changes === 0) return undefined;
      this.#event.run(row.id, to, now, detail);
      const updated = this.get(row.tenant, row.id) as ResultRow;
      this.#listener(updated, to, now, detail);
      return updated;
    });
  }

  /** Records a failed notification attempt and when to try again. */
  notifyFailed(row: ResultRow, error: string, nextAt: number, now: number): void {
    this.db
      .prepare(
        'UPDATE results SET notify_attempts = notify_attempts + 1, last_error = ?, next_notify_at = ?, updated_at = ? WHERE id = ?',
      )
      .run(error, nextAt, now, row.id);
  }

  /** Replaces a result's PIN (demo seeding prints a fresh one each start). */
  resetPin(tenant: string, id: string): string {
    const pin = newPin();
    this.db
      .prepare('UPDATE results SET pin_hash = ? WHERE tenant = ? AND id = ?')
      .run(hashPin(this.#pinKey, id, pin), tenant, id);
    return pin;
  }
}

/** JSON with object keys sorted at every level, `undefined` members left out. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}
