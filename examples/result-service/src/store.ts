/**
 * Every read and write of results. Each query names the tenant, so no code path can reach another
 * tenant's rows; status changes go through {@link ResultStore.transition}, which records the step
 * in `result_events` and tells the listener (status webhooks).
 *
 * Personal fields — external id, recipient (name, e-mail), title, outcome, details, access code,
 * the last notification error and event details — are stored sealed with the tenant's key
 * (crypto/row-cipher.ts); external id and access code are found through keyed hashes. Callers see
 * plain {@link ResultRow}s: sealing happens here and nowhere else.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { Keyring } from './crypto/keyring.js';
import { RowCipher } from './crypto/row-cipher.js';
import { transaction } from './db.js';
import { type ResultRow, STATUS_COLUMN } from './resource.js';
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

/** Filters of the admin list (newest first); `beforeSeq` pages back from a row. */
export interface SearchFilter {
  status?: ResultStatus | undefined;
  /** An exact external id or recipient id. */
  query?: string | undefined;
  beforeSeq?: number | undefined;
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

/** A `results` row as stored: hashes and a sealed blob instead of the personal fields. */
interface StoredRow extends Omit<ResultRow, 'external_id' | 'access_code'> {
  external_id_hash: string;
  access_code_hash: string;
  key_id: string | null;
  sealed: Uint8Array | null;
}

/** The personal fields sealed together in `results.sealed`. */
interface Sealed {
  externalId: string;
  recipient: string;
  title: string;
  outcome: string;
  details: string;
  accessCode: string;
}

const LIVE = "('scheduled','published','notified','viewed','failed')";

/** A cipher over a throw-away in-memory keyring, for a store built without one (tests). */
function ephemeralCipher(): RowCipher {
  const master = randomBytes(32);
  return new RowCipher(new Keyring({ masterKey: () => master }));
}

/** Result rows of all tenants, each call scoped to one. */
export class ResultStore {
  readonly db: DatabaseSync;
  readonly cipher: RowCipher;
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
   * @param cipher seals personal fields @default a throw-away in-memory keyring (tests only)
   */
  constructor(
    db: DatabaseSync,
    pinKey: Buffer,
    listener: StatusListener = () => {},
    cipher: RowCipher = ephemeralCipher(),
  ) {
    this.db = db;
    this.cipher = cipher;
    this.#pinKey = pinKey;
    // Keyed, not a plain hash: the fingerprint covers names and e-mails, which are guessable.
    this.#contentKey = createHmac('sha256', pinKey).update('result content').digest();
    this.#listener = listener;
    this.#byId = db.prepare('SELECT * FROM results WHERE tenant = ? AND id = ?');
    this.#byExternal = db.prepare('SELECT * FROM results WHERE tenant = ? AND external_id_hash = ?');
    this.#byCode = db.prepare('SELECT * FROM results WHERE tenant = ? AND access_code_hash = ?');
    this.#insert = db.prepare(`INSERT INTO results (id, tenant, external_id_hash, recipient, title, outcome,
      details, publish_at, expires_at, status, access_code_hash, pin_hash, created_at, updated_at, content_hash,
      key_id, sealed) VALUES (?, ?, ?, '', '', '', '', ?, ?, 'scheduled', ?, ?, ?, ?, ?, ?, ?)`);
    this.#event = db.prepare('INSERT INTO result_events (result_id, status, at, detail) VALUES (?, ?, ?, ?)');
    this.#sealLegacyRows();
  }

  /** A tenant's result by id. */
  get(tenant: string, id: string): ResultRow | undefined {
    return this.#decode(this.#byId.get(tenant, id));
  }

  /**
   * A tenant's result by the integrator's key — the one lookup by `externalId` (sends, batches,
   * `GET /results/by-external-id/…`): by its keyed hash, served by the
   * `UNIQUE (tenant, external_id_hash)` index.
   */
  byExternalId(tenant: string, externalId: string): ResultRow | undefined {
    const hash = this.cipher.lookupHash(tenant, 'external_id', externalId);
    return hash === undefined ? undefined : this.#decode(this.#byExternal.get(tenant, hash));
  }

  /**
   * The fingerprint of a result as sent: a keyed hash of its canonical JSON, times normalised
   * (`+09:00` and `Z` spellings of one instant are the same content). Keyed with the tenant's
   * lookup key, so a purge (which destroys that key) leaves no fingerprint to test guesses of a
   * name or an outcome against; a tenant without a key yet (a dry run) gets the service key's.
   * @param create make the tenant's key when it has none (writes)
   */
  contentHash(tenant: string, input: ResultInput, create = false): string {
    const time = (t: string | undefined) => (t === undefined ? undefined : new Date(t).toISOString());
    const normal = canonicalJson({
      ...input,
      publishAt: time(input.publishAt),
      expiresAt: time(input.expiresAt),
    });
    return (
      this.cipher.lookupHash(tenant, 'content', normal, create) ??
      createHmac('sha256', this.#contentKey).update(normal).digest('base64url')
    );
  }

  /** Whether `input` is exactly what was sent for `row` (false for rows stored before fingerprints). */
  sameContent(row: ResultRow, input: ResultInput): boolean {
    return row.content_hash !== null && row.content_hash === this.contentHash(row.tenant, input);
  }

  /** A tenant's result by access code (already normalised; found by its keyed hash). */
  byAccessCode(tenant: string, code: string): ResultRow | undefined {
    const hash = this.cipher.lookupHash(tenant, 'access_code', code);
    return hash === undefined ? undefined : this.#decode(this.#byCode.get(tenant, hash));
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
    const externalHash = this.cipher.lookupHash(tenant, 'external_id', input.externalId, true)!;
    for (let attempt = 0; ; attempt++) {
      const accessCode = newAccessCode();
      const codeHash = this.cipher.lookupHash(tenant, 'access_code', accessCode, true)!;
      if (this.#byCode.get(tenant, codeHash) && attempt < 5) continue; // ~59 bits: a clash is rare
      const sealed: Sealed = {
        externalId: input.externalId,
        recipient: JSON.stringify(input.recipient),
        title: input.title,
        outcome: input.outcome,
        details: JSON.stringify(input.details),
        accessCode,
      };
      this.#insert.run(
        id,
        tenant,
        externalHash,
        publishAt,
        expiresAt,
        codeHash,
        hashPin(this.#pinKey, id, pin),
        now,
        now,
        this.contentHash(tenant, input, true),
        this.cipher.keyId(tenant),
        this.cipher.seal(tenant, `${id}\nrow`, JSON.stringify(sealed)),
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
    return this.#decodeAll(this.db.prepare(sql).all(...args, filter.limit));
  }

  /** A tenant's latest results, newest first, optionally of one status (the admin page). */
  latest(tenant: string, status: ResultStatus | undefined, limit: number): ResultRow[] {
    const sql = `SELECT * FROM results WHERE tenant = ?${status ? ' AND status = ?' : ''} ORDER BY seq DESC LIMIT ?`;
    return this.#decodeAll(this.db.prepare(sql).all(...(status ? [tenant, status] : [tenant]), limit));
  }

  /**
   * A page of a tenant's results, newest first, for the admin pages: by status, and by an exact
   * external id or recipient id (what a school office has in hand when a parent calls). The
   * external id is matched by its keyed hash; the recipient id is sealed with the row, so rows are
   * opened newest first, 500 at a time, until the page is full (a tenant's rows, never another's).
   */
  search(tenant: string, filter: SearchFilter): ResultRow[] {
    const where = ['tenant = ?', 'seq < ?'];
    const base: (string | number)[] = [tenant];
    if (filter.status) {
      where.push('status = ?');
      base.push(filter.status);
    }
    const sql = `SELECT * FROM results WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT ?`;
    const statement = this.db.prepare(sql);
    const page = (before: number, limit: number) =>
      statement.all(tenant, before, ...base.slice(1), limit) as unknown as StoredRow[];
    const start = filter.beforeSeq ?? Number.MAX_SAFE_INTEGER;
    const query = filter.query;
    if (!query) return this.#decodeAll(page(start, filter.limit));
    const hash = this.cipher.lookupHash(tenant, 'external_id', query);
    const out: ResultRow[] = [];
    const CHUNK = 500;
    for (let before = start; out.length < filter.limit; ) {
      const chunk = page(before, CHUNK);
      for (const raw of chunk) {
        if (hash !== undefined && raw.external_id_hash === hash) out.push(this.#decode(raw) as ResultRow);
        else {
          const row = this.#decode(raw) as ResultRow;
          if ((JSON.parse(row.recipient) as { id?: string }).id === query) out.push(row);
        }
        if (out.length >= filter.limit) break;
      }
      const last = chunk.at(-1);
      if (chunk.length < CHUNK || !last) break;
      before = last.seq;
    }
    return out;
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
    const rows = this.db
      .prepare(`SELECT e.status, e.at, e.detail, r.tenant FROM result_events e
        JOIN results r ON r.id = e.result_id WHERE e.result_id = ? ORDER BY e.seq`)
      .all(id) as unknown as { status: ResultStatus; at: number; detail: string | null; tenant: string }[];
    return rows.map((e) => ({
      status: e.status,
      at: e.at,
      detail: this.cipher.openText(e.tenant, `${id}\nevent`, e.detail),
    }));
  }

  /** Results of every tenant that are due for a scheduler job (oldest first, at most `limit`). */
  due(job: 'publish' | 'expire' | 'notify', now: number, limit: number): ResultRow[] {
    const where = {
      publish: "status = 'scheduled' AND publish_at <= ?",
      expire: `status IN ${LIVE} AND expires_at <= ?`,
      notify: "status = 'published' AND next_notify_at <= ?",
    }[job];
    return this.#decodeAll(this.db.prepare(`SELECT * FROM results WHERE ${where} LIMIT ?`).all(now, limit));
  }

  /** Stops notification attempts for a result (no channel reaches its recipient). */
  clearNotify(row: ResultRow): void {
    this.db.prepare('UPDATE results SET next_notify_at = NULL WHERE id = ?').run(row.id);
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
      const extraArg =
        to === 'published'
          ? [now]
          : to === 'failed'
            ? [this.cipher.sealText(row.tenant, `${row.id}\nlast_error`, detail)]
            : [];
      const res = this.db
        .prepare(`UPDATE results SET status = ?, ${column} = ?, updated_at = ?${extra}
          WHERE tenant = ? AND id = ? AND status IN (${from.map(() => '?').join(',')})`)
        .run(to, now, now, ...extraArg, row.tenant, row.id, ...from);
      if (res.changes === 0) return undefined;
      this.#event.run(row.id, to, now, this.cipher.sealText(row.tenant, `${row.id}\nevent`, detail));
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
      .run(this.cipher.sealText(row.tenant, `${row.id}\nlast_error`, error), nextAt, now, row.id);
  }

  /** Replaces a result's PIN (demo seeding prints a fresh one each start). */
  resetPin(tenant: string, id: string): string {
    const pin = newPin();
    this.db
      .prepare('UPDATE results SET pin_hash = ? WHERE tenant = ? AND id = ?')
      .run(hashPin(this.#pinKey, id, pin), tenant, id);
    return pin;
  }

  /**
   * Wrong PINs typed for an access code since `since`: how many, and when the first was. The code
   * is kept only as its keyed hash, so the table never lists valid codes.
   */
  pinFailures(tenant: string, code: string, since: number): { n: number; first: number | null } {
    return this.db
      .prepare(
        'SELECT COUNT(*) AS n, MIN(at) AS first FROM pin_failures WHERE tenant = ? AND access_code_hash = ? AND at > ?',
      )
      .get(tenant, this.#codeKey(tenant, code), since) as { n: number; first: number | null };
  }

  /** Records a wrong PIN (or an unknown code) typed for an access code. */
  addPinFailure(tenant: string, code: string, at: number): void {
    this.db
      .prepare('INSERT INTO pin_failures (tenant, access_code_hash, at) VALUES (?, ?, ?)')
      .run(tenant, this.#codeKey(tenant, code), at);
  }

  /** Forgets an access code's wrong PINs (after the right one). */
  clearPinFailures(tenant: string, code: string): void {
    this.db
      .prepare('DELETE FROM pin_failures WHERE tenant = ? AND access_code_hash = ?')
      .run(tenant, this.#codeKey(tenant, code));
  }

  // A code typed for a tenant without a key (so without results) still needs a stable hash to be
  // counted under: an HMAC with the PIN key stands in.
  #codeKey(tenant: string, code: string): string {
    return this.cipher.lookupHash(tenant, 'access_code', code) ?? hashPin(this.#pinKey, tenant, code);
  }

  #decodeAll(rows: unknown[]): ResultRow[] {
    return rows.map((r) => this.#decode(r) as ResultRow);
  }

  #decode(raw: unknown): ResultRow | undefined {
    if (raw === undefined) return undefined;
    const { external_id_hash, access_code_hash, key_id, sealed, ...stored } = raw as StoredRow;
    const open = JSON.parse(this.cipher.open(stored.tenant, `${stored.id}\nrow`, sealed!)) as Sealed;
    return {
      ...stored,
      external_id: open.externalId,
      recipient: open.recipient,
      title: open.title,
      outcome: open.outcome,
      details: open.details,
      access_code: open.accessCode,
      last_error: this.cipher.openText(stored.tenant, `${stored.id}\nlast_error`, stored.last_error),
    };
  }

  /**
   * Seals rows written before schema version 3 (plaintext), then compacts the file so the old
   * plaintext does not linger in free pages or the WAL.
   */
  #sealLegacyRows(): void {
    const legacy = this.db.prepare('SELECT * FROM results WHERE sealed IS NULL').all() as unknown as (Omit<
      StoredRow,
      'external_id_hash' | 'access_code_hash'
    > & { external_id_hash: string; access_code_hash: string })[];
    if (legacy.length === 0) return;
    transaction(this.db, () => {
      const update =
        this.db.prepare(`UPDATE results SET external_id_hash = ?, access_code_hash = ?, key_id = ?,
        sealed = ?, recipient = '', title = '', outcome = '', details = '', last_error = ?, content_hash = NULL
        WHERE id = ?`);
      const events = this.db.prepare(
        'SELECT seq, detail FROM result_events WHERE result_id = ? AND detail IS NOT NULL',
      );
      const setDetail = this.db.prepare('UPDATE result_events SET detail = ? WHERE seq = ?');
      for (const r of legacy) {
        const t = r.tenant;
        const sealed: Sealed = {
          externalId: r.external_id_hash,
          recipient: r.recipient,
          title: r.title,
          outcome: r.outcome,
          details: r.details,
          accessCode: r.access_code_hash,
        };
        update.run(
          this.cipher.lookupHash(t, 'external_id', r.external_id_hash, true)!,
          this.cipher.lookupHash(t, 'access_code', r.access_code_hash, true)!,
          this.cipher.keyId(t),
          this.cipher.seal(t, `${r.id}\nrow`, JSON.stringify(sealed)),
          this.cipher.sealText(t, `${r.id}\nlast_error`, r.last_error),
          r.id,
        );
        for (const e of events.all(r.id) as { seq: number; detail: string }[]) {
          setDetail.run(this.cipher.sealText(t, `${r.id}\nevent`, e.detail), e.seq);
        }
      }
      this.db.exec('DELETE FROM pin_failures');
    });
    this.db.exec('VACUUM; PRAGMA wal_checkpoint(TRUNCATE);');
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
