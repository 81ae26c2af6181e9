/**
 * Metrics, dashboard and alert rules against a real gateway: each metric the Grafana dashboard
 * and the Prometheus rules in deploy/monitoring/ use is exported by a running gateway; the rules
 * pass `promtool check rules` and their own `promtool test rules`; and the gateway's metrics move
 * as the events happen — by tenant, zone, decision and status class, with no user name or path in
 * any label.
 *
 * promtool comes from Debian's `prometheus` package (.ci/run installs it). Where it is missing the
 * promtool tests are skipped on a developer's machine, and fail under CI=true.
 */
import { execFile } from 'node:child_process';
import { randomBytes, scryptSync, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type EchoOptions,
  type EchoUpstream,
  httpRequest,
  httpsRequest,
  startEchoUpstream,
  startTestGateway,
  type TestGateway,
} from './helpers/index.js';

const run = promisify(execFile);
const MONITORING = fileURLToPath(new URL('../deploy/monitoring/', import.meta.url));

async function hasPromtool(): Promise<boolean> {
  return run('promtool', ['--version']).then(
    () => true,
    () => false,
  );
}
const promtool = await hasPromtool();
const inCi = process.env.CI === 'true';

/** A cheap scrypt hash: this test is about counting, not cost. */
function hash(password: string): string {
  const salt = randomBytes(16);
  const key = scryptSync(password, salt, 32, { N: 1024, r: 8, p: 1 });
  return `scrypt$1024$8$1$${salt.toString('base64')}$${key.toString('base64')}`;
}

let echo: EchoUpstream;
const echoOptions: EchoOptions = {};
let gw: TestGateway;
const maintenanceStart = new Date(Date.now() + 30 * 60_000);

beforeAll(async () => {
  echo = await startEchoUpstream(echoOptions);
  gw = await startTestGateway({
    upstream: echo.url,
    upstreamOptions: { connectTimeout: '1s', timeout: '5s' },
    tenants: {
      'school-a': {
        hosts: ['school-a.localhost'],
        lockout: { maxFailures: 3, window: '1m', duration: '1s' },
        users: { 'sato-secret-name': { passwordHash: hash('Right-Password-1'), roles: [] } },
        zones: [
          { name: 'api', path: '/api', auth: 'basic' },
          { name: 'busy', path: '/busy', auth: 'none', maxConcurrent: 1, maxQueue: 0 },
          { name: 'recipient', path: '/r', auth: 'none' },
        ],
        maintenance: [
          {
            start: maintenanceStart.toISOString(),
            end: new Date(maintenanceStart.getTime() + 3_600_000).toISOString(),
            announced: new Date(Date.now() - 8 * 86_400_000).toISOString(),
          },
        ],
      },
    },
  });
});

afterAll(async () => {
  await gw?.close();
  await echo?.close();
});

async function scrape(): Promise<string> {
  const res = await httpRequest({ port: gw.adminPort!, host: '127.0.0.1', path: '/metrics' });
  expect(res.status).toBe(200);
  return res.body;
}

/** The value of the sample `name{labels}` (labels in the order the gateway prints them). */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** Every metric name a PromQL expression in the dashboard or rules refers to. */
function metricNames(expr: string): string[] {
  return (expr.match(/[a-zA-Z_:][a-zA-Z0-9_:]*/g) ?? []).filter(
    (w) => /^(resultgate|process|nodejs)_/.test(w) || w === 'up',
  );
}

async function monitoredNames(): Promise<Set<string>> {
  const dashboard = JSON.parse(await readFile(`${MONITORING}dashboard.json`, 'utf8'));
  const exprs: string[] = [];
  const walk = (node: unknown) => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) {
        if ((k === 'expr' || k === 'definition') && typeof v === 'string') exprs.push(v);
        else walk(v);
      }
    }
  };
  walk(dashboard);
  const rules = await readFile(`${MONITORING}alerts.yml`, 'utf8');
  // The rules are YAML; every expression is an `expr:` scalar, one line or a `|` block.
  for (const m of rules.matchAll(/expr: (\|\n((?: {10,}.*\n)+)|.*)/g)) exprs.push(m[2] ?? m[1]!);
  return new Set(exprs.flatMap(metricNames));
}

describe('deploy/monitoring', () => {
  it('uses only metrics a running gateway exports (up is Prometheus’s own)', async () => {
    const text = await scrape();
    const exported = new Set([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => m[1]!));
    const names = await monitoredNames();
    expect(names.size).toBeGreaterThan(15);
    const missing = [...names].filter(
      (n) => n !== 'up' && !exported.has(n) && !exported.has(n.replace(/_(bucket|sum|count)$/, '')),
    );
    expect(missing).toEqual([]);
    for (const required of [
      'resultgate_requests_total',
      'resultgate_request_duration_seconds_bucket',
      'resultgate_upstream_duration_seconds_bucket',
      'resultgate_upstream_errors_total',
      'resultgate_logins_total',
      'resultgate_login_failures_total',
      'resultgate_lockouts_total',
      'resultgate_unlocks_total',
      'resultgate_sessions_active',
      'resultgate_admission_queue_length',
      'resultgate_policy_reloads_total',
      'resultgate_log_lines_lost_total',
      'resultgate_tls_certificate_expiry_timestamp_seconds',
      'resultgate_maintenance_next_start_timestamp_seconds',
    ]) {
      expect(names, required).toContain(required);
    }
  });

  it.skipIf(!promtool && !inCi)('passes promtool check rules and its rule tests', async () => {
    expect(promtool, 'promtool is missing: apt-get install prometheus (.ci/run does)').toBe(true);
    const check = await run('promtool', ['check', 'rules', 'alerts.yml'], { cwd: MONITORING });
    expect(check.stdout).toContain('SUCCESS: 9 rules found');
    const tests = await run('promtool', ['test', 'rules', 'alerts.test.yml'], { cwd: MONITORING });
    expect(tests.stdout).toContain('SUCCESS');
  });
});

describe('gateway metrics', () => {
  const auth = (password: string) => ({
    authorization: `Basic ${Buffer.from(`sato-secret-name:${password}`).toString('base64')}`,
  });

  it('counts requests by tenant, zone, decision and status class, and sign-ins, failures and lockouts', async () => {
    const ok = await httpsRequest({
      port: gw.httpsPort,
      path: '/api/one',
      headers: auth('Right-Password-1'),
    });
    expect(ok.status).toBe(200);
    await httpsRequest({ port: gw.httpsPort, path: '/api/two', headers: auth('Right-Password-1') }); // cached
    // The failure that reaches maxFailures (3) is answered 429 at once.
    for (const expected of [401, 401, 429]) {
      const bad = await httpsRequest({
        port: gw.httpsPort,
        path: '/api/x',
        headers: auth('Wrong-Password-1'),
      });
      expect(bad.status).toBe(expected);
    }
    await httpsRequest({ port: gw.httpsPort, path: '/nowhere-secret-path' });
    const text = await scrape();
    expect(
      sample(text, 'resultgate_requests_total{tenant="school-a",zone="api",decision="allow",code="2xx"}'),
    ).toBe(2);
    expect(
      sample(
        text,
        'resultgate_requests_total{tenant="school-a",zone="api",decision="unauthorized",code="4xx"}',
      ),
    ).toBe(2);
    expect(
      sample(
        text,
        'resultgate_requests_total{tenant="school-a",zone="api",decision="locked_out",code="4xx"}',
      ),
    ).toBe(1);
    expect(sample(text, 'resultgate_logins_total{tenant="school-a",via="basic"}')).toBe(1);
    expect(sample(text, 'resultgate_login_failures_total{tenant="school-a",reason="bad_password"}')).toBe(3);
    expect(sample(text, 'resultgate_lockouts_total{tenant="school-a"}')).toBe(1);
    expect(sample(text, 'resultgate_request_duration_seconds_count{tenant="school-a"}')).toBe(6);
    expect(sample(text, 'resultgate_upstream_duration_seconds_count{tenant="school-a"}')).toBe(2);
    // Bounded labels: no user name, no path.
    expect(text).not.toContain('sato-secret-name');
    expect(text).not.toContain('nowhere-secret-path');
    // The lock (of the name; the address's threshold is higher) lasts 1 s; once over, a scrape counts the unlock.
    expect(sample(text, 'resultgate_unlocks_total{tenant="school-a"}')).toBeUndefined();
    await new Promise((r) => setTimeout(r, 1_200));
    expect(sample(await scrape(), 'resultgate_unlocks_total{tenant="school-a"}')).toBe(1);
  });

  it('exports the certificate expiry and the next maintenance start', async () => {
    const text = await scrape();
    const cert = new X509Certificate(await readFile(gw.policy().server.https.certFile));
    expect(sample(text, 'resultgate_tls_certificate_expiry_timestamp_seconds')).toBe(
      Date.parse(cert.validTo) / 1000,
    );
    expect(sample(text, 'resultgate_maintenance_next_start_timestamp_seconds{tenant="school-a"}')).toBe(
      maintenanceStart.getTime() / 1000,
    );
    expect(sample(text, 'resultgate_maintenance_active{tenant="school-a"}')).toBe(0);
  });

  it('counts admission refusals, refused reloads and upstream errors by kind', async () => {
    // The busy zone takes one request at a time and queues none: hold one open, the next is refused.
    echoOptions.delayMs = 1_500;
    const held = httpsRequest({ port: gw.httpsPort, path: '/busy/slow' });
    await new Promise((r) => setTimeout(r, 300));
    const refused = await httpsRequest({ port: gw.httpsPort, path: '/busy/again' });
    expect(refused.status).toBe(503);
    expect((await held).status).toBe(200);
    echoOptions.delayMs = 0;

    await gw.writePolicy({ ...gw.policyInput, version: 2 as never });
    await expect(gw.reload()).rejects.toThrow(/version/);
    await gw.writePolicy(gw.policyInput);

    await echo.close();
    const down = await httpsRequest({ port: gw.httpsPort, path: '/r/x' });
    expect(down.status).toBe(502);
    const text = await scrape();
    expect(
      sample(
        text,
        'resultgate_requests_total{tenant="school-a",zone="busy",decision="overloaded",code="5xx"}',
      ),
    ).toBe(1);
    expect(sample(text, 'resultgate_admission_queue_length{tenant="school-a",zone="busy"}')).toBe(0);
    expect(sample(text, 'resultgate_policy_reloads_total{result="refused"}')).toBe(1);
    expect(sample(text, 'resultgate_upstream_errors_total{tenant="school-a",kind="connect"}')).toBe(1);
    expect(
      sample(
        text,
        'resultgate_requests_total{tenant="school-a",zone="recipient",decision="upstream_unavailable",code="5xx"}',
      ),
    ).toBe(1);
  });
});
