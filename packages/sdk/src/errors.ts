/**
 * Typed errors: one base class and one subclass per gateway/service error code (docs/architecture.md §4).
 * Modelled on ky's `source/errors/*` and openai-node's `core/error.ts`: every error keeps
 * `status`, `code`, `requestId`, `cause` and says method + URL in its message.
 */

/**
 * Error codes the gateway and the result service answer with. Future codes are tolerated
 * (`string & {}` keeps autocompletion while accepting any string).
 */
export type ErrorCode =
  | 'bad_request'
  | 'unauthorized'
  | 'session_expired'
  | 'tls_required'
  | 'ip_not_allowed'
  | 'tenant_suspended'
  | 'forbidden'
  | 'csrf_failed'
  | 'unknown_host'
  | 'no_route'
  | 'not_found'
  | 'method_not_allowed'
  | 'payload_too_large'
  | 'request_timeout'
  | 'validation_failed'
  | 'conflict'
  | 'duplicate_external_id'
  | 'idempotency_in_progress'
  | 'idempotency_key_reused'
  | 'invalid_state'
  | 'locked_out'
  | 'rate_limited'
  | 'internal_error'
  | 'upstream_unavailable'
  | 'maintenance'
  | 'overloaded'
  | 'logs_unavailable'
  | 'upstream_timeout'
  | 'timeout'
  | 'network_error'
  | 'auth_breaker_open'
  | 'invalid_response'
  | (string & {});

/** One field problem of a `422` answer. */
export interface ValidationIssue {
  /** JSON path of the field, e.g. `recipient.email` or `items[3].title`. */
  path: string;
  message: string;
}

/**
 * What an error keeps of the failure below it — a name, a code and a message, never the original
 * object: ky's `HTTPError` holds the `Request` (its `Authorization` header), the options (the
 * request body: names, e-mails, outcomes) and the URL with its query, and errors end up in logs.
 */
export interface SafeCause {
  name: string;
  /** e.g. `ECONNREFUSED`, `CERT_HAS_EXPIRED`, `UND_ERR_CONNECT_TIMEOUT`. */
  code?: string | undefined;
  message: string;
}

/** What every {@link ResultGateError} is built from. */
export interface ResultGateErrorInit {
  code: ErrorCode;
  message: string;
  method: string;
  /** URL without its query string (queries can hold exam numbers). */
  url: string;
  status?: number | undefined;
  requestId?: string | undefined;
  retryable?: boolean | undefined;
  headers?: Headers | undefined;
  /** What failed below (a network or parse error), already reduced to a {@link SafeCause}. */
  cause?: SafeCause | undefined;
  issues?: ValidationIssue[] | undefined;
}

/** Response headers an error keeps: enough to act on, nothing a log should not hold. */
const KEPT_HEADERS = ['content-type', 'retry-after', 'x-request-id', 'idempotent-replayed'];

function keptHeaders(headers: Headers | undefined): Headers | undefined {
  if (!headers) return undefined;
  const out = new Headers();
  for (const name of KEPT_HEADERS) {
    const value = headers.get(name);
    if (value !== null) out.set(name, value);
  }
  return out;
}

function describe(init: ResultGateErrorInit): string {
  const status = init.status === undefined ? '' : `${init.status} `;
  const request = init.requestId === undefined ? '' : `, request ${init.requestId}`;
  const issues = init.issues?.length
    ? ` — ${init.issues.map((i) => `${i.path || '(body)'}: ${i.message}`).join('; ')}`
    : '';
  return `${status}${init.code}: ${init.message} (${init.method} ${init.url}${request})${issues}`;
}

/**
 * Base class of every error the SDK throws for a request. Safe to log whole: it and everything
 * reachable from it (`cause`, `headers`) hold no password, no `Authorization`, no request body
 * and no query string; `util.inspect`, `JSON.stringify` and `toString` show the code, status,
 * method, URL path, request id and the issues.
 * @example
 * try { await client.results.get('r_1'); }
 * catch (err) { if (isResultGateError(err)) console.error(err.code, err.requestId); }
 */
export class ResultGateError extends Error {
  override name = 'ResultGateError';
  /** The gateway/service error code (`ip_not_allowed`, `validation_failed`, …). */
  readonly code: ErrorCode;
  /** HTTP status, `undefined` when no response arrived (network error, timeout, breaker). */
  readonly status: number | undefined;
  /** The gateway's `X-Request-Id`: quote it to the operator. */
  readonly requestId: string | undefined;
  /** True when sending the same request again later can succeed. */
  readonly retryable: boolean;
  readonly method: string;
  readonly url: string;
  /** Some response headers (`retry-after`, `x-request-id`, `content-type`), when a response arrived. */
  readonly headers: Headers | undefined;
  /** Field problems (validation errors); empty otherwise. */
  readonly issues: ValidationIssue[];
  declare readonly cause: SafeCause | undefined;

  constructor(init: ResultGateErrorInit) {
    super(describe(init), init.cause ? { cause: init.cause } : undefined);
    this.code = init.code;
    this.status = init.status;
    this.requestId = init.requestId;
    this.retryable = init.retryable ?? false;
    this.method = init.method;
    this.url = init.url;
    this.headers = keptHeaders(init.headers);
    this.issues = (init.issues ?? []).map((i) => ({ path: i.path, message: i.message }));
  }

  /** What `JSON.stringify(err)` writes: the fields worth a log line, nothing else. */
  toJSON() {
    return {
      name: this.name,
      code: this.code,
      status: this.status,
      message: this.message,
      method: this.method,
      url: this.url,
      requestId: this.requestId,
      retryable: this.retryable,
      ...(this.issues.length ? { issues: this.issues } : {}),
      ...(this.cause ? { cause: this.cause } : {}),
    };
  }
}

/** `401 unauthorized` / `session_expired`, or the auth breaker refusing to send (`auth_breaker_open`). */
export class AuthenticationError extends ResultGateError {
  override name = 'AuthenticationError';
}

/** `403 ip_not_allowed`: this machine's address is outside the tenant's or zone's allow-list. */
export class IpNotAllowedError extends ResultGateError {
  override name = 'IpNotAllowedError';
}

/** `403 forbidden` (missing role), `tenant_suspended`, `tls_required`, `csrf_failed` (a login form). */
export class PermissionError extends ResultGateError {
  override name = 'PermissionError';
}

/** Seconds from a `Retry-After` header (delay-seconds or HTTP-date), `undefined` if absent/invalid. */
export function parseRetryAfter(headers: Headers | undefined, now = Date.now()): number | undefined {
  const value = headers?.get('retry-after')?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

/** `429`: rate limited (`retryAfter` seconds) or `locked_out` after too many failed logins. */
export class RateLimitError extends ResultGateError {
  override name = 'RateLimitError';
  /** Seconds the server asked to wait, from `Retry-After`. */
  readonly retryAfter: number | undefined;
  /** True for `locked_out`: the account is locked; retrying only prolongs it. */
  readonly lockedOut: boolean;
  constructor(init: ResultGateErrorInit) {
    super({ ...init, retryable: init.code !== 'locked_out' });
    this.retryAfter = parseRetryAfter(init.headers);
    this.lockedOut = init.code === 'locked_out';
  }
}

/** `503 maintenance`: an announced maintenance window; `retryAt` is when it is expected to end. */
export class MaintenanceError extends ResultGateError {
  override name = 'MaintenanceError';
  readonly retryAfter: number | undefined;
  readonly retryAt: Date | undefined;
  constructor(init: ResultGateErrorInit) {
    super({ ...init, retryable: true });
    this.retryAfter = parseRetryAfter(init.headers);
    this.retryAt = this.retryAfter === undefined ? undefined : new Date(Date.now() + this.retryAfter * 1000);
  }
}

/**
 * `503 overloaded`: the gateway's admission queue is full; or `503 logs_unavailable`: the gateway
 * runs with `logs.failClosed` and cannot write its access log right now. Both pass; retry later.
 */
export class OverloadedError extends ResultGateError {
  override name = 'OverloadedError';
  readonly retryAfter: number | undefined;
  constructor(init: ResultGateErrorInit) {
    super({ ...init, retryable: true });
    this.retryAfter = parseRetryAfter(init.headers);
  }
}

/**
 * `422` (and `400`, `405`, `413`): the request or an item is invalid; `issues` lists each field.
 * `405 method_not_allowed`: a method the gateway refuses (`TRACE`) or one its own pages do not take.
 */
export class ValidationError extends ResultGateError {
  override name = 'ValidationError';
}

/** `404`: `unknown_host`, `no_route` (gateway) or `not_found` (no such result). */
export class NotFoundError extends ResultGateError {
  override name = 'NotFoundError';
}

/**
 * `409` `duplicate_external_id` (another body was sent with this `externalId`), `invalid_state`
 * (e.g. withdrawing an expired result), `idempotency_in_progress` (retried automatically), and
 * the `422` `idempotency_key_reused` (one key, two different bodies).
 */
export class ConflictError extends ResultGateError {
  override name = 'ConflictError';
}

/** `500 internal_error`, `502 upstream_unavailable`, `504 upstream_timeout`. */
export class UpstreamError extends ResultGateError {
  override name = 'UpstreamError';
}

/**
 * No response within `timeout` (per attempt) or `totalTimeout` (all attempts); or the gateway's
 * `408 request_timeout`: the request body stopped arriving (a stalled network on the client side).
 */
export class TimeoutError extends ResultGateError {
  override name = 'TimeoutError';
}

/** The request never got a response: DNS, refused connection, TLS failure, reset. */
export class NetworkError extends ResultGateError {
  override name = 'NetworkError';
}

/** True for any error thrown by this SDK for a request (works across bundled copies). */
export function isResultGateError(err: unknown): err is ResultGateError {
  return (
    err instanceof ResultGateError ||
    (err instanceof Error && typeof (err as { code?: unknown }).code === 'string' && 'retryable' in err)
  );
}
