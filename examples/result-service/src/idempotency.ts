/**
 * `Idempotency-Key` handling for POSTs: the first answer is stored and replayed for a retry with
 * the same key and body; the same key with another body is refused; a key whose first request is
 * still running answers 409. Stored answers can hold an access code and PIN, so they are encrypted
 * with a key derived from the client's Idempotency-Key (never stored) and expire after a day.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import type { DatabaseSync, StatementSync } from 'node:sqlite';

/** What a claim found: go ahead, replay a stored answer, or refuse. */
export type Claim =
  | { kind: 'new' }
  | { kind: 'replay'; status: number; body: unknown }
  | { kind: 'mismatch' }
  | { kind: 'running' };

interface Row {
  request_hash: string;
  state: string;
  status_code: number | null;
  body: string | null;
  created_at: number;
}

/** Stored answers of idempotent requests, per tenant. */
export class IdempotencyStore {
  readonly #key: Buffer;
  readonly #now: () => number;
  readonly #ttlMs: number;
  readonly #staleMs: number;
  readonly #get: StatementSync;
  readonly #insert: StatementSync;
  readonly #reclaim: StatementSync;
  readonly #complete: StatementSync;
  readonly #release: StatementSync;
  readonly #purge: StatementSync;

  /**
   * @param db the service database
   * @param key the derived idempotency key
   * @param now the clock
   * @param ttlMs how long an answer is replayed @default 24h
   * @param staleMs after how long a never-completed claim (a crash) may be taken over @default 60s
   */
  constructor(db: DatabaseSync, key: Buffer, now: () => number, ttlMs = 86_400_000, staleMs = 60_000) {
    this.#key = key;
    this.#now = now;
    this.#ttlMs = ttlMs;
    this.#staleMs = staleMs;
    this.#get = db.prepare(
      'SELECT request_hash, state, status_code, body, created_at FROM idempotency_keys WHERE tenant = ? AND key_hash = ?',
    );
    this.#insert = db.prepare(
      "INSERT INTO idempotency_keys (tenant, key_hash, request_hash, state, created_at) VALUES (?, ?, ?, 'running', ?)",
    );
    this.#reclaim = db.prepare(
      "UPDATE idempotency_keys SET request_hash = ?, state = 'running', status_code = NULL, body = NULL, created_at = ? WHERE tenant = ? AND key_hash = ?",
    );
    this.#complete = db.prepare(
      "UPDATE idempotency_keys SET state = 'done', status_code = ?, body = ? WHERE tenant = ? AND key_hash = ?",
    );
    this.#release = db.prepare('DELETE FROM idempotency_keys WHERE tenant = ? AND key_hash = ?');
    this.#purge = db.prepare('DELETE FROM idempotency_keys WHERE created_at < ?');
  }

  #mac(label: string, tenant: string, key: string): Buffer {
    return createHmac('sha256', this.#key).update(`${label}\n${tenant}\n${key}`).digest();
  }

  /**
   * Claims a key for a request, or says why not.
   * @param requestHash a fingerprint of method, path and body
   */
  claim(tenant: string, key: string, requestHash: string): Claim {
    const id = this.#mac('id', tenant, key).toString('hex');
    const now = this.#now();
    const row = this.#get.get(tenant, id) as Row | undefined;
    const expired = row !== undefined && row.created_at < now - this.#ttlMs;
    const abandoned = row?.state === 'running' && row.created_at < now - this.#staleMs;
    if (!row) {
      this.#insert.run(tenant, id, requestHash, now);
      return { kind: 'new' };
    }
    if (expired || abandoned) {
      this.#reclaim.run(requestHash, now, tenant, id);
      return { kind: 'new' };
    }
    if (row.request_hash !== requestHash) return { kind: 'mismatch' };
    if (row.state === 'running' || row.body === null) return { kind: 'running' };
    return {
      kind: 'replay',
      status: row.status_code ?? 200,
      body: JSON.parse(this.#open(tenant, key, row.body)),
    };
  }

  /** Stores the answer of a claimed key. */
  complete(tenant: string, key: string, status: number, body: unknown): void {
    const id = this.#mac('id', tenant, key).toString('hex');
    this.#complete.run(status, this.#seal(tenant, key, JSON.stringify(body)), tenant, id);
  }

  /** Forgets a claim whose request failed before doing anything, so a retry may run. */
  release(tenant: string, key: string): void {
    this.#release.run(tenant, this.#mac('id', tenant, key).toString('hex'));
  }

  /** Deletes answers older than the TTL; returns how many. */
  purge(): number {
    return Number(this.#purge.run(this.#now() - this.#ttlMs).changes);
  }

  #seal(tenant: string, key: string, plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#mac('enc', tenant, key), iv);
    const ct = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), ct]).toString('base64url');
  }

  #open(tenant: string, key: string, sealed: string): string {
    const raw = Buffer.from(sealed, 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', this.#mac('enc', tenant, key), raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  }
}
