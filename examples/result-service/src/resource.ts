/** The stored row of a result and its API form. */
import type { Recipient, ResultResource, ResultStatus } from './schema.js';

/** A row of the `results` table. */
export interface ResultRow {
  seq: number;
  id: string;
  tenant: string;
  external_id: string;
  recipient: string;
  title: string;
  outcome: string;
  details: string;
  publish_at: number;
  expires_at: number | null;
  status: ResultStatus;
  access_code: string;
  pin_hash: string;
  created_at: number;
  updated_at: number;
  published_at: number | null;
  notified_at: number | null;
  viewed_at: number | null;
  withdrawn_at: number | null;
  expired_at: number | null;
  failed_at: number | null;
  notify_attempts: number;
  next_notify_at: number | null;
  last_error: string | null;
  /** Keyed fingerprint of the content as sent (null for rows from before migration 3). */
  content_hash: string | null;
}

/** The column that records when a result entered each status. */
export const STATUS_COLUMN: Record<ResultStatus, keyof ResultRow> = {
  scheduled: 'created_at',
  published: 'published_at',
  notified: 'notified_at',
  viewed: 'viewed_at',
  withdrawn: 'withdrawn_at',
  expired: 'expired_at',
  failed: 'failed_at',
};

/** UTC ISO 8601 with milliseconds, or null. */
export function iso(ms: number): string;
export function iso(ms: number | null): string | null;
export function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/** Parsed recipient of a row. */
export function recipientOf(row: ResultRow): Recipient {
  return JSON.parse(row.recipient) as Recipient;
}

/** Parsed details of a row: a string or an object. */
export function detailsOf(row: ResultRow): ResultResource['details'] {
  return JSON.parse(row.details) as ResultResource['details'];
}

/** The API form of a row (never the PIN hash; the access code only on create, added by the caller). */
export function toResource(row: ResultRow): ResultResource {
  return {
    id: row.id,
    externalId: row.external_id,
    recipient: recipientOf(row),
    title: row.title,
    outcome: row.outcome,
    details: detailsOf(row),
    publishAt: iso(row.publish_at),
    expiresAt: iso(row.expires_at),
    status: row.status,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
    publishedAt: iso(row.published_at),
    notifiedAt: iso(row.notified_at),
    viewedAt: iso(row.viewed_at),
    withdrawnAt: iso(row.withdrawn_at),
    expiredAt: iso(row.expired_at),
    failedAt: iso(row.failed_at),
    lastError: row.last_error,
  };
}
