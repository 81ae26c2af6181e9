/**
 * Step 7 of the pipeline: maintenance windows (docs/architecture.md §4, §5). During a window every request of
 * the tenant gets `503 maintenance` with `Retry-After` (seconds to the window's end) and the window's
 * message, except from addresses in its `bypass` list (the operators doing the work). The notice
 * list at `/.gateway/notices` stays reachable so clients can learn when service resumes.
 */
import type { Handler, MiddlewareHandler } from 'hono';
import type { PipelineContext } from '../deps.js';
import { GatewayError } from '../errors.js';
import { CidrSet } from '../net/cidr.js';
import { pickLang, wantsHtml } from '../pages/index.js';
import { renderNoticesPage } from '../pages/notices.js';
import type { MaintenanceWindow } from '../policy/schema.js';
import { rq } from '../request-state.js';
import type { GatewayEnv } from '../types.js';

/** The path of the notice list; reachable during maintenance. */
export const NOTICES_PATH = '/.gateway/notices';

interface CompiledWindow {
  window: MaintenanceWindow;
  start: number;
  end: number;
  announced: number;
  bypass: CidrSet;
}

function compile(ctx: PipelineContext): Map<string, CompiledWindow[]> {
  const byTenant = new Map<string, CompiledWindow[]>();
  for (const [id, tenant] of Object.entries(ctx.policy.tenants)) {
    if (tenant.maintenance.length === 0) continue;
    byTenant.set(
      id,
      tenant.maintenance.map((w) => ({
        window: w,
        start: Date.parse(w.start),
        end: Date.parse(w.end),
        announced: Date.parse(w.announced),
        bypass: new CidrSet(w.bypass),
      })),
    );
  }
  return byTenant;
}

/**
 * Answers `503 maintenance` during a tenant's maintenance window.
 * @throws {GatewayError} `maintenance` with `Retry-After`
 * @example app.use(maintenance({ policy, deps }))
 */
export function maintenance(ctx: PipelineContext): MiddlewareHandler<GatewayEnv> {
  const byTenant = compile(ctx);
  const { now } = ctx.deps;
  // Not async: nothing runs after next(), so no extra promise per request (a sync throw is still
  // caught by Hono's compose and rendered by onError).
  return function maintenance(c, next) {
    const state = rq(c);
    const windows = byTenant.get(state.tenantId ?? '');
    if (!windows || state.path === NOTICES_PATH) return next();
    const t = now();
    for (const w of windows) {
      if (t < w.start || t >= w.end) continue;
      // Only during a window: the client-address step's text is parsed once more here.
      if (w.bypass.size > 0 && w.bypass.hasText(state.clientIp ?? '')) continue;
      throw new GatewayError('maintenance', {
        message: w.window.message,
        headers: { 'retry-after': String(Math.max(1, Math.ceil((w.end - t) / 1000))) },
      });
    }
    return next();
  };
}

/** One entry of the notice list. */
export interface Notice {
  start: string;
  end: string;
  announced: string;
  message: string | null;
  /** True while the window is in progress. */
  active: boolean;
}

/**
 * The `/.gateway/notices` handler: the tenant's current and announced (not yet ended) windows, as
 * JSON for clients and as a page in JST for a browser (`Accept: text/html`).
 * @example createGateway({ policy, deps, reserved: { [NOTICES_PATH]: noticesRoute(ctx) } })
 */
export function noticesRoute(ctx: PipelineContext): Handler<GatewayEnv> {
  const byTenant = compile(ctx);
  const { now } = ctx.deps;
  return function notices(c) {
    const method = c.req.method;
    if (method !== 'GET' && method !== 'HEAD') {
      throw new GatewayError('method_not_allowed', { headers: { allow: 'GET, HEAD' } });
    }
    const t = now();
    const list: Notice[] = (byTenant.get(rq(c).tenantId ?? '') ?? [])
      .filter((w) => w.announced <= t && w.end > t)
      .sort((a, b) => a.start - b.start)
      .map((w) => ({
        start: new Date(w.start).toISOString(),
        end: new Date(w.end).toISOString(),
        announced: new Date(w.announced).toISOString(),
        message: w.window.message ?? null,
        active: w.start <= t,
      }));
    if (wantsHtml(c)) {
      const page = renderNoticesPage({
        lang: pickLang(c.req.header('accept-language')),
        tenantName: rq(c).tenant?.name,
        notices: list.map((n) => ({ ...n, start: Date.parse(n.start), end: Date.parse(n.end) })),
      });
      return c.html(page, 200);
    }
    return c.json({ notices: list }, 200, { 'cache-control': 'no-store' });
  };
}
