/**
 * STUB — the error handler. Replaced by the real ja/en pages; the contract with app.ts is
 * `errorHandler(ctx)` returning Hono's `onError` handler.
 */
import type { ErrorHandler } from 'hono';
import { isGatewayError } from '../errors.js';
import type { PipelineContext } from '../pipeline.js';
import type { GatewayEnv } from '../types.js';

export function errorHandler(_ctx: PipelineContext): ErrorHandler<GatewayEnv> {
  return function onError(err, c) {
    const requestId = c.get('requestId') ?? '';
    if (isGatewayError(err)) {
      return c.json(
        { error: { code: err.code, message: err.message, requestId } },
        err.status as 400,
        err.headers,
      );
    }
    return c.json({ error: { code: 'internal_error', message: 'Internal error.', requestId } }, 500);
  };
}
