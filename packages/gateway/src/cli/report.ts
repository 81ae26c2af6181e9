/**
 * `resultgate report [--policy FILE] [--format md|json]` — the security-checklist report: for
 * each tenant, each promise of the checklist with the policy value that enforces it, or a plain
 * "not enforced". It is the page an operator hands a customer who asks how the checklist is met;
 * every value comes from the policy file.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { HSTS } from '../http/headers.js';
import { loadPolicyFile, PolicyError } from '../policy/load.js';
import type { Policy, Tenant, Zone } from '../policy/schema.js';
import { type CliCommand, EXIT, policyPath } from './command.js';
import { type DataStatus, dataItems, readDataStatus } from './data-status.js';

/** `enforced`, `weak` (on, but below the checklist's promise) or `not enforced`. */
export type ReportStatus = 'enforced' | 'weak' | 'not enforced';

/** One checklist promise for one tenant. */
export interface ReportItem {
  id: string;
  title: string;
  status: ReportStatus;
  /** The policy value that enforces it, or why it is not enforced. */
  value: string;
}

/** The report of one tenant. */
export interface TenantReport {
  tenant: string;
  name?: string;
  items: ReportItem[];
}

const DAY = 86_400_000;
const UNITS: [number, string][] = [
  [DAY, 'd'],
  [3_600_000, 'h'],
  [60_000, 'm'],
  [1_000, 's'],
];

/** 3_600_000 → `1h`, 90_000 → `90s`. */
export function formatDuration(ms: number): string {
  for (const [size, unit] of UNITS) if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

const zoneLabel = (z: Zone) => `${z.name} (${z.path})`;
const isOpen = (cidrs: readonly string[]) => cidrs.some((c) => c === '0.0.0.0/0' || c === '::/0');

function ipRestriction(t: Tenant): ReportItem {
  const parts: string[] = [];
  if (t.ipAllow) parts.push(`tenant: ${t.ipAllow.join(', ')}`);
  for (const z of t.zones) if (z.ipAllow) parts.push(`zone ${zoneLabel(z)}: ${z.ipAllow.join(', ')}`);
  const restricted =
    (t.ipAllow && !isOpen(t.ipAllow)) || t.zones.some((z) => z.ipAllow && !isOpen(z.ipAllow));
  if (parts.length === 0) return item('ip', 'not enforced', 'no ipAllow on the tenant or any zone');
  return item(
    'ip',
    restricted ? 'enforced' : 'not enforced',
    `${parts.join('; ')}${restricted ? '' : ' (any address)'}`,
  );
}

function authentication(t: Tenant): ReportItem {
  const parts = t.zones.map((z) => {
    const bypass = z.authBypass ? `, without credentials from ${z.authBypass.join(', ')}` : '';
    return `${zoneLabel(z)}: ${z.auth}${bypass}`;
  });
  const basic = t.zones.some((z) => z.auth === 'basic');
  return item(
    'auth',
    basic ? 'enforced' : 'not enforced',
    `${basic ? '' : 'no basic zone; '}${parts.join('; ')}`,
  );
}

function idleTimeout(t: Tenant, policy: Policy): ReportItem {
  const form = t.zones.filter((z) => z.auth === 'form');
  const none = t.zones.filter((z) => z.auth === 'none').map((z) => z.name);
  const parts = form.map((z) => {
    const idle = z.idleTimeout ?? policy.sessions.idleTimeout;
    return `${zoneLabel(z)}: ${formatDuration(idle)} idle, ${formatDuration(policy.sessions.maxAge)} max`;
  });
  const basic = t.zones.filter((z) => z.auth === 'basic').map((z) => z.name);
  if (basic.length > 0)
    parts.push(`${basic.join(', ')}: Basic auth, no session (credentials on every request)`);
  if (none.length > 0) parts.push(`no limit on ${none.join(', ')} (auth: none)`);
  if (form.length === 0)
    return item('idle', 'not enforced', `no login-session (form) zone; ${parts.join('; ')}`);
  const over = form.filter((z) => (z.idleTimeout ?? policy.sessions.idleTimeout) > 3_600_000);
  return item('idle', over.length > 0 ? 'weak' : 'enforced', parts.join('; '));
}

function tls(policy: Policy): ReportItem {
  const plain = policy.server.http
    ? `plain HTTP :${policy.server.http.port} only redirects (308) GET/HEAD and refuses the rest (403 tls_required)`
    : 'no plain HTTP listener';
  return item('tls', 'enforced', `HTTPS :${policy.server.https.port}; ${plain}; ${HSTS[0]}: ${HSTS[1]}`);
}

function retention(policy: Policy): ReportItem {
  const days = policy.logs.retentionDays;
  const value = `access and audit logs per tenant in ${policy.logs.dir}/<tenant>, kept ${days} days${policy.logs.failClosed ? '; requests refused (503) while logs cannot be written' : ''}`;
  return item('retention', days >= 30 ? 'enforced' : 'weak', value);
}

function passwordPolicy(t: Tenant): ReportItem {
  const { minLength, minClasses } = t.passwordPolicy;
  const value = `at least ${minLength} characters from ${minClasses} of 4 classes (lower, upper, digit, symbol)`;
  return item('password', minLength >= 8 ? 'enforced' : 'weak', value);
}

function lockout(t: Tenant): ReportItem {
  const { maxFailures, window, duration } = t.lockout;
  const value = `${maxFailures} failures within ${formatDuration(window)} lock the user and the address for ${formatDuration(duration)}`;
  return item('lockout', 'enforced', value);
}

function roles(t: Tenant): ReportItem {
  const zones = t.zones.filter((z) => z.roles).map((z) => `${zoneLabel(z)}: ${z.roles!.join(', ')}`);
  const users = Object.entries(t.users).map(([n, u]) => `${n}=${u.roles.join('+') || '(none)'}`);
  if (zones.length === 0) return item('roles', 'not enforced', 'no zone requires a role');
  return item('roles', 'enforced', `${zones.join('; ')}; users: ${users.join(', ') || '(none)'}`);
}

function maintenance(t: Tenant): ReportItem {
  if (t.maintenance.length === 0) return item('maintenance', 'enforced', 'no window scheduled');
  const parts = t.maintenance.map((w) => {
    const lead = Date.parse(w.start) - Date.parse(w.announced);
    return `${w.start} to ${w.end} announced ${(lead / DAY).toFixed(1)} days ahead`;
  });
  const short = t.maintenance.some((w) => Date.parse(w.start) - Date.parse(w.announced) < 7 * DAY);
  return item(
    'maintenance',
    short ? 'not enforced' : 'enforced',
    `${parts.join('; ')}; listed at /.gateway/notices`,
  );
}

function isolation(id: string, t: Tenant, policy: Policy): ReportItem {
  const shared = t.hosts.filter((h) =>
    Object.entries(policy.tenants).some(
      ([other, o]) => other !== id && o.hosts.some((x) => x.toLowerCase() === h.toLowerCase()),
    ),
  );
  const value = `hosts ${t.hosts.join(', ')}; own users, sessions bound to the tenant, own log directory ${policy.logs.dir}/${id}`;
  if (shared.length > 0)
    return item('isolation', 'not enforced', `host ${shared.join(', ')} also claimed by another tenant`);
  return item('isolation', 'enforced', value);
}

const TITLES: Record<string, string> = {
  ip: 'IP address restriction',
  auth: 'Basic authentication',
  idle: 'Idle timeout per zone',
  tls: 'TLS only and HSTS',
  retention: 'Access log retention',
  audit: 'Audit log tamper evidence',
  password: 'Password policy',
  lockout: 'Account lockout',
  roles: 'Roles (privilege assignment)',
  maintenance: 'Maintenance notice at least 7 days ahead',
  isolation: 'Tenant isolation',
};

function item(id: string, status: ReportStatus, value: string): ReportItem {
  return { id, title: TITLES[id]!, status, value };
}

/**
 * Builds the checklist report of every tenant of a validated policy.
 * @param data the result service's data-status file (backup, encryption, deletion evidence);
 *   without it those three items say "not enforced" and why
 * @param now the clock of the backup's freshness @default Date.now()
 */
export function buildReport(policy: Policy, data?: DataStatus, now = Date.now()): TenantReport[] {
  const audit = item(
    'audit',
    'enforced',
    'SHA-256 hash chain per tenant (seq, prev, hash) with a recorded head; check with `resultgate logs verify`',
  );
  return Object.entries(policy.tenants).map(([id, t]) => ({
    tenant: id,
    name: t.name,
    items: [
      ipRestriction(t),
      authentication(t),
      idleTimeout(t, policy),
      tls(policy),
      retention(policy),
      audit,
      passwordPolicy(t),
      lockout(t),
      roles(t),
      maintenance(t),
      isolation(id, t, policy),
      ...dataItems(data, now),
    ],
  }));
}

/** The report as Markdown: one section and table per tenant. */
export function reportMarkdown(reports: TenantReport[]): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const out = ['# Security checklist report', ''];
  for (const r of reports) {
    out.push(
      `## ${r.tenant}${r.name ? ` (${cell(r.name)})` : ''}`,
      '',
      '| Promise | Status | Enforced by |',
      '|---|---|---|',
    );
    for (const i of r.items) out.push(`| ${i.title} | ${i.status} | ${cell(i.value)} |`);
    out.push('');
  }
  return `${out.join('\n')}\n`;
}

const HELP = `Usage: resultgate report [--policy FILE] [--data-status FILE] [--format md|json]

Prints, for each tenant, each promise of the security checklist (IP restriction, Basic auth, idle
timeout per zone, TLS only and HSTS, log retention, audit tamper evidence, password policy,
lockout, roles, maintenance notice at least 7 days ahead, tenant isolation) with the policy value
that enforces it. Status: "enforced", "weak" (on, but below the promise: retention under 30 days,
passwords under 8 characters, an idle timeout over 1h) or "not enforced".

Backups, encryption at rest and deletion at contract end are the upstream's data, not the
policy's: their evidence (last backup, last restore check, encryption on, purges done) comes from
the result service's data-status file (<its db dir>/data-status.json, written by the service and
its CLI). Without it these items say "not enforced".

Options:
  --policy FILE       the policy file (default $RESULTGATE_POLICY, else ./policy.json)
  --data-status FILE  the result service's data-status.json (default $RESULTGATE_DATA_STATUS)
  --format md|json Markdown tables (default) or JSON

Exit codes:
  0  the report was printed
  1  the policy is invalid or cannot be read
  2  usage error
  4  the policy has no tenant: nothing to report
`;

export const command: CliCommand = {
  name: 'report',
  summary: 'the security checklist per tenant, with the policy values that enforce it',
  help: HELP,
  async run(argv, io) {
    let values: { policy?: string; format?: string; 'data-status'?: string };
    try {
      ({ values } = parseArgs({
        args: argv,
        options: {
          policy: { type: 'string' },
          'data-status': { type: 'string' },
          format: { type: 'string', default: 'md' },
        },
        strict: true,
      }));
    } catch (err) {
      io.stderr.write(`resultgate report: ${(err as Error).message}\n`);
      return EXIT.usage;
    }
    if (values.format !== 'md' && values.format !== 'json') {
      io.stderr.write('resultgate report: --format is md or json\n');
      return EXIT.usage;
    }
    let policy: Policy;
    try {
      policy = await loadPolicyFile(resolve(io.cwd, policyPath(values.policy, io)));
    } catch (err) {
      io.stderr.write(`resultgate report: ${err instanceof PolicyError ? err.message : String(err)}\n`);
      return EXIT.failed;
    }
    if (Object.keys(policy.tenants).length === 0) {
      io.stderr.write('resultgate report: the policy has no tenant\n');
      return EXIT.empty;
    }
    const dataFile = values['data-status'] ?? io.env.RESULTGATE_DATA_STATUS;
    let data: DataStatus | undefined;
    if (dataFile) {
      try {
        data = await readDataStatus(resolve(io.cwd, dataFile));
      } catch (err) {
        io.stderr.write(`resultgate report: ${(err as Error).message}\n`);
        return EXIT.failed;
      }
    }
    const reports = buildReport(policy, data);
    io.stdout.write(
      values.format === 'json'
        ? `${JSON.stringify({ tenants: reports }, null, 2)}\n`
        : reportMarkdown(reports),
    );
    return EXIT.ok;
  },
};
