/**
 * Prometheus metrics, one set per deps (`deps.metrics`, made in create-deps.ts: they survive policy
 * reloads; two gateways in one process do not share counters). Names follow Prometheus conventions (`resultgate_` prefix, base units,
 * `_total` counters, `_seconds` histograms, `_timestamp_seconds` gauges); labels are bounded by the
 * policy — tenant and zone ids, decisions from the error table, status classes, reasons and kinds
 * from fixed lists — never a user name, a path or an address.
 *
 * The per-request ones are plain numbers on the hot path — nested Map lookups on strings the
 * policy already holds and a bucket scan, no label string built, no label hashing — turned into
 * samples only when `/metrics` is scraped. The rare events (logins, lockouts, reloads, upstream
 * errors) are ordinary prom-client metrics (metrics-events.ts).
 */
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { GatewayMetrics } from '../deps.js';
import { eventMetrics } from './metrics-events.js';

/** Upper bounds of the latency buckets, in seconds. */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] as const;

/** The `code` label of a status: `1xx`…`5xx` (index = status / 100). */
const STATUS_CLASSES = ['0xx', '1xx', '2xx', '3xx', '4xx', '5xx'] as const;

/** The zone label of a request no zone matched (unknown host, reserved path, no route). */
export const NO_ZONE = '_none';

class Histogram {
  readonly buckets = new Float64Array(LATENCY_BUCKETS.length);
  sum = 0;
  count = 0;

  observe(seconds: number): void {
    this.sum += seconds;
    this.count++;
    for (let i = 0; i < LATENCY_BUCKETS.length; i++) {
      if (seconds <= LATENCY_BUCKETS[i]!) {
        this.buckets[i]!++;
        return;
      }
    }
  }

  samples(name: string, labels: Record<string, string>): Sample[] {
    const out: Sample[] = [];
    let cumulative = 0;
    LATENCY_BUCKETS.forEach((le, i) => {
      cumulative += this.buckets[i]!;
      out.push({ metricName: `${name}_bucket`, value: cumulative, labels: { ...labels, le } });
    });
    out.push({ metricName: `${name}_bucket`, value: this.count, labels: { ...labels, le: '+Inf' } });
    out.push({ metricName: `${name}_sum`, value: this.sum, labels });
    out.push({ metricName: `${name}_count`, value: this.count, labels });
    return out;
  }
}

type Sample = { value: number; labels: Record<string, string | number>; metricName?: string };

/** A metric prom-client's registry can print from our own numbers: name, help, type and `get()`. */
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

const newHistogram = () => new Histogram();

/** `map.get(key)`, creating the value on first use. */
function child<K, V>(map: Map<K, V>, key: K, create: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = create();
    map.set(key, value);
  }
  return value;
}

/**
 * Creates one gateway's metrics on a new registry (create-deps.ts: one set per deps).
 * @example const metrics = createMetrics(); metrics.request(200, 'allow', 'school-a', 'recipient', 0.003)
 */
export function createMetrics(): GatewayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  // tenant → zone → decision → count per status class.
  const requests = new Map<string, Map<string, Map<string, Float64Array>>>();
  const requestSeconds = new Map<string, Histogram>();
  const upstreamSeconds = new Map<string, Histogram>();

  registry.registerMetric(
    customMetric(
      'resultgate_requests_total',
      'Requests answered, by tenant, zone, decision (allow, client_closed or the denying error code) and status class',
      'counter',
      () => {
        const out: Sample[] = [];
        for (const [tenant, byZone] of requests)
          for (const [zone, byDecision] of byZone)
            for (const [decision, byClass] of byDecision)
              byClass.forEach((value, i) => {
                if (value > 0)
                  out.push({ value, labels: { tenant, zone, decision, code: STATUS_CLASSES[i]! } });
              });
        return out;
      },
    ) as never,
  );
  const histogram = (name: string, help: string, series: Map<string, Histogram>) =>
    registry.registerMetric(
      customMetric(name, help, 'histogram', () =>
        [...series].flatMap(([tenant, h]) => h.samples(name, { tenant })),
      ) as never,
    );
  histogram(
    'resultgate_request_duration_seconds',
    'Time from the request reaching the gateway to its answer (head written), by tenant',
    requestSeconds,
  );
  histogram(
    'resultgate_upstream_duration_seconds',
    'Time the upstream took to answer with headers, by tenant',
    upstreamSeconds,
  );

  /** tenant → zone → decision → count per status class, created on first use (no closure made). */
  function counters(tenant: string, zone: string, decision: string): Float64Array {
    let byZone = requests.get(tenant);
    if (byZone === undefined) {
      byZone = new Map();
      requests.set(tenant, byZone);
    }
    let byDecision = byZone.get(zone);
    if (byDecision === undefined) {
      byDecision = new Map();
      byZone.set(zone, byDecision);
    }
    let byClass = byDecision.get(decision);
    if (byClass === undefined) {
      byClass = new Float64Array(STATUS_CLASSES.length);
      byDecision.set(decision, byClass);
    }
    return byClass;
  }
  // The series of the last request and the last upstream answer. A gateway in front of one busy
  // zone asks for the same series request after request: most requests then compare three strings
  // (the policy's own, so usually the very same objects) instead of looking up five maps.
  let lastTenant: string | undefined;
  let lastZone = '';
  let lastDecision = '';
  let lastCounts: Float64Array = new Float64Array(0);
  let lastSeconds = new Histogram();
  let lastUpstreamTenant: string | undefined;
  let lastUpstreamSeconds = lastSeconds;

  return {
    registry,
    ...eventMetrics(registry),
    request(status, decision, tenant, zone, seconds) {
      if (tenant !== lastTenant || zone !== lastZone || decision !== lastDecision) {
        lastCounts = counters(tenant, zone, decision);
        lastSeconds = child(requestSeconds, tenant, newHistogram);
        lastTenant = tenant;
        lastZone = zone;
        lastDecision = decision;
      }
      const cls = (status / 100) | 0;
      lastCounts[cls >= 0 && cls < STATUS_CLASSES.length ? cls : 0]!++;
      lastSeconds.observe(seconds);
    },
    upstream(tenant, seconds) {
      if (tenant !== lastUpstreamTenant) {
        lastUpstreamSeconds = child(upstreamSeconds, tenant, newHistogram);
        lastUpstreamTenant = tenant;
      }
      lastUpstreamSeconds.observe(seconds);
    },
  };
}
