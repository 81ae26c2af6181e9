/**
 * Result API v1 types (docs/architecture.md §8). Unions of strings tolerate values a newer server adds:
 * `(string & {})` keeps editor completion for the known ones while accepting any string.
 */

/** Where a result is in its lifecycle: `scheduled → published → notified → viewed`, or an end state. */
export type ResultStatus =
  | 'scheduled'
  | 'published'
  | 'notified'
  | 'viewed'
  | 'withdrawn'
  | 'expired'
  | 'failed'
  | (string & {});

/** The person a result is for. `name` and `email` are personal data: never logged by the SDK. */
export interface Recipient {
  /** The integrator's id for the person (exam number, employee id). */
  id: string;
  name?: string;
  email?: string;
}

/** A result as the integrator sends it. */
export interface ResultInput {
  /** The integrator's own key; the default idempotency key is derived from it. */
  externalId: string;
  recipient: Recipient;
  title: string;
  /** e.g. `合格` / `pass` / `offer`. Personal data: never logged. */
  outcome: string;
  /** Free-form details shown to the recipient. Personal data: never logged. */
  details?: string | Record<string, unknown>;
  /** ISO 8601; when absent the result is published at once. */
  publishAt?: string;
  /** ISO 8601; after this the result is no longer shown. */
  expiresAt?: string;
}

/** One step of a result's history. */
export interface StatusStep {
  status: ResultStatus;
  /** ISO 8601 UTC. */
  at: string;
  /** e.g. the error of a failed notification. */
  detail?: string;
}

/**
 * A stored result, as the service returns it (the OpenAPI document's `Result`). Each `…At` is
 * ISO 8601 UTC, or `null` while that step has not happened. No index signature: a misspelt field
 * (`r.viewedat`) does not compile.
 */
export interface Result {
  id: string;
  /** The integrator's own key, unique per tenant. */
  externalId: string;
  recipient: Recipient;
  title: string;
  /** Personal data: never logged by the SDK. */
  outcome: string;
  /** Personal data: never logged by the SDK. */
  details: string | Record<string, unknown>;
  status: ResultStatus;
  publishAt: string;
  expiresAt: string | null;
  createdAt: string;
  updatedAt: string;
  publishedAt: string | null;
  notifiedAt: string | null;
  viewedAt: string | null;
  withdrawnAt: string | null;
  expiredAt: string | null;
  failedAt: string | null;
  /** Why the last notification failed (for `failed`). */
  lastError: string | null;
}

/** What `send` returns: the stored result plus, when this call created it, its access code and PIN. */
export interface CreatedResult extends Result {
  /** Returned only by the call that created the result: print it on the recipient's letter. */
  accessCode?: string;
  pin?: string;
}

/** `GET /api/v1/results/{id}/status`: the current status and the time of each step. */
export interface ResultStatusInfo {
  id: string;
  externalId: string;
  status: ResultStatus;
  /** Every step so far, oldest first. */
  steps: StatusStep[];
  notifyAttempts: number;
  lastError: string | null;
}

/** What `send(item, { dryRun: true })` returns: the validated preview; nothing was stored. */
export interface DryRunResult {
  dryRun: true;
  result: Omit<ResultInput, 'expiresAt' | 'publishAt'> & {
    status: 'scheduled';
    publishAt: string;
    expiresAt: string | null;
  };
}

/**
 * Per-item outcome of a batch: `accepted` (stored now), `duplicate` (identical content was stored
 * before), `rejected` (see `reason`).
 */
export type BatchItemOutcome = 'accepted' | 'duplicate' | 'rejected' | (string & {});

/** One item's answer in a batch response. */
export interface BatchItemResult {
  index: number;
  externalId: string | null;
  outcome: BatchItemOutcome;
  /** The created result (with `accessCode` and `pin`), or the stored one for a duplicate. Absent on dry runs. */
  result?: CreatedResult;
  /** Why the item was rejected: `validation_failed`, or `duplicate_external_id` (other content is stored under this externalId). */
  reason?: 'validation_failed' | 'duplicate_external_id' | (string & {});
  issues?: { path: string; message: string }[];
}

/** `POST /api/v1/results/batch` answer. */
export interface BatchResponse {
  items: BatchItemResult[];
  summary: { accepted: number; duplicate: number; rejected: number };
  dryRun?: true;
}

/** Filters of `GET /api/v1/results`. */
export interface ListParams {
  status?: ResultStatus;
  /** ISO 8601: results changed at or after this time. */
  since?: string | Date;
  cursor?: string;
  /** Page size (server default and maximum apply). */
  limit?: number;
}

/** A maintenance window announced by the gateway (`GET /.gateway/notices`). */
export interface Notice {
  start: string;
  end: string;
  announced: string;
  message: string | null;
  /** True while the window is in progress. */
  active: boolean;
}

/** Options of a single `send`. */
export interface SendOptions {
  /** Overrides the per-call key (the item's fingerprint and a random part, reused by retries). */
  idempotencyKey?: string;
  /** Validate only: the service stores nothing. */
  dryRun?: boolean;
  signal?: AbortSignal;
}

/** Options of `sendBatch`. */
export interface BatchOptions {
  dryRun?: boolean;
  idempotencyKey?: string;
  signal?: AbortSignal;
}
