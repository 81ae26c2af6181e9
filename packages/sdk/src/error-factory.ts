import {
  AuthenticationError,
  ConflictError,
  type ErrorCode,
  IpNotAllowedError,
  MaintenanceError,
  NetworkError,
  NotFoundError,
  OverloadedError,
  PermissionError,
  RateLimitError,
  ResultGateError,
  type ResultGateErrorInit,
  type SafeCause,
  TimeoutError,
  UpstreamError,
  ValidationError,
  type ValidationIssue,
} from './errors.js';

type ErrorClass = new (init: ResultGateErrorInit) => ResultGateError;

/** Code → class: the first choice. A code not listed falls back to {@link BY_STATUS}. */
const BY_CODE: Record<string, ErrorClass> = {
  unauthorized: AuthenticationError,
  session_expired: AuthenticationError,
  auth_breaker_open: AuthenticationError,
  ip_not_allowed: IpNotAllowedError,
  forbidden: PermissionError,
  tenant_suspended: PermissionError,
  tls_required: PermissionError,
  csrf_failed: PermissionError,
  locked_out: RateLimitError,
  rate_limited: RateLimitError,
  maintenance: MaintenanceError,
  overloaded: OverloadedError,
  logs_unavailable: OverloadedError,
  bad_request: ValidationError,
  validation_failed: ValidationError,
  payload_too_large: ValidationError,
  method_not_allowed: ValidationError,
  request_timeout: TimeoutError,
  unknown_host: NotFoundError,
  no_route: NotFoundError,
  not_found: NotFoundError,
  conflict: ConflictError,
  duplicate_external_id: ConflictError,
  idempotency_in_progress: ConflictError,
  idempotency_key_reused: ConflictError,
  invalid_state: ConflictError,
  internal_error: UpstreamError,
  upstream_unavailable: UpstreamError,
  upstream_timeout: UpstreamError,
};

const BY_STATUS: Record<number, ErrorClass> = {
  400: ValidationError,
  401: AuthenticationError,
  403: PermissionError,
  404: NotFoundError,
  405: ValidationError,
  408: TimeoutError,
  409: ConflictError,
  413: ValidationError,
  422: ValidationError,
  429: RateLimitError,
  500: UpstreamError,
  502: UpstreamError,
  503: OverloadedError,
  504: UpstreamError,
};

/** A code to use when the body carried none. */
const DEFAULT_CODE: Record<number, ErrorCode> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  408: 'request_timeout',
  409: 'conflict',
  413: 'payload_too_large',
  422: 'validation_failed',
  429: 'rate_limited',
  500: 'internal_error',
  502: 'upstream_unavailable',
  503: 'overloaded',
  504: 'upstream_timeout',
};

/** Codes worth retrying later with the same request (the class may override). */
const RETRYABLE = new Set<ErrorCode>([
  'upstream_unavailable',
  'upstream_timeout',
  'overloaded',
  'logs_unavailable',
  'idempotency_in_progress',
]);

interface ErrorBody {
  code?: unknown;
  message?: unknown;
  requestId?: unknown;
  issues?: unknown;
}

/** Reads `{"error":{code,message,requestId,issues?}}` (or a flat `{code,message}`) defensively. */
function readBody(body: unknown): ErrorBody {
  if (body === null || typeof body !== 'object') return {};
  const inner = (body as { error?: unknown }).error;
  const err = (inner !== null && typeof inner === 'object' ? inner : body) as ErrorBody;
  const issues = err.issues ?? (body as ErrorBody).issues;
  return { ...err, issues };
}

function toIssues(value: unknown): ValidationIssue[] {
  if (!Array.isArray(value)) return [];
  return value.map((raw) => {
    const item = (raw ?? {}) as Record<string, unknown>;
    const path = Array.isArray(item.path) ? item.path.join('.') : String(item.path ?? '');
    // Only path and message: a server that echoed the rejected value would put personal data here.
    return { path, message: String(item.message ?? '') };
  });
}

/** Drops the query string: it can hold exam numbers or cursors that should not reach logs. */
export function safeUrl(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

/**
 * Builds the error for an HTTP error response: the class is chosen by `code`, then by `status`.
 * @param input.body the parsed JSON body (or text) of the response
 * @example errorFromResponse({ status: 403, body: { error: { code: 'ip_not_allowed' } }, method: 'GET', url })
 */
export function errorFromResponse(input: {
  status: number;
  body: unknown;
  headers?: Headers | undefined;
  method: string;
  url: string;
}): ResultGateError {
  const body = readBody(input.body);
  const code: ErrorCode =
    typeof body.code === 'string' ? body.code : (DEFAULT_CODE[input.status] ?? `http_${input.status}`);
  const Class = BY_CODE[code] ?? BY_STATUS[input.status] ?? ResultGateError;
  const message =
    typeof body.message === 'string'
      ? body.message
      : typeof input.body === 'string' && input.body.length < 200
        ? input.body || `HTTP ${input.status}`
        : `HTTP ${input.status}`;
  return new Class({
    code,
    message,
    status: input.status,
    method: input.method,
    url: safeUrl(input.url),
    headers: input.headers,
    requestId:
      typeof body.requestId === 'string' ? body.requestId : (input.headers?.get('x-request-id') ?? undefined),
    retryable: RETRYABLE.has(code),
    issues: toIssues(body.issues),
  });
}

/** Builds a {@link TimeoutError} or {@link NetworkError} for a request that got no response. */
export function errorWithoutResponse(
  kind: 'timeout' | 'network',
  method: string,
  url: string,
  cause: unknown,
  secrets: readonly string[] = [],
) {
  const safe = safeCause(cause, secrets);
  const init = { method, url: safeUrl(url), retryable: true, cause: safe };
  if (kind === 'timeout')
    return new TimeoutError({ ...init, code: 'timeout', message: 'no response in time' });
  return new NetworkError({ ...init, code: 'network_error', message: describeCause(safe) });
}

/** Query strings of URLs inside a message: `https://h/p?q=1` → `https://h/p`. */
const URL_QUERY = /(\b[a-z][\w+.-]*:\/\/[^\s?#"'<>]*)[?#][^\s"'<>]*/gi;

/**
 * Removes what must not reach a log from a message: the query string of any URL in it and every
 * string of `secrets` (the `Authorization` value, its base64 part, the password).
 */
export function scrub(text: string, secrets: readonly string[] = []): string {
  let out = text.replace(URL_QUERY, '$1');
  for (const secret of secrets) if (secret) out = out.split(secret).join('[redacted]');
  return out;
}

/**
 * A {@link SafeCause} from an error and its `cause` chain: the most specific name, code and
 * message (the first link with a `code`, e.g. `ECONNREFUSED`), scrubbed. The original objects are
 * dropped: ky's errors keep the `Request` and its options, which hold the credentials and body.
 */
export function safeCause(error: unknown, secrets: readonly string[] = []): SafeCause | undefined {
  let current: unknown = error;
  let best: SafeCause | undefined;
  for (let depth = 0; current !== null && typeof current === 'object' && depth < 5; depth++) {
    const e = current as { name?: unknown; code?: unknown; message?: unknown; cause?: unknown };
    const name = typeof e.name === 'string' ? e.name : 'Error';
    const message = scrub(typeof e.message === 'string' ? e.message : '', secrets);
    if (typeof e.code === 'string') return { name, code: scrub(e.code, secrets), message };
    if (message || !best) best = { name, message };
    current = e.cause;
  }
  return best;
}

/** The most specific reason in a fetch error's cause chain (`ECONNREFUSED`, `CERT_HAS_EXPIRED`, …). */
export function describeCause(cause: unknown): string {
  let current: unknown = cause;
  let best = 'request failed';
  for (let depth = 0; current && depth < 5; depth++) {
    const e = current as { code?: unknown; message?: unknown; cause?: unknown };
    if (typeof e.code === 'string')
      return `${e.code}${typeof e.message === 'string' ? `: ${e.message}` : ''}`;
    if (typeof e.message === 'string' && e.message) best = e.message;
    current = e.cause;
  }
  return best;
}
