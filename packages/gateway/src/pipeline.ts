/**
 * The runner: {@link chain} runs the whole pipeline as one Hono handler, and {@link directFetch}
 * calls it as the app's only route. (What the steps are built from, `PipelineContext`, lives
 * beside the deps in deps.ts; a step that also runs after the rest, in around.ts.)
 */
import {
  Context,
  type ErrorHandler,
  type ExecutionContext,
  type Handler,
  type MiddlewareHandler,
} from 'hono';
import { type AroundStep, isAround } from './around.js';
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
 * after a denial).
 *
 * Why not Hono's compose: it wraps every layer in an async function and a `next` closure. Here a
 * request costs one {@link Walk} — one `next` for all layers, the position kept in it — a handler
 * that returns synchronously costs no promise, and an {@link AroundStep} costs neither a layer nor a
 * promise. The proxied request's garbage is what its CPU time follows (npm run bench -- --alloc).
 * @param handlers the middlewares, the last one answering (it is never given a further `next`)
 * @param onError renders an error into a Response (the gateway's error page)
 * @example app.all('*', chain([requestId(ctx), accessLog(ctx), proxy(ctx)], errorHandler(ctx)))
 */
export function chain(
  handlers: readonly MiddlewareHandler<GatewayEnv>[],
  onError: ErrorHandler<GatewayEnv>,
): Handler<GatewayEnv> {
  const steps: Steps = {
    handlers,
    arounds: handlers.map((h) => (isAround(h) ? h : undefined)),
    onError,
  };
  return function pipeline(c): Response | Promise<Outcome> {
    const walk = new Walk(c, steps);
    const pending = walk.run(0);
    if (pending === undefined) return walk.finish();
    // The last step's own promise, passed up unwrapped by every step before it (the usual proxied
    // request): its reaction finishes the walk too, one promise and one microtask fewer.
    if (pending === walk.answered) {
      walk.finishedBy = pending;
      return pending as Promise<unknown> as Promise<Response>;
    }
    return pending.then(walk.finish);
  };
}

interface Steps {
  handlers: readonly MiddlewareHandler<GatewayEnv>[];
  arounds: readonly (AroundStep | undefined)[];
  onError: ErrorHandler<GatewayEnv>;
}

/** One request's way through the steps. */
class Walk {
  /** The deepest step started: the around steps before it run their `after`. */
  private at = -1;
  /** What the last `next()` returned: a handler returning exactly that adds nothing to wait for. */
  private rest: Promise<void> | undefined;
  /** The promise made for a step's asynchronous answer, the last one made. */
  answered: Promise<void> | undefined;
  /**
   * The one promise whose reaction finishes the walk, set by the runner when it waits for exactly
   * that promise. An asynchronous step that calls `next()` later makes further promises: they
   * only settle, and the step's own promise finishes (once).
   */
  finishedBy: Promise<void> | undefined;

  constructor(
    private readonly c: Ctx,
    private readonly steps: Steps,
  ) {}

  /** The `next` of every handler: steps are entered one at a time, each calls it at most once. */
  readonly next = (): Promise<void> => {
    const rest = this.run(this.at + 1) ?? DONE;
    this.rest = rest;
    return rest;
  };

  /** Runs the steps from `i`; `undefined` when all of it finished synchronously. */
  run(from: number): Promise<void> | undefined {
    const { c, steps } = this;
    const { handlers, arounds } = steps;
    const n = handlers.length;
    let i = from;
    for (let step = arounds[i]; step !== undefined; step = arounds[++i]) {
      this.at = i;
      try {
        step.before(c);
      } catch (err) {
        // As `try { before(c); await next() } finally { after(c) }`: its own `after` still runs.
        this.at = i + 1;
        return this.fail(err);
      }
    }
    this.at = i;
    if (i >= n) {
      // Past the last handler (it called next()): what Hono answers for an unmatched route.
      if (c.finalized === false) c.res = c.notFound() as Response;
      return undefined;
    }
    this.rest = undefined;
    let res: unknown;
    try {
      res = handlers[i]!(c, this.next);
    } catch (err) {
      return this.fail(err);
    }
    if (res === DONE) return undefined;
    // A handler that returned its own `next()`: the rest's promise already settles the outcome
    // (it never rejects with an Error), so it is passed up as it is.
    if (res === this.rest && res !== undefined) return this.rest;
    if (isThenable(res)) {
      const answered: Promise<void> = Promise.resolve(res).then(
        (value): undefined => {
          this.settle(value);
          return this.finishedBy === answered ? (this.finish() as unknown as undefined) : undefined;
        },
        (err: unknown): Promise<void> | undefined => {
          const failed = this.fail(err);
          if (this.finishedBy !== answered) return failed;
          return (failed ? failed.then(this.finish) : this.finish()) as unknown as undefined;
        },
      );
      this.answered = answered;
      return answered;
    }
    this.settle(res);
    return undefined;
  }

  private settle(res: unknown): void {
    if (res && this.c.finalized === false) this.c.res = res as Response;
  }

  private fail(err: unknown): Promise<void> | undefined {
    if (!(err instanceof Error)) throw err;
    const c = this.c;
    c.error = err;
    const res = this.steps.onError(err, c);
    if (isThenable(res))
      return Promise.resolve(res).then((r) => {
        if (r) c.res = r;
      });
    if (res) c.res = res;
    return undefined;
  }

  /** Runs the around steps' `after`, innermost first, then hands Hono the answer. */
  readonly finish = (): Response => {
    const { c, steps } = this;
    for (let i = this.at - 1; i >= 0; i--) {
      const step = steps.arounds[i];
      if (step === undefined) continue;
      try {
        step.after(c);
      } catch (err) {
        // As an error after `await next()` in a Hono middleware: rendered, if nothing was sent yet.
        const pending = this.fail(err);
        if (pending) void pending.catch(() => {});
      }
    }
    if (!c.finalized) {
      throw new Error(
        'Context is not finalized. Did you forget to return a Response object or `await next()`?',
      );
    }
    return c.res;
  };
}

/** What a Hono app answers when nothing did (Hono's default `notFound`). */
function notFound(c: Ctx): Response {
  return c.text('404 Not Found', 404);
}

/** The `next` given to the only route: past it there is nothing (the runner never calls it). */
const NOTHING_AFTER = async (): Promise<void> => {};

/**
 * The path of `c.req.path`: the request target's path as received (Hono percent-decodes it), read
 * from Node's request line rather than parsed out of a URL made for the purpose.
 */
function targetPath(request: Request, env: GatewayEnv['Bindings'] | undefined): string {
  const target = env?.incoming?.url;
  if (target === undefined) return new URL(request.url).pathname; // app.request() in a test
  const q = target.indexOf('?');
  return q < 0 ? target : target.slice(0, q);
}

/**
 * The app's `fetch` when `handler` (a {@link chain}) is its only route, for every method and path.
 * Hono's own dispatch would parse the request's URL for a path no step routes by (the tenant step
 * normalises Node's request target itself), match it against the one route, and wrap the
 * handler's promise in two more (`then`, `catch`): ~4.5k instructions and ~1 KB a request, 1.5 %
 * of a proxied request's (`npm run bench -- --instructions`). Same semantics otherwise: HEAD is
 * answered as the GET without its body, and an `Error` thrown or rejected is rendered by `onError`.
 * @example app.fetch = directFetch(chain(steps, onError), onError)
 */
export function directFetch(
  handler: Handler<GatewayEnv>,
  onError: ErrorHandler<GatewayEnv>,
): (
  request: Request,
  env?: GatewayEnv['Bindings'] | object,
  executionCtx?: ExecutionContext,
) => Response | Promise<Response> {
  function answer(
    request: Request,
    env: GatewayEnv['Bindings'] | undefined,
    executionCtx?: ExecutionContext,
  ) {
    const c = new Context<GatewayEnv>(request, {
      path: targetPath(request, env),
      // As Hono's dispatch: whatever the caller gave (nothing, from app.request() in a test).
      env: env as GatewayEnv['Bindings'],
      executionCtx,
      notFoundHandler: notFound,
    });
    let res: Response | Promise<Response | undefined> | undefined;
    try {
      res = handler(c, NOTHING_AFTER) as unknown as typeof res;
    } catch (err) {
      return rendered(err, c);
    }
    if (res instanceof Promise) {
      // One reaction, for what only a bug rejects with (the runner renders every step's error).
      return res.then(
        (done) => done || (c.finalized ? c.res : notFound(c)),
        (err: unknown) => rendered(err, c),
      );
    }
    return res ?? notFound(c);
  }
  function rendered(err: unknown, c: Ctx): Response | Promise<Response> {
    if (err instanceof Error) return onError(err, c);
    throw err;
  }
  return function fetch(request, env, executionCtx) {
    const bindings = env as GatewayEnv['Bindings'] | undefined;
    if (request.method === 'HEAD') {
      return (async () => new Response(null, await answer(request, bindings, executionCtx)))();
    }
    return answer(request, bindings, executionCtx);
  };
}
