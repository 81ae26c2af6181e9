/**
 * The runner: {@link chain} runs the whole pipeline as one Hono handler. (What the steps are built
 * from, `PipelineContext`, lives beside the deps in deps.ts.)
 */
import type { Context, ErrorHandler, Handler, MiddlewareHandler } from 'hono';
import type { GatewayEnv } from './types.js';

type Ctx = Context<GatewayEnv>;
type Outcome = Response | undefined;

/** What `next()` gives a middleware whose rest of the pipeline finished synchronously. */
const DONE: Promise<void> = Promise.resolve();

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | undefined)?.then === 'function';
}

/**
 * Runs `handlers` in order as ONE Hono handler, with the semantics of Hono's `compose` — a
 * handler's returned Response becomes `c.res` unless one was already set; an error thrown (or
 * rejected) by a handler sets `c.error`, is rendered by `onError` into `c.res`, and the handlers
 * before it see their `next()` resolve normally (so the access log and the request id still run
 * after a denial). Unlike Hono's compose, which wraps every layer in an async function, a handler
 * that returns synchronously costs no promise, and Hono's router and compose run no more than
 * once per request: at 15k requests a second, that per-layer overhead showed in the profile.
 * @param handlers the middlewares, the last one answering (it is never given a further `next`)
 * @param onError renders an error into a Response (the gateway's error page)
 * @example app.all('*', chain([requestId(ctx), accessLog(ctx), proxy(ctx)], errorHandler(ctx)))
 */
export function chain(
  handlers: readonly MiddlewareHandler<GatewayEnv>[],
  onError: ErrorHandler<GatewayEnv>,
): Handler<GatewayEnv> {
  const n = handlers.length;

  function settle(c: Ctx, res: unknown): void {
    if (res && c.finalized === false) c.res = res as Response;
  }

  function fail(c: Ctx, err: unknown): Promise<void> | undefined {
    if (!(err instanceof Error)) throw err;
    c.error = err;
    const res = onError(err, c);
    if (isThenable(res))
      return Promise.resolve(res).then((r) => {
        if (r) c.res = r;
      });
    if (res) c.res = res;
    return undefined;
  }

  /** Runs handler `i` and the rest; `undefined` when all of it finished synchronously. */
  function run(c: Ctx, i: number): Promise<void> | undefined {
    if (i >= n) {
      // Past the last handler (it called next()): what Hono answers for an unmatched route.
      if (c.finalized === false) c.res = c.notFound() as Response;
      return undefined;
    }
    let res: unknown;
    let rest: Promise<void> | undefined;
    try {
      res = handlers[i]!(c, () => {
        rest = run(c, i + 1) ?? DONE;
        return rest;
      });
    } catch (err) {
      return fail(c, err);
    }
    if (res === DONE) return undefined;
    // A handler that returned its own `next()`: the rest's promise already settles the outcome
    // (it never rejects with an Error), so it is passed up as it is. Wrapping it again in every
    // such layer cost a promise and a microtask per layer per proxied request.
    if (res === rest) return rest;
    if (isThenable(res)) {
      return Promise.resolve(res).then(
        (value) => settle(c, value),
        (err: unknown) => fail(c, err),
      );
    }
    settle(c, res);
    return undefined;
  }

  function finish(c: Ctx): Response {
    if (!c.finalized) {
      throw new Error(
        'Context is not finalized. Did you forget to return a Response object or `await next()`?',
      );
    }
    return c.res;
  }

  return function pipeline(c): Response | Promise<Outcome> {
    const pending = run(c, 0);
    return pending === undefined ? finish(c) : pending.then(() => finish(c));
  };
}
