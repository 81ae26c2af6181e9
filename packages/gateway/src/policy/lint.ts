/**
 * Warnings about a valid policy (docs/architecture.md §5): rules that load but break a promise of the
 * security checklist (7 days' notice of maintenance, 1 h idle timeout on admin screens, a real password
 * policy) or that can never take effect (a zone no request reaches, a host listed twice).
 */
import ipaddr from 'ipaddr.js';
import { formatPath } from './load.js';
import { type Policy, type Tenant, type Zone, zonePathKey } from './schema.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
/** The checklist's promises. */
const NOTICE_DAYS = 7;
const ADMIN_IDLE_LIMIT = HOUR;
const MIN_PASSWORD_LENGTH = 8;
const RESERVED = '/.gateway';

/** `7200000` → `2h`, `5400000` → `90m`. */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [
    ['d', DAY],
    ['h', HOUR],
    ['m', 60_000],
    ['s', 1_000],
  ] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** A zone that guards administration: its name or path says admin, or it requires the admin role. */
export function isAdminZone(zone: Zone): boolean {
  return /admin/i.test(zone.name) || /admin/i.test(zone.path) || (zone.roles ?? []).includes('admin');
}

/**
 * The path a request would have to carry for this zone to match, after the gateway's
 * normalisation (dot segments resolved, `//` collapsed); `null` when no request path can equal it.
 */
function normalZonePath(path: string): string | null {
  // Requests are percent-decoded (and encoded `/` rejected) before matching, and never carry a
  // query or fragment: a zone path with any of these can never match.
  if (/[%?#\\]|[\x00-\x1f\x7f]/.test(path)) return null;
  const out: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') out.pop();
    else out.push(segment);
  }
  return `/${out.join('/')}`;
}

function lintZonePath(zone: Zone, at: string, warn: (path: string, message: string) => void): void {
  const normal = normalZonePath(zone.path);
  if (normal === null) {
    warn(
      `${at}.path`,
      'contains %, ?, #, \\ or a control character; requests are decoded and normalised before matching, so this zone can never match',
    );
    return;
  }
  if (normal === RESERVED || normal.startsWith(`${RESERVED}/`)) {
    warn(`${at}.path`, `${RESERVED}/ is reserved for the gateway's own pages; this zone can never match`);
  } else if (normal !== zonePathKey(zone.path)) {
    // A trailing "/" is fine (the matcher drops it); "//", "." or ".." never survive normalisation.
    warn(`${at}.path`, `can never match: requests are normalised before matching, so write "${normal}"`);
  }
}

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

function toRange(cidr: string): Range {
  if (cidr.includes('/')) return ipaddr.parseCIDR(cidr);
  const ip = ipaddr.parse(cidr);
  return [ip, ip.kind() === 'ipv4' ? 32 : 128];
}

/** Two CIDR ranges overlap when one contains the other's first address. */
function overlaps(a: Range, b: Range): boolean {
  if (a[0].kind() !== b[0].kind()) return false;
  return a[0].match(b) || b[0].match(a);
}

/** A scheduled opening that will not do what its operator expects. */
function lintOpening(
  tenant: Tenant,
  zone: Zone,
  z: string,
  nowMs: number,
  warn: (p: string, m: string) => void,
): void {
  const opensAt = zone.opensAt ?? tenant.opensAt;
  if (opensAt === undefined || Date.parse(opensAt) <= nowMs) return;
  if (zone.maxConcurrent === undefined) {
    warn(
      `${z}.opensAt`,
      'an opening without maxConcurrent: at opensAt everyone waiting is let in at once, with no draw and no queue',
    );
  }
  if (zone.opensAt === undefined && (zone.auth !== 'none' || isAdminZone(zone))) {
    warn(
      `${z}.opensAt`,
      `closed until the tenant's opensAt, as every zone without its own: its staff or API cannot reach it before; give it an opensAt in the past to keep it open`,
    );
  }
}

function lintZones(
  policy: Policy,
  tenant: Tenant,
  at: string,
  nowMs: number,
  warn: (p: string, m: string) => void,
): void {
  const hasUsers = Object.values(tenant.users).some((u) => !u.disabled);
  const tenantRanges = tenant.ipAllow?.map(toRange);
  tenant.zones.forEach((zone, i) => {
    const z = `${at}.zones[${i}]`;
    lintZonePath(zone, z, warn);
    if (isAdminZone(zone) && zone.auth === 'none' && !zone.authBypass) {
      warn(`${z}.auth`, 'an admin zone with auth "none": anyone who can reach it gets in');
    }
    if (zone.auth === 'none') {
      if (zone.roles)
        warn(`${z}.roles`, 'roles on a zone with auth "none": no one is signed in, so all are refused');
      if (zone.authBypass) warn(`${z}.authBypass`, 'has no effect on a zone with auth "none"');
    } else if (!hasUsers && !zone.authBypass) {
      warn(`${z}.auth`, `auth "${zone.auth}" but the tenant has no users: no one can sign in`);
    } else if (zone.roles && !zone.authBypass) {
      const held = new Set(Object.values(tenant.users).flatMap((u) => (u.disabled ? [] : u.roles)));
      if (!zone.roles.some((r) => held.has(r))) {
        warn(
          `${z}.roles`,
          `no user of this tenant has the role ${zone.roles.join(' or ')}: no one can enter`,
        );
      }
    }
    if (zone.auth === 'basic' && isAdminZone(zone)) {
      warn(
        `${z}.auth`,
        'an admin zone with Basic auth has no idle timeout (browsers resend the password); use "form" for the 1h the checklist promises',
      );
    }
    if (zone.auth === 'form' && isAdminZone(zone)) {
      const idle = zone.idleTimeout ?? policy.sessions.idleTimeout;
      if (idle > ADMIN_IDLE_LIMIT) {
        const where =
          zone.idleTimeout === undefined ? `${z} (from sessions.idleTimeout)` : `${z}.idleTimeout`;
        warn(where, `idle timeout ${formatDuration(idle)} on an admin zone; the checklist promises 1h`);
      }
    }
    lintOpening(tenant, zone, z, nowMs, warn);
    if (zone.ipAllow && tenantRanges) {
      const reachable = zone.ipAllow.map(toRange).some((r) => tenantRanges.some((t) => overlaps(r, t)));
      if (!reachable)
        warn(`${z}.ipAllow`, "no address here is in the tenant's ipAllow: this zone can never be reached");
    }
  });
}

/**
 * Lints a valid policy.
 * @param policy a policy that passed {@link parsePolicy}
 * @param now the current time (maintenance windows that have ended are not checked)
 * @returns one `path: message` line per warning, tenant by tenant in file order
 * @example for (const w of lintPolicy(policy, Date.now())) console.log(`warning: ${w}`)
 */
export function lintPolicy(policy: Policy, now: number | Date, workers = 1): string[] {
  const nowMs = typeof now === 'number' ? now : now.getTime();
  const warnings: string[] = [];
  const warn = (path: string, message: string) => warnings.push(`${path}: ${message}`);
  const processes = policy.server.replicas * workers;
  for (const [id, tenant] of Object.entries(policy.tenants)) {
    const at = formatPath(['tenants', id]);
    // Each process admits at least 1: under the number of processes, the limit cannot hold.
    tenant.zones.forEach((zone, i) => {
      if (zone.maxConcurrent !== undefined && zone.maxConcurrent < processes) {
        warn(
          `${at}.zones[${i}].maxConcurrent`,
          `${zone.maxConcurrent} is below the ${processes} gateway processes (server.replicas ${policy.server.replicas} × ${workers} workers): each admits 1, so the upstream may see ${processes} at once`,
        );
      }
    });
    // Hosts are canonical here (schema.ts); one claimed by two tenants is an error there.
    tenant.hosts.forEach((host, i) => {
      if (tenant.hosts.indexOf(host) < i) warn(`${at}.hosts[${i}]`, `host "${host}" is listed twice`);
    });
    if (tenant.passwordPolicy.minLength < MIN_PASSWORD_LENGTH) {
      warn(
        `${at}.passwordPolicy.minLength`,
        `${tenant.passwordPolicy.minLength} is below ${MIN_PASSWORD_LENGTH} characters`,
      );
    }
    lintZones(policy, tenant, at, nowMs, warn);
    tenant.maintenance.forEach((window, i) => {
      const start = Date.parse(window.start);
      if (Date.parse(window.end) <= nowMs) return;
      const notice = start - Date.parse(window.announced);
      if (notice < NOTICE_DAYS * DAY) {
        const given = notice <= 0 ? 'not before it starts' : `${formatDuration(notice)} before it starts`;
        warn(
          `${at}.maintenance[${i}].announced`,
          `announced ${given}; the checklist promises 7 days' notice`,
        );
      }
    });
  }
  return warnings;
}
