/**
 * The result service's error envelope — the same shape the gateway answers with
 * (`{"error":{"code","message","requestId"}}`), plus `issues` on validation errors, so the SDK
 * maps both with one parser.
 */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { z } from 'zod';
import type { ServiceEnv } from './types.js';

/** Every code the result service answers with, and its HTTP status. */
export const API_ERRORS = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  idempotency_in_progress: 409,
  duplicate_external_id: 409,
  invalid_state: 409,
  payload_too_large: 413,
  validation_failed: 422,
  idempotency_key_reused: 422,
  internal_error: 500,
} as const satisfies Record<string, number>;

export type ApiErrorCode = keyof typeof API_ERRORS;

/** One validation problem: a field path like `items[3].recipient.email` and what is wrong. */
export interface ValidationIssue {
  path: string;
  message: string;
}

/** A request-time error; `onError` renders it as the JSON envelope. */
export class ApiError extends Error {
  readonly code: ApiErrorCode;
  readonly status: number;
  readonly issues: ValidationIssue[] | undefined;

  /**
   * @param code one of {@link API_ERRORS}
   * @param message a human-readable English message (never a secret)
   * @param issues per-field problems (only for `validation_failed`)
   * @example throw new ApiError('not_found', 'No result with this id.')
   */
  constructor(code: ApiErrorCode, message: string, issues?: ValidationIssue[]) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.status = API_ERRORS[code];
    this.issues = issues;
  }
}

/** Formats a zod issue path the way the policy loader does: `items[3].recipient.email`. */
export function formatPath(path: readonly PropertyKey[], prefix = ''): string {
  let out = prefix;
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

/**
 * Turns a zod error into one issue per field path (the first message for each path wins, so the
 * SDK can show one line per field).
 */
export function zodIssues(error: z.ZodError, prefix = ''): ValidationIssue[] {
  const seen = new Map<string, string>();
  const add = (path: string, message: string) => {
    if (!seen.has(path || '(body)')) seen.set(path || '(body)', message);
  };
  for (const issue of error.issues) {
    // An unknown field is reported at its own path, so a typo points at itself.
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) add(formatPath([...issue.path, key], prefix), 'is not a known field');
    } else {
      add(formatPath(issue.path, prefix), issue.message);
    }
  }
  return [...seen].map(([path, message]) => ({ path, message }));
}

/** Builds the error envelope body. */
export function errorBody(code: string, message: string, requestId: string, issues?: ValidationIssue[]) {
  return { error: { code, message, requestId, ...(issues ? { issues } : {}) } };
}

/** The app's `onError`: ApiError → its envelope; anything else → 500 without internals. */
export function handleError(err: Error, c: Context<ServiceEnv>): Response {
  const requestId = c.get('requestId') ?? '';
  if (err instanceof ApiError) {
    return c.json(errorBody(err.code, err.message, requestId, err.issues), err.status as 400);
  }
  if (err instanceof HTTPException && err.status === 413) {
    return c.json(errorBody('payload_too_large', 'The request body is too large.', requestId), 413);
  }
  if (err instanceof HTTPException && err.status < 500) {
    return c.json(errorBody('bad_request', 'The request is malformed.', requestId), 400);
  }
  console.error(`[result-service] ${requestId} ${err.stack ?? err.message}`);
  return c.json(errorBody('internal_error', 'Internal error.', requestId), 500);
}
