/**
 * A step that runs before and after the rest of the pipeline (the request id, the access log).
 * Such a step is a plain Hono middleware, and the pipeline's runner (pipeline.ts) also knows its two
 * halves, so it runs them without a promise or a closure per request.
 */
import type { Context, MiddlewareHandler } from 'hono';
import type { GatewayEnv } from './types.js';

type Ctx = Context<GatewayEnv>;

/**
 * A step that runs before and after the rest of the pipeline. As a Hono middleware it is
 * `try { before(c); await next() } finally { after(c) }`; run by the pipeline's `chain`, it costs no
 * promise and no closure per request: `before` runs inline, `after` once the answer is settled.
 */
export interface AroundStep extends MiddlewareHandler<GatewayEnv> {
  /** Runs before the rest; a throw is rendered by `onError` (the rest is skipped; `after` still runs). */
  readonly before: (c: Ctx) => void;
  /** Runs once the rest has answered (or failed and `onError` rendered it): `c.res` is final. */
  readonly after: (c: Ctx) => void;
}

/**
 * Makes an {@link AroundStep}.
 * @example const step = around('requestId', (c) => { rq(c).startedAt = now(); }, (c) => count(c.res));
 */
export function around(name: string, before: (c: Ctx) => void, after: (c: Ctx) => void): AroundStep {
  const step = {
    async [name](c: Ctx, next: () => Promise<void>) {
      try {
        before(c);
        await next();
      } finally {
        after(c);
      }
    },
  }[name]!;
  return Object.assign(step, { before, after });
}

/** True for a step made by {@link around}. */
export function isAround(step: MiddlewareHandler<GatewayEnv>): step is AroundStep {
  return typeof (step as Partial<AroundStep>).after === 'function';
}
