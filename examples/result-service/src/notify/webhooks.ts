/**
 * Status webhooks to a tenant's integration URL, signed per Standard Webhooks
 * (https://www.standardwebhooks.com): `webhook-id`, `webhook-timestamp` (unix seconds) and
 * `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, keyed with the bytes of a
 * `whsec_<base64>` secret. Each event is queued in `webhook_deliveries` in the same transaction as
 * the status change, retried with backoff, and every attempt is recorded in `webhook_attempts`.
 */
import { createHmac, randomUUID } from 'node:crypto';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { RowCipher } from '../crypto/row-cipher.js';

/** Where a tenant receives its webhooks. */
export interface WebhookTarget {
  url: string;
  /** `whsec_` + base64 of the key bytes (any other string is used as raw UTF-8 bytes). */
  secret: string;
}

/** Default waits before each retry, after the first attempt (the Standard Webhooks example schedule). */
export const WEBHOOK_RETRY_MS = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000];

function keyBytes(secret: string): Buffer {
  return secret.startsWith('whsec_') ? Buffer.from(secret.slice(6), 'base64') : Buffer.from(secret);
}

/**
 * Signs a webhook body.
 * @param timestamp unix seconds
 * @returns the `webhook-signature` value, `v1,<base64>`
 * @example signWebhook('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'msg_1', 1700000000, '{}')
 */
export function signWebhook(secret: string, id: string, timestamp: number, body: string): string {
  return `v1,${createHmac('sha256', keyBytes(secret)).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

interface DeliveryRow {
  id: string;
  tenant: string;
  url: string;
  payload: string;
  attempts: number;
}

/** The queue of status webhooks, per tenant. */
export class WebhookOutbox {
  readonly #targets: Record<string, WebhookTarget>;
  readonly #now: () => number;
  readonly #fetch: typeof fetch;
  readonly #retryMs: readonly number[];
  readonly #insert: StatementSync;
  readonly #due: StatementSync;
  readonly #attempt: StatementSync;
  readonly #update: StatementSync;
  readonly #cipher: RowCipher | undefined;

  /**
   * @param targets tenant → URL and secret; tenants without one get no webhooks
   * @param retryMs waits before each retry @default WEBHOOK_RETRY_MS
   * @param cipher seals queued payloads with the tenant's key (they carry the external id and
   *   notification errors); without one they are stored as they are sent
   */
  constructor(
    db: DatabaseSync,
    targets: Record<string, WebhookTarget>,
    now: () => number,
    fetchFn: typeof fetch = fetch,
    retryMs: readonly number[] = WEBHOOK_RETRY_MS,
    cipher?: RowCipher,
  ) {
    this.#cipher = cipher;
    this.#targets = targets;
    this.#now = now;
    this.#fetch = fetchFn;
    this.#retryMs = retryMs;
    this.#insert = db.prepare(`INSERT INTO webhook_deliveries (id, tenant, url, event_type, payload, state,
      next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)`);
    this.#due = db.prepare(`SELECT id, tenant, url, payload, attempts FROM webhook_deliveries
      WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY created_at LIMIT 50`);
    this.#attempt = db.prepare(
      'INSERT INTO webhook_attempts (delivery_id, at, status_code, error, duration_ms) VALUES (?, ?, ?, ?, ?)',
    );
    this.#update =
      db.prepare(`UPDATE webhook_deliveries SET state = ?, attempts = attempts + 1, next_attempt_at = ?,
      last_status = ?, last_error = ?, delivered_at = ? WHERE id = ?`);
  }

  /** Queues an event for a tenant (no-op without a target); returns its `webhook-id`. */
  enqueue(tenant: string, type: string, data: Record<string, unknown>): string | undefined {
    const target = this.#targets[tenant];
    if (!target) return undefined;
    const now = this.#now();
    const id = `msg_${randomUUID().replaceAll('-', '')}`;
    const payload = JSON.stringify({ type, timestamp: new Date(now).toISOString(), data });
    const stored = this.#cipher ? this.#cipher.sealText(tenant, `${id}\nwebhook`, payload)! : payload;
    this.#insert.run(id, tenant, target.url, type, stored, now, now);
    return id;
  }

  /** Attempts every due delivery once; returns how many were delivered. */
  async deliverDue(): Promise<number> {
    let delivered = 0;
    for (const row of this.#due.all(this.#now()) as unknown as DeliveryRow[]) {
      if (this.#cipher) row.payload = this.#cipher.openText(row.tenant, `${row.id}\nwebhook`, row.payload)!;
      if (await this.#deliver(row)) delivered++;
    }
    return delivered;
  }

  async #deliver(row: DeliveryRow): Promise<boolean> {
    const secret = this.#targets[row.tenant]?.secret;
    const started = this.#now();
    let status: number | null = null;
    let error: string | null = null;
    if (secret === undefined) {
      error = 'no webhook configured for the tenant any more';
    } else {
      const timestamp = Math.floor(started / 1000);
      try {
        const res = await this.#fetch(row.url, {
          method: 'POST',
          redirect: 'manual',
          signal: AbortSignal.timeout(10_000),
          headers: {
            'content-type': 'application/json',
            'webhook-id': row.id,
            'webhook-timestamp': String(timestamp),
            'webhook-signature': signWebhook(secret, row.id, timestamp, row.payload),
          },
          body: row.payload,
        });
        status = res.status;
        await res.body?.cancel();
        if (status < 200 || status > 299) error = `HTTP ${status}`;
      } catch (err) {
        error = err instanceof Error ? err.message : String(err);
      }
    }
    const now = this.#now();
    this.#attempt.run(row.id, now, status, error, Math.max(0, now - started));
    const wait = this.#retryMs[row.attempts];
    const state =
      error === null ? 'delivered' : wait === undefined || secret === undefined ? 'failed' : 'pending';
    const next = state === 'pending' ? now + (wait ?? 0) : null;
    this.#update.run(state, next, status, error, error === null ? now : null, row.id);
    return error === null;
  }
}
