/**
 * The metrics of rare events — sign-ins and their failures, lockouts, policy reloads, upstream
 * errors — as ordinary prom-client metrics, and the gauges read from the running
 * gateway when `/metrics` is scraped (admission queues, sessions, maintenance windows, the
 * certificate's expiry). Most are counted from the audit events the gateway writes anyway
 * ({@link EventMetrics.audit}), so the steps that emit them need no metrics code of their own.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { EventMetrics, GatewayProbe } from '../deps.js';
import { logLinesLostCounter } from '../logs/health.js';
import type { AuditEvent } from '../types.js';
import { packageVersion } from '../version.js';

/** Failure reasons kept as label values; any other is `other`, so the label stays bounded. */
const FAILURE_REASONS = new Set([
  'unknown_user',
  'bad_password',
  'disabled',
  'locked_out',
  'invalid_session',
  'missing_role',
]);

/** Creates the event metrics on `registry`. */
export function eventMetrics(registry: Registry): EventMetrics {
  const registers = [registry];
  const logins = new Counter({
    name: 'resultgate_logins_total',
    help: 'Successful sign-ins: the login form (via=form) and Basic-auth checks that ran the password hash (via=basic; cached checks are not counted)',
    labelNames: ['tenant', 'via'] as const,
    registers,
  });
  const failures = new Counter({
    name: 'resultgate_login_failures_total',
    help: 'Refused credentials (Basic auth, login form, logs route, session cookies), by reason',
    labelNames: ['tenant', 'reason'] as const,
    registers,
  });
  const lockouts = new Counter({
    name: 'resultgate_lockouts_total',
    help: 'Lockouts begun (a user or an address reached lockout.maxFailures)',
    labelNames: ['tenant'] as const,
    registers,
  });
  let probe: GatewayProbe | undefined;
  // Lockouts this gateway began and when each ends (the lockout audit line says): counted as
  // unlocks once that time has passed. Bounded by the lockouts of one lockout.duration.
  let pendingUnlocks: { tenant: string; until: number }[] = [];
  new Counter({
    name: 'resultgate_unlocks_total',
    help: 'Lockouts begun here that have ended (their lockout.duration passed), counted at scrape time',
    labelNames: ['tenant'] as const,
    registers,
    collect() {
      const now = probe?.now() ?? Date.now();
      const left: typeof pendingUnlocks = [];
      for (const p of pendingUnlocks) {
        if (p.until <= now) this.inc({ tenant: p.tenant });
        else left.push(p);
      }
      pendingUnlocks = left;
    },
  });
  const reloads = new Counter({
    name: 'resultgate_policy_reloads_total',
    help: 'Policy reloads, by result: ok, or refused (an invalid policy; the old one keeps serving)',
    labelNames: ['result'] as const,
    registers,
  });
  const lastReload = new Gauge({
    name: 'resultgate_policy_last_reload_success_timestamp_seconds',
    help: 'When the serving policy was loaded',
    registers,
  });
  const upstreamErrors = new Counter({
    name: 'resultgate_upstream_errors_total',
    help: 'Upstream requests that failed, by kind: timeout (no answer within server.upstream.timeout), connect (refused, unreachable, connectTimeout), reset (connection cut), other',
    labelNames: ['tenant', 'kind'] as const,
    registers,
  });
  const certExpiry = new Gauge({
    name: 'resultgate_tls_certificate_expiry_timestamp_seconds',
    help: "The HTTPS certificate's notAfter (Unix time)",
    registers,
  });
  new Gauge({
    name: 'resultgate_build_info',
    help: 'The running gateway version (always 1)',
    labelNames: ['version'] as const,
    registers,
  }).set({ version: packageVersion() }, 1);
  logLinesLostCounter(registry); // resultgate_log_lines_lost_total, 0 until a write fails

  const sessions = new Map<string, number>(); // tenant \0 user → sign-in time (ms)
  const signedIn = (e: AuditEvent) => `${e.tenant}\0${e.user ?? ''}`;

  new Gauge({
    name: 'resultgate_sessions_active',
    help: 'Users signed in through the login form whose session has not ended (no logout, expiry or refusal seen, and within sessions.maxAge)',
    labelNames: ['tenant'] as const,
    registers,
    collect() {
      this.reset();
      if (!probe) return;
      const since = probe.now() - probe.sessionMaxAge;
      const counts = new Map<string, number>();
      for (const [key, at] of sessions) {
        if (at < since) sessions.delete(key);
        else {
          const tenant = key.slice(0, key.indexOf('\0'));
          counts.set(tenant, (counts.get(tenant) ?? 0) + 1);
        }
      }
      for (const [tenant, n] of counts) this.set({ tenant }, n);
    },
  });
  new Gauge({
    name: 'resultgate_admission_queue_length',
    help: "Requests waiting in each limited zone's admission queue",
    labelNames: ['tenant', 'zone'] as const,
    registers,
    collect() {
      this.reset();
      for (const q of probe?.admissionQueues() ?? []) this.set({ tenant: q.tenant, zone: q.zone }, q.queued);
    },
  });
  new Gauge({
    name: 'resultgate_maintenance_next_start_timestamp_seconds',
    help: "Start of each tenant's next maintenance window (Unix time); absent when none is scheduled",
    labelNames: ['tenant'] as const,
    registers,
    collect() {
      this.reset();
      if (!probe) return;
      for (const m of probe.maintenance(probe.now())) {
        if (m.nextStart !== undefined) this.set({ tenant: m.tenant }, m.nextStart / 1000);
      }
    },
  });
  new Gauge({
    name: 'resultgate_maintenance_active',
    help: 'Whether a maintenance window is on for the tenant now (1) or not (0)',
    labelNames: ['tenant'] as const,
    registers,
    collect() {
      this.reset();
      if (!probe) return;
      for (const m of probe.maintenance(probe.now())) this.set({ tenant: m.tenant }, m.active ? 1 : 0);
    },
  });

  return {
    audit(e) {
      switch (e.type) {
        case 'login':
          logins.inc({ tenant: e.tenant, via: 'form' });
          sessions.set(signedIn(e), probe?.now() ?? Date.now());
          break;
        case 'logout':
        case 'session_expired':
          sessions.delete(signedIn(e));
          break;
        case 'auth_failure': {
          const reason = e.reason === 'user_disabled' ? 'disabled' : (e.reason ?? 'other');
          failures.inc({ tenant: e.tenant, reason: FAILURE_REASONS.has(reason) ? reason : 'other' });
          break;
        }
        case 'lockout': {
          lockouts.inc({ tenant: e.tenant });
          const until = typeof e.until === 'string' ? Date.parse(e.until) : Number.NaN;
          if (!Number.isNaN(until)) pendingUnlocks.push({ tenant: e.tenant, until });
          break;
        }
        case 'policy_reload':
          reloads.inc({ result: 'ok' });
          lastReload.setToCurrentTime();
          break;
        case 'policy_reload_refused':
          reloads.inc({ result: 'refused' });
          break;
      }
    },
    basicLogin(tenant) {
      logins.inc({ tenant, via: 'basic' });
    },
    upstreamError(tenant, kind) {
      upstreamErrors.inc({ tenant, kind });
    },
    certificateExpiry(notAfterMs) {
      certExpiry.set(notAfterMs / 1000);
    },
    probe(next) {
      probe = next;
      lastReload.setToCurrentTime();
    },
  };
}
