/** Request helpers shared by the write routes: JSON body, dry-run flag, Idempotency-Key replay. */
import type { Context } from 'hono';
import { ApiError, errorBody } from '../errors.js';
import { sha256 } from '../secrets.js';
import type { ServiceContext, ServiceEnv } from '../types.js';

/** A status and JSON body, produced by a write and replayed for a retry. */
export interface Answer {
  status: 200 | 201 | 409;
  body: unknown;
}

/** Reads the JSON body. @throws ApiError `bad_request` when it is not JSON */
export async function readJson(c: Context<ServiceEnv>): Promise<unknown> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/(.+\+)?json\b/i.test(type))
    throw new ApiError('bad_request', 'Send a JSON body (Content-Type: application/json).');
  try {
    return await c.req.json();
  } catch {
    throw new ApiError('bad_request', 'The body is not valid JSON.');
  }
}

/** Whether `?dryRun=true` (validate only, store nothing) was asked for. */
export function isDryRun(c: Context<ServiceEnv>): boolean {
  const v = c.req.query('dryRun');
  return v === 'true' || v === '1';
}

const KEY = /^[\x21-\x7e]{1,255}$/;

/**
 * Runs a write once per `Idempotency-Key`: same key + same body → the stored first answer (with
 * `Idempotent-Replayed: true`); same key + other body → 422 `idempotency_key_reused`; first
 * request still running → 409 `idempotency_in_progress`. Without the header `run` just runs.
 * A 4xx ApiError thrown by `run` is an answer too and is stored; anything else frees the key.
 */
export function idempotent(
  c: Context<ServiceEnv>,
  ctx: ServiceContext,
  body: unknown,
  run: () => Answer,
): Response {
  const key = c.req.header('idempotency-key');
  if (key === undefined) return respond(c, run());
  const { tenant, requestId } = c.get('identity');
  const fingerprint = sha256(`${c.req.method} ${c.req.path}\n${JSON.stringify(body)}`);
  const { answer, replayed } = runOnce(ctx, { tenant, key, fingerprint, requestId }, run);
  if (replayed) c.header('Idempotent-Replayed', 'true');
  return respond(c, answer);
}

/** Who runs a write once, under which key, for which request. */
export interface OnceRequest {
  tenant: string;
  /** The Idempotency-Key (1-255 visible ASCII characters). */
  key: string;
  /** A fingerprint of method, path and body: the same key with another body is refused. */
  fingerprint: string;
  requestId: string;
}

/**
 * The core of {@link idempotent}, for callers that are not the JSON API (the admin CSV import):
 * runs `run` once per key and returns its answer, or the stored one when replayed.
 * @throws ApiError `bad_request`, `idempotency_key_reused` or `idempotency_in_progress`
 */
export function runOnce(
  ctx: ServiceContext,
  request: OnceRequest,
  run: () => Answer,
): { answer: Answer; replayed: boolean } {
  const { tenant, key, fingerprint, requestId } = request;
  if (!KEY.test(key))
    throw new ApiError('bad_request', 'Idempotency-Key must be 1-255 visible ASCII characters.');
  const claim = ctx.idempotency.claim(tenant, key, fingerprint);
  if (claim.kind === 'mismatch') {
    throw new ApiError(
      'idempotency_key_reused',
      'This Idempotency-Key was used with a different request body.',
    );
  }
  if (claim.kind === 'running') {
    throw new ApiError(
      'idempotency_in_progress',
      'A request with this Idempotency-Key is still being processed.',
    );
  }
  if (claim.kind === 'replay') {
    return { answer: { status: claim.status as Answer['status'], body: claim.body }, replayed: true };
  }
  let answer: Answer;
  try {
    answer = run();
  } catch (err) {
    if (err instanceof ApiError && err.status === 409) {
      answer = { status: 409, body: errorBody(err.code, err.message, requestId) };
    } else {
      ctx.idempotency.release(tenant, key);
      throw err;
    }
  }
  ctx.idempotency.complete(tenant, key, answer.status, answer.body);
  return { answer, replayed: false };
}

function respond(c: Context<ServiceEnv>, answer: Answer): Response {
  c.header('Cache-Control', 'no-store');
  return c.json(answer.body as object, answer.status);
}
