/**
 * The admin listener (bind it to loopback): `GET /healthz` (the process answers), `GET /readyz`
 * (accepting traffic: false while draining, or while log writes fail), `GET /metrics` (Prometheus).
 */
import { Hono } from 'hono';
import type { GatewayDeps } from '../deps.js';

/** Options of {@link adminApp}. */
export interface AdminAppOptions {
  deps: GatewayDeps;
  /** False while the gateway drains for shutdown. */
  ready: () => boolean;
}

/**
 * Builds the admin app.
 * @example createAdaptorServer({ fetch: adminApp({ deps, ready: () => true }).fetch }).listen(9090)
 */
export function adminApp(options: AdminAppOptions): Hono {
  const metrics = options.deps.metrics;
  const app = new Hono();
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', (c) => {
    const logsOk = options.deps.accessLog.healthy;
    const ok = options.ready() && logsOk;
    return c.json({ status: ok ? 'ready' : 'not_ready', draining: !options.ready(), logsOk }, ok ? 200 : 503);
  });
  app.get('/metrics', async (c) =>
    c.body(await metrics.registry.metrics(), 200, { 'content-type': metrics.registry.contentType }),
  );
  app.notFound((c) => c.json({ error: { code: 'no_route', message: 'Not found.' } }, 404));
  return app;
}
