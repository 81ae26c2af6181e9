/**
 * Prometheus metrics, one set per deps (they survive policy reloads; two gateways in one process do
 * not share counters). The per-request ones are plain numbers on the hot path — a Map increment and
 * a bucket scan, no label hashing — turned into Prometheus metrics only when `/metrics` is scraped.
 * prom-client supplies the registry, the text format and the process metrics.
 */
import { collectDefaultMetrics, Registry } from 'prom-client';
import { type GatewayDeps, moduleState } from '../deps.js';

/** Upper bounds of the upstream latency buckets, in seconds. */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] as const;

interface LatencySeries {
  buckets: Float64Array;
  sum: number;
  count: number;
}

/** The gateway's metrics. */
export interface GatewayMetrics {
  registry: Registry;
  /** Counts one answered request. */
  request(status: number, decision: string, tenant: string): void;
  /** Records the time the upstream took to answer with headers. */
  upstream(tenant: string, seconds: number): void;
}

type Sample = { value: number; labels: Record<string, string | number>; metricName?: string };

/** A metric prom-client's registry can print: a name, help, type and `get()`. */
function customMetric(name: string, help: string, type: 'counter' | 'histogram', values: () => Sample[]) {
  return {
    name,
    help,
    type,
    aggregator: 'sum' as const,
    get: async () => ({ name, help, type, aggregator: 'sum' as const, values: values() }),
    reset() {},
  };
}

function createMetrics(): GatewayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  // tenant → decision → status → count: the keys are strings the policy and the error table already
  // hold and a small number, so counting builds no string per request.
  const requests = new Map<string, Map<string, Map<number, number>>>();
  const latency = new Map<string, LatencySeries>();

  registry.registerMetric(
    customMetric(
      'resultgate_requests_total',
      'Requests answered, by status, decision (allow or the denying error code) and tenant',
      'counter',
      () => {
        const out: Sample[] = [];
        for (const [tenant, byDecision] of requests)
          for (const [decision, byStatus] of byDecision)
            for (const [status, value] of byStatus)
              out.push({ value, labels: { status: String(status), decision, tenant } });
        return out;
      },
    ) as never,
  );
  registry.registerMetric(
    customMetric(
      'resultgate_upstream_seconds',
      'Time the upstream took to answer with headers',
      'histogram',
      () => {
        const out: Sample[] = [];
        for (const [tenant, s] of latency) {
          let cumulative = 0;
          LATENCY_BUCKETS.forEach((le, i) => {
            cumulative += s.buckets[i]!;
            out.push({
              metricName: 'resultgate_upstream_seconds_bucket',
              value: cumulative,
              labels: { le, tenant },
            });
          });
          out.push({
            metricName: 'resultgate_upstream_seconds_bucket',
            value: s.count,
            labels: { le: '+Inf', tenant },
          });
          out.push({ metricName: 'resultgate_upstream_seconds_sum', value: s.sum, labels: { tenant } });
          out.push({ metricName: 'resultgate_upstream_seconds_count', value: s.count, labels: { tenant } });
        }
        return out;
      },
    ) as never,
  );

  return {
    registry,
    request(status, decision, tenant) {
      let byDecision = requests.get(tenant);
      if (!byDecision) {
        byDecision = new Map();
        requests.set(tenant, byDecision);
      }
      let byStatus = byDecision.get(decision);
      if (!byStatus) {
        byStatus = new Map();
        byDecision.set(decision, byStatus);
      }
      byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
    },
    upstream(tenant, seconds) {
      let s = latency.get(tenant);
      if (!s) {
        s = { buckets: new Float64Array(LATENCY_BUCKETS.length), sum: 0, count: 0 };
        latency.set(tenant, s);
      }
      s.sum += seconds;
      s.count++;
      for (let i = 0; i < LATENCY_BUCKETS.length; i++) {
        if (seconds <= LATENCY_BUCKETS[i]!) {
          s.buckets[i]!++;
          break;
        }
      }
    },
  };
}

/** Returns the metrics of these deps, creating them on first use. */
export function gatewayMetrics(deps: GatewayDeps): GatewayMetrics {
  return moduleState(deps, 'ops.metrics', createMetrics);
}
