/**
 * The policy file's schema: the single source of the `Policy` type and of `policy.schema.json`.
 *
 * Defaults of durations and sizes are written as the user would (`.prefault('30s')`, which zod 4
 * parses like input), so the generated JSON Schema shows `"30s"` rather than `30000`.
 * Durations (`"30s"`, `"15m"`, `"1h"`, `"7d"` or a number of seconds) parse to milliseconds,
 * sizes (`"10MiB"`, `"512KiB"` or a number of bytes) to bytes, so the rest of the gateway never
 * parses a unit again. Objects are strict: a misspelt key is an error, not a silently ignored rule.
 */
import { isIPv4 } from 'node:net';
import ipaddr from 'ipaddr.js';
import { z } from 'zod';

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const SIZE_UNITS: Record<string, number> = {
  B: 1,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
};

/** Parses `"30s"`, `"15m"`, `"1h"`, `"7d"`, `"250ms"` or a number of seconds into milliseconds. */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value * 1000 : undefined;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(value.trim());
  if (!m) return undefined;
  return Math.round(Number(m[1]) * DURATION_UNITS[m[2]!]!);
}

/** Parses `"10MiB"`, `"512KiB"`, `"1MB"` or a number of bytes. */
export function parseSize(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 ? value : undefined;
  const m = /^(\d+(?:\.\d+)?)\s*(B|KiB|MiB|GiB|KB|MB|GB)$/.exec(value.trim());
  if (!m) return undefined;
  return Math.round(Number(m[1]) * SIZE_UNITS[m[2]!]!);
}

const duration = z
  .union([z.string(), z.number()])
  .transform((v, ctx) => {
    const ms = parseDuration(v);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: 'not a duration (use "30s", "15m", "1h", "7d" or seconds)' });
      return z.NEVER;
    }
    return ms;
  })
  // `pattern` and `minimum` only reach the JSON Schema (each applies to its own JSON type), so
  // editors flag "1hour" while zod keeps its one clear message.
  .meta({
    description: 'A duration: "30s", "15m", "1h", "7d" or a number of seconds',
    pattern: '^\\s*\\d+(\\.\\d+)?(ms|s|m|h|d)\\s*$',
    minimum: 0,
  });

const size = z
  .union([z.string(), z.number()])
  .transform((v, ctx) => {
    const bytes = parseSize(v);
    if (bytes === undefined) {
      ctx.addIssue({ code: 'custom', message: 'not a size (use "10MiB", "512KiB" or bytes)' });
      return z.NEVER;
    }
    return bytes;
  })
  .meta({
    description: 'A size: "10MiB", "512KiB" or a number of bytes',
    pattern: '^\\s*\\d+(\\.\\d+)?\\s*(B|KiB|MiB|GiB|KB|MB|GB)\\s*$',
    minimum: 0,
  });

/** True for `203.0.113.7`, `203.0.113.0/24`, `2001:db8::/32`, `::1`. */
export function isIpOrCidr(value: string): boolean {
  // The usual spelling first (`203.0.113.0/24`, `203.0.113.7`), which ipaddr.js accepts too: its
  // own check tries IPv6 first, ~35 µs an entry, a third of a 10,000-tenant policy's validation.
  const slash = value.indexOf('/');
  if (isIPv4(slash < 0 ? value : value.slice(0, slash))) {
    if (slash < 0) return true;
    const bits = value.slice(slash + 1);
    if (/^\d{1,2}$/.test(bits) && Number(bits) <= 32) return true;
  }
  if (slash >= 0) return ipaddr.isValidCIDR(value);
  return ipaddr.isValid(value);
}

const cidr = z
  .string()
  .refine(isIpOrCidr, { message: 'not an IP or CIDR' })
  .meta({ description: 'An IP address or CIDR range (IPv4 or IPv6)' });

/** A non-empty CIDR list: an empty list is an error, never "allow all". */
const cidrList = (what: string) =>
  z
    .array(cidr)
    .min(1, { message: `empty ${what} list (omit it for no restriction; empty never means allow all)` });

const port = z.number().int().min(0).max(65535);

/** A user name usable in Basic auth: RFC 7617 forbids ":" in the user-id; no spaces or controls. */
export const USER_NAME = /^[^\s:\x00-\x1f\x7f]{1,128}$/;
/**
 * A role name: the identity headers join roles with `,`, so a role must not contain one (else
 * `["a,b"]` and `["a","b"]` would sign the same) — nor spaces or control characters.
 */
export const ROLE_NAME = /^[A-Za-z0-9_.:-]{1,64}$/;
const role = z.string().regex(ROLE_NAME, { message: 'role names are letters, digits, _ . : - (no commas)' });

/** A password hash as the policy stores it: `scrypt$N$r$p$salt$hash` (salt and hash base64). */
export const SCRYPT_HASH = /^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/;
/**
 * A hash imported from htpasswd (`resultgate users import`): bcrypt (`$2y$`, `$2b$`, `$2a$`) or
 * Apache MD5 (`$apr1$`). Replaced by scrypt at the user's first sign-in.
 */
export const LEGACY_HASH =
  /^(\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}|\$apr1\$[./A-Za-z0-9]{1,8}\$[./A-Za-z0-9]{22})$/;

const userSchema = z.strictObject({
  passwordHash: z
    .string()
    .refine((h) => SCRYPT_HASH.test(h) || LEGACY_HASH.test(h), {
      message: 'not a password hash (scrypt$N$r$p$salt$hash from `resultgate hash-password`)',
    })
    .meta({
      description:
        'Made by `resultgate hash-password` (scrypt$N$r$p$salt$hash); never a plain password. A bcrypt ($2y$) or $apr1$ hash imported from htpasswd is accepted and replaced by scrypt at the first sign-in',
      pattern: `${SCRYPT_HASH.source}|${LEGACY_HASH.source}`,
    }),
  roles: z
    .array(role)
    .default([])
    .describe(
      'Roles of this user, matched against a zone\'s "roles" and sent to the upstream in X-Gateway-Roles',
    ),
  disabled: z
    .boolean()
    .default(false)
    .describe('A disabled user cannot sign in (the entry stays, so the name is not reused by mistake)'),
});

const zoneSchema = z.strictObject({
  name: z
    .string()
    .min(1)
    .describe("The zone's name: in the access log, the metrics and the login page; unique within the tenant"),
  path: z
    .string()
    .regex(/^\//, { message: 'must start with /' })
    .describe(
      'Path prefix this zone guards ("/admin" matches /admin and /admin/…); the longest matching prefix wins; matched after normalisation',
    ),
  auth: z
    .enum(['none', 'basic', 'form'])
    .describe(
      '"none": no sign-in; "basic": HTTP Basic auth on every request (APIs); "form": the login page and a session with an idle timeout (people)',
    ),
  roles: z
    .array(role)
    .min(1)
    .optional()
    .describe('Only users with at least one of these roles may enter (403 forbidden otherwise)'),
  ipAllow: cidrList('ipAllow')
    .optional()
    .describe("Only these addresses may reach this zone (in addition to the tenant's ipAllow)"),
  authBypass: cidrList('authBypass')
    .optional()
    .meta({ description: 'Addresses that pass without credentials ("IP or password")' }),
  idleTimeout: duration
    .optional()
    .describe(
      'For "form" zones: the session ends after this long without a request here (default sessions.idleTimeout)',
    ),
  maxConcurrent: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe(
      'At most this many requests of this zone at the upstream at once; the rest queue, then get 503 overloaded',
    ),
  maxQueue: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe('How many requests may wait for a slot (default maxConcurrent); more are refused at once'),
  queueTimeout: duration
    .optional()
    .describe('How long a request may wait for a slot before 503 overloaded (default 10s)'),
  opensAt: z.iso.datetime({ offset: true }).optional().meta({
    description:
      "Closed until this time: before it the gateway answers a countdown page itself (overrides the tenant's opensAt)",
  }),
  ticketWindow: duration.optional().meta({
    description:
      'How long before opensAt the countdown page gives out tickets, drawn in random order at the opening (default "10m")',
  }),
});

const maintenanceSchema = z
  .strictObject({
    start: z.iso.datetime({ offset: true }).describe('When the window starts (ISO 8601 with offset)'),
    end: z.iso
      .datetime({ offset: true })
      .describe('When it ends; requests get 503 with Retry-After until then'),
    announced: z.iso
      .datetime({ offset: true })
      .describe('When it was announced at /.gateway/notices (the checklist promises 7 days ahead)'),
    message: z.string().optional().describe('Shown on the maintenance page and in the notices'),
    bypass: z
      .array(cidr)
      .default([])
      .describe('Addresses that pass during the window (the operator checking the work)'),
  })
  .refine((w) => Date.parse(w.end) > Date.parse(w.start), {
    message: 'end must be after start',
    path: ['end'],
  });

const passwordPolicySchema = z.strictObject({
  minLength: z.number().int().min(1).default(12).describe('Fewest characters a new password may have'),
  minClasses: z
    .number()
    .int()
    .min(1)
    .max(4)
    .default(3)
    .describe('How many of lower case, upper case, digits and symbols a new password must use'),
});

/** The password policy of a tenant that sets none (12 characters, 3 character classes). */
export const DEFAULT_PASSWORD_POLICY: Readonly<{ minLength: number; minClasses: number }> = Object.freeze(
  passwordPolicySchema.parse({}),
);

/** The key under which two zone paths count as the same route (`/admin/` is `/admin`). */
export function zonePathKey(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  return trimmed === '' ? '/' : trimmed;
}

const lockoutSchema = z.strictObject({
  maxFailures: z
    .number()
    .int()
    .min(1)
    .default(5)
    .meta({ description: 'Failed logins of one user name within window that lock that name' }),
  addressMaxFailures: z.number().int().min(1).default(50).meta({
    description:
      'Failed logins from one client address (an IPv6 /64) within window that lock the address: higher than maxFailures, so one person behind a shared NAT does not lock out the others',
  }),
  window: duration.prefault('15m').describe('The period failures are counted over'),
  duration: duration
    .prefault('15m')
    .describe('How long a lockout lasts (even the right password is refused)'),
});

/**
 * A tenant host as the gateway compares it (issue #14): lower case, no trailing dot, no port,
 * IPv6 without brackets — `SCHOOL-A.localhost.`, `school-a.localhost:443` and `school-a.localhost`
 * are one host, so no spelling lets a second tenant claim another's. The request's `Host` is
 * reduced the same way (`hostName` in tenant/).
 * @example canonicalHost('SCHOOL-A.localhost.:8443') // 'school-a.localhost'
 */
export function canonicalHost(host: string): string {
  let name = host.trim();
  if (name.startsWith('[')) {
    const end = name.indexOf(']');
    name = end < 0 ? name.slice(1) : name.slice(1, end);
  } else if (name.indexOf(':') === name.lastIndexOf(':')) {
    // One colon: a name (or IPv4) with a port. More than one: a bare IPv6 literal.
    const colon = name.indexOf(':');
    if (colon >= 0) name = name.slice(0, colon);
  }
  if (name.endsWith('.')) name = name.slice(0, -1);
  return name.toLowerCase();
}

const hostSchema = z
  .string()
  .min(1)
  .refine((h) => !/[/@\s]/.test(h) && canonicalHost(h) !== '', {
    message: 'a host name only (no scheme, path or user), e.g. "school-a.example.jp"',
  })
  .transform(canonicalHost)
  .meta({
    description:
      'A host name this tenant answers on; compared in lower case without a trailing dot or port, and owned by one tenant only',
  });

const tenantSchema = z
  .strictObject({
    name: z.string().optional().meta({ description: 'Display name shown on the login page' }),
    hosts: z
      .array(hostSchema)
      .min(1)
      .describe('Host names (the Host header, without port) this tenant answers; each belongs to one tenant'),
    suspended: z
      .boolean()
      .default(false)
      .describe('A suspended tenant answers every request 403 tenant_suspended'),
    ipAllow: cidrList('ipAllow').optional().describe('Only these addresses may reach any zone of the tenant'),
    passwordPolicy: passwordPolicySchema
      .prefault({})
      .describe('What a new password must meet (hash-password, users add/passwd)'),
    lockout: lockoutSchema.prefault({}).describe('Lockout after repeated failed sign-ins'),
    users: z
      .record(
        z
          .string()
          .regex(USER_NAME, { message: 'user names cannot contain ":", spaces or control characters' }),
        userSchema,
      )
      .default({})
      .describe("The tenant's users by name (manage with `resultgate users`)"),
    zones: z
      .array(zoneSchema)
      .min(1)
      .describe('The parts of the site and how each is guarded; a request matching no zone is 404 no_route'),
    maintenance: z
      .array(maintenanceSchema)
      .default([])
      .describe('Maintenance windows: 503 with Retry-After during each, listed at /.gateway/notices'),
    opensAt: z.iso
      .datetime({ offset: true })
      .optional()
      .meta({ description: 'Every zone without an opensAt of its own is closed until this time' }),
    backgroundHeader: z
      .string()
      .optional()
      .meta({ description: 'Request header that marks background requests (they do not extend a session)' }),
  })
  .superRefine((t, ctx) => {
    const names = new Set<string>();
    const paths = new Map<string, number>();
    t.zones.forEach((z, i) => {
      if (names.has(z.name))
        ctx.addIssue({ code: 'custom', message: 'duplicate zone name', path: ['zones', i, 'name'] });
      names.add(z.name);
      // Two zones on one path make the route ambiguous: the second could never match.
      const key = zonePathKey(z.path);
      const first = paths.get(key);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          message: `same path as zones[${first}] ("${t.zones[first]!.name}"); this zone could never match`,
          path: ['zones', i, 'path'],
        });
      } else paths.set(key, i);
    });
  });

const TENANT_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;

const bindHost = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .describe('Address to listen on ("0.0.0.0" all IPv4, "::" all, "127.0.0.1" local only)');

export const policySchema = z.strictObject({
  $schema: z.string().optional().describe('The JSON Schema of this file, for editors'),
  version: z.literal(1).describe('The policy format version: 1'),
  server: z
    .strictObject({
      https: z
        .strictObject({
          port: port.default(8443).describe('The HTTPS port: the only one that proxies'),
          host: bindHost('0.0.0.0'),
          certFile: z
            .string()
            .describe(
              'PEM certificate (chain) covering every tenant host; relative to the working directory',
            ),
          keyFile: z.string().describe("PEM private key of certFile's certificate; keep it 0600"),
        })
        .describe('The HTTPS listener (certificate and key reload with the policy)'),
      http: z
        .strictObject({
          port: port
            .default(8080)
            .describe('The plain-HTTP port: redirects GET/HEAD to HTTPS, refuses the rest'),
          host: bindHost('0.0.0.0'),
        })
        .optional()
        .describe('A plain-HTTP listener that only redirects to HTTPS; omit for none'),
      admin: z
        .strictObject({
          port: port.default(9090).describe('The admin port: /healthz, /readyz, /metrics'),
          host: bindHost('127.0.0.1'),
        })
        .optional()
        .describe('The admin listener (health and Prometheus metrics); keep it off the public network'),
      trustedProxies: z
        .array(cidr)
        .default([])
        .describe(
          'Load balancers whose X-Forwarded-For and X-Request-Id are believed; empty: the socket peer is the client',
        ),
      bodyTimeout: duration.prefault('30s').meta({
        description:
          'A request body that sends nothing for this long ends in 408 (as nginx client_body_timeout); an answer its client reads none of for this long is cut (as nginx send_timeout); counted only while the gateway waits for the client',
      }),
      bufferBodySize: size.prefault('64KiB').meta({
        description:
          'Request bodies up to this size are read whole before an upstream connection is taken (0: stream every body)',
      }),
      replicas: z.number().int().min(1).default(1).meta({
        description:
          "How many gateways (machines or containers) run this policy: every zone's maxConcurrent and maxQueue are shared out among them and their workers",
      }),
      upstream: z
        .strictObject({
          url: z.url({ protocol: /^https?$/ }).describe('The service behind the gateway (http or https URL)'),
          timeout: duration
            .prefault('30s')
            .describe("Longest wait for the upstream's answer headers (504 upstream_timeout)"),
          connectTimeout: duration
            .prefault('1s')
            .describe('Longest wait to connect (502 upstream_unavailable)'),
          maxBodySize: size
            .prefault('10MiB')
            .describe('Largest request body accepted (413 payload_too_large)'),
          connections: z.number().int().min(1).default(128).describe('Most open connections to the upstream'),
          connectionsPerClient: z.number().int().min(1).optional().meta({
            description:
              'Upstream requests one client address (an IPv6 /64) may have in flight at once; beyond it, 503 overloaded. Default: half of connections (raise it for tenants whose recipients share a carrier or school NAT)',
          }),
        })
        .describe('Where requests go once every check has passed'),
    })
    .describe('Listeners, trusted proxies and the upstream'),
  sessions: z
    .strictObject({
      secretFile: z
        .string()
        .default('var/session.key')
        .describe('Session signing keys, one a line, newest first (created with one fresh key if missing)'),
      idleTimeout: duration.prefault('1h').describe('A login session ends after this long without a request'),
      maxAge: duration
        .prefault('12h')
        .describe('A login session ends this long after sign-in, active or not'),
    })
    .prefault({})
    .describe('Login sessions of "form" zones'),
  identity: z
    .strictObject({
      secretFile: z
        .string()
        .default('var/identity.key')
        .describe('Key of X-Gateway-Signature; the upstream verifies with the same file'),
    })
    .prefault({})
    .describe('The signed identity headers sent to the upstream'),
  logs: z
    .strictObject({
      dir: z
        .string()
        .default('var/log')
        .describe('Access and audit logs go to <dir>/<tenant>/; must be writable'),
      retentionDays: z
        .number()
        .int()
        .min(1)
        .default(30)
        .describe('Log files older than this many days are deleted (the checklist promises 30)'),
      stdout: z.boolean().default(false).describe('Also write every line to stdout (for a log collector)'),
      failClosed: z
        .boolean()
        .default(false)
        .describe('Refuse requests (503) while log lines cannot be written, instead of serving unlogged'),
    })
    .prefault({})
    .describe('Access and audit logs'),
  sharedState: z
    .strictObject({
      dir: z.string().optional().meta({
        description:
          'Directory of the local security state (lockouts, logouts) that survives restarts; default: state/ beside logs.dir',
      }),
      redis: z
        .strictObject({
          url: z
            .string()
            .regex(/^rediss?:\/\/\S+$/, { message: 'a redis:// or rediss:// URL' })
            .meta({ description: 'redis://[user:pass@]host:port[/db] shared by every gateway (Redis 6.2+)' }),
          prefix: z.string().optional().meta({ description: 'Key prefix (default "resultgate:")' }),
        })
        .optional()
        .describe('Redis shared by several gateway instances (lockouts and logouts)'),
    })
    .optional()
    .describe('Security state (lockouts, logouts) kept across restarts and shared between gateways'),
  tenants: z
    .record(
      z.string().regex(TENANT_ID, { message: 'tenant ids are lowercase letters, digits and -' }),
      tenantSchema,
    )
    .superRefine((tenants, ctx) => {
      // A host claimed by two tenants would silently serve one tenant's traffic as the other's.
      const owner = new Map<string, string>();
      for (const [id, tenant] of Object.entries(tenants)) {
        tenant.hosts.forEach((host, i) => {
          const first = owner.get(host);
          if (first !== undefined && first !== id) {
            ctx.addIssue({
              code: 'custom',
              message: `host "${host}" already belongs to tenant ${first}; a host belongs to one tenant only`,
              path: [id, 'hosts', i],
            });
          } else owner.set(host, id);
        });
      }
    })
    .describe('Each customer by id (lowercase letters, digits and -): its hosts, users, zones and windows'),
});

/** The policy after validation: durations in milliseconds, sizes in bytes, defaults filled in. */
export type Policy = z.output<typeof policySchema>;
/** The policy as written in the file. */
export type PolicyInput = z.input<typeof policySchema>;
export type Tenant = Policy['tenants'][string];
export type Zone = Tenant['zones'][number];
export type User = Tenant['users'][string];
export type MaintenanceWindow = Tenant['maintenance'][number];
export type AuthMode = Zone['auth'];
