/**
 * Step 12 of the pipeline: per-zone admission control (`maxConcurrent`, `maxQueue`,
 * `queueTimeout`). A zone without `maxConcurrent` is not limited. A full zone queues the request;
 * a full queue, or a wait past `queueTimeout`, answers `503 overloaded` with `Retry-After`.
 * The slot is held until the response has finished streaming (the Node response's `close`), not
 * merely until the handler returns.
 */
import type { Context, MiddlewareHandler, Next } from 'hono';
import { GatewayError } from '../errors.js';
import type { PipelineContext } from '../pipeline.js';
import type { GatewayEnv } from '../types.js';
import { moduleState } from '../deps.js';
import { Limiter, type LimiterOptions } from './limiter.js';
import { rq } from '../request-state.js';

/** Defaults for a zone that sets `maxConcurrent` only. */
export const ADMISSION_DEFAULTS = { queueTimeout: 10_000, retryAfterSeconds: 2 } as const;

/**
 * Limits concurrent requests per zone.
 * @throws {GatewayError} `overloaded` (503) with `Retry-After`
 * @example app.use(admission({ policy, deps }))
 */
export function admission(ctx: PipelineContext): MiddlewareHandler<GatewayEnv> {
  // Limiters live in the deps, keyed by tenant and zone name, so a policy reload keeps counting the
  // requests that hold a slot or wait (a reload used to start every zone from zero).
  const kept = moduleState(ctx.deps, 'admission.limiters', () => new Map<string, Limiter>());
  const limiters = new Map<object, Limiter>();
  for (const [tenantId, tenant] of Object.entries(ctx.policy.tenants)) {
    for (const zone of tenant.zones) {
      if (zone.maxConcurrent === undefined) continue;
      const options: LimiterOptions = {
        maxConcurrent: zone.maxConcurrent,
        // By default a zone may queue as many requests as it runs.
        maxQueue: zone.maxQueue ?? zone.maxConcurrent,
        queueTimeout: zone.queueTimeout ?? ADMISSION_DEFAULTS.queueTimeout,
      };
      const key = `${tenantId}\0${zone.name}`;
      let limiter = kept.get(key);
      if (limiter) limiter.reconfigure(options);
      else {
        limiter = new Limiter(options);
        kept.set(key, limiter);
      }
      limiters.set(zone, limiter);
    }
  }
  // A zone the policy no longer has: its in-flight requests still release the object they hold.
  const current = new Set([...limiters.values()]);
  for (const [key, limiter] of kept) if (!current.has(limiter)) kept.delete(key);
  if (limiters.size === 0) {
    return function admission(_c, next) {
      return next();
    };
  }
  const overloaded = () =>
    new GatewayError('overloaded', {
      headers: { 'retry-after': String(ADMISSION_DEFAULTS.retryAfterSeconds) },
    });

  // Not async itself: a zone without a limit passes on without a promise of its own.
  return function admission(c, next) {
    const zone = rq(c).zone;
    const limiter = zone && limiters.get(zone);
    if (!limiter) return next();
    return whenAdmitted(c, next, limiter);
  };

  async function whenAdmitted(c: Context<GatewayEnv>, next: Next, limiter: Limiter): Promise<void> {
    let admitted = limiter.acquire();
    if (admitted !== true) admitted = await admitted;
    if (!admitted) throw overloaded();
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      limiter.release();
    };
    try {
      await next();
    } finally {
      const outgoing = c.env?.outgoing;
      if (!outgoing || outgoing.writableFinished || outgoing.destroyed) release();
      else outgoing.once('close', release);
    }
  }
}
