/**
 * What `/metrics` reads from a running gateway at scrape time: the admission queues of the
 * serving load, each tenant's maintenance windows, the session maxAge.
 * Built for each policy load and handed to the metrics when that load starts serving.
 */
import type { GatewayDeps, GatewayProbe } from '../deps.js';
import type { Policy } from '../policy/schema.js';

/** The probe of one policy load. */
export function gatewayProbe(policy: Policy, deps: GatewayDeps): GatewayProbe {
  const windows = Object.entries(policy.tenants).map(([tenant, t]) => ({
    tenant,
    spans: t.maintenance.map((w) => [Date.parse(w.start), Date.parse(w.end)] as const),
  }));
  return {
    admissionQueues: () =>
      [...deps.admissionRooms.values()].map((room) => ({
        tenant: room.config.tenantId,
        zone: room.config.zoneName,
        queued: room.limiter?.queued ?? 0,
      })),
    maintenance: (now) =>
      windows.map(({ tenant, spans }) => {
        let nextStart: number | undefined;
        for (const [start] of spans)
          if (start > now && (nextStart === undefined || start < nextStart)) nextStart = start;
        return { tenant, nextStart, active: spans.some(([start, end]) => start <= now && now < end) };
      }),
    sessionMaxAge: policy.sessions.maxAge,
    now: deps.now,
  };
}
