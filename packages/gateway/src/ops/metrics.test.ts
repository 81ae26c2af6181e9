import { describe, expect, it } from 'vitest';
import { createMetrics } from './metrics.js';

describe('createMetrics', () => {
  it('counts interleaved tenants, zones and decisions each in its own series', async () => {
    const metrics = createMetrics();
    // The last series is kept for the next request: every change of tenant, zone or decision
    // must still land in its own series (and an equal string from elsewhere in the same one).
    const calls: [number, string, string, string][] = [
      [200, 'allow', 'a', 'api'],
      [200, 'allow', 'a', 'api'],
      [403, 'forbidden', 'a', 'api'],
      [200, 'allow', 'a', 'web'],
      [200, 'allow', 'b', 'api'],
      [502, 'upstream_unavailable', 'b', 'api'],
      [200, 'allow', 'a', 'api'],
      // Built at run time (a literal 'al' + 'low' would be folded into the same constant).
      [200, ['al', 'low'].join(''), ['a'].join(''), 'api'],
    ];
    for (const [status, decision, tenant, zone] of calls)
      metrics.request(status, decision, tenant, zone, 0.01);
    for (const tenant of ['a', 'b', 'a', 'a']) metrics.upstream(tenant, 0.2);
    const text = await metrics.registry.metrics();
    const line = (labels: string) =>
      text.split('\n').find((l) => l.startsWith(`resultgate_requests_total{${labels}}`));
    expect(line('tenant="a",zone="api",decision="allow",code="2xx"')).toMatch(/ 4$/);
    expect(line('tenant="a",zone="api",decision="forbidden",code="4xx"')).toMatch(/ 1$/);
    expect(line('tenant="a",zone="web",decision="allow",code="2xx"')).toMatch(/ 1$/);
    expect(line('tenant="b",zone="api",decision="allow",code="2xx"')).toMatch(/ 1$/);
    expect(line('tenant="b",zone="api",decision="upstream_unavailable",code="5xx"')).toMatch(/ 1$/);
    expect(text).toContain('resultgate_request_duration_seconds_count{tenant="a"} 6');
    expect(text).toContain('resultgate_request_duration_seconds_count{tenant="b"} 2');
    expect(text).toContain('resultgate_upstream_duration_seconds_count{tenant="a"} 3');
    expect(text).toContain('resultgate_upstream_duration_seconds_count{tenant="b"} 1');
  });
});
