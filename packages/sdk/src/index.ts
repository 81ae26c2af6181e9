/**
 * `@resultgate/sdk`: a typed client for result notification services behind resultgate.
 * Node helpers (resolver map) live in `@resultgate/sdk/node`, webhook verification in
 * `@resultgate/sdk/webhooks`.
 */
export { ResultClient } from './client.js';
export type { Diagnosis, DiagnosisCheck } from './diagnose.js';
export { errorFromResponse } from './error-factory.js';
export {
  AuthenticationError,
  ConflictError,
  type ErrorCode,
  IpNotAllowedError,
  isResultGateError,
  MaintenanceError,
  NetworkError,
  NotFoundError,
  OverloadedError,
  PermissionError,
  parseRetryAfter,
  RateLimitError,
  ResultGateError,
  type ResultGateErrorInit,
  TimeoutError,
  UpstreamError,
  ValidationError,
  type ValidationIssue,
} from './errors.js';
export { canonicalJson, idempotencyKeyFor } from './idempotency.js';
export {
  type ClientOptions,
  DEFAULT_OPTIONS,
  type DebugEvent,
  type FetchLike,
  type NormalizedOptions,
  normalizeOptions,
  type RetryOptions,
  SDK_VERSION,
} from './options.js';
export { Page, PagePromise } from './pagination.js';
export { redact } from './redact.js';
export type { Results } from './resources/results.js';
export type {
  SendManyItem,
  SendManyOptions,
  SendManyOutcome,
  SendManyRejection,
  SendManyReport,
} from './resources/send-many.js';
export type * from './types.js';
