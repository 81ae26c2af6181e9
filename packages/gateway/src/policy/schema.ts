/**
 * The policy file's schema: the single source of the `Policy` type and of `policy.schema.json`.
 *
 * Defaults of durations and sizes are written as the user would (`.prefault('30s')`, which zod 4
 * parses like input), so the generated JSON Schema shows `"30s"` rather than `30000`.
 * Durations (`"30s"`, `"15m"`, `"1h"`, `"7d"` or a number of seconds) parse to milliseconds,
 * sizes (`"10MiB"`, `"512KiB"` or a number of bytes) to bytes, so the rest of the gateway never
 * parses a unit again. Objects are strict: a misspelt key is an error, not a silently ignored rule.
 */
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
  if (value.includes('/')) return ipaddr.isValidCIDR(value);
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

const userSchema = z.strictObject({
  passwordHash: z
    .string()
    .regex(SCRYPT_HASH, { message: 'not a scrypt$N$r$p$salt$hash password hash' })
    .meta({ description: 'Made by `resultgate hash-password`; never a plain password' }),
  roles: z.array(role).default([]),
  disabled: z.boolean().default(false),
});

const zoneSchema = z.strictObject({
  name: z.string().min(1),
  path: z.string().regex(/^\//, { message: 'must start with /' }),
  auth: z.enum(['none', 'basic', 'form']),
  roles: z.array(role).min(1).optional(),
  ipAllow: cidrList('ipAllow').optional(),
  authBypass: cidrList('authBypass')
    .optional()
    .meta({ description: 'Addresses that pass without credentials ("IP or password")' }),
  idleTimeout: duration.optional(),
  maxConcurrent: z.number().int().min(1).optional(),
  maxQueue: z.number().int().min(0).optional(),
  queueTimeout: duration.optional(),
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
    start: z.iso.datetime({ offset: true }),
    end: z.iso.datetime({ offset: true }),
    announced: z.iso.datetime({ offset: true }),
    message: z.string().optional(),
    bypass: z.array(cidr).default([]),
  })
  .refine((w) => Date.parse(w.end) > Date.parse(w.start), {
    message: 'end must be after start',
    path: ['end'],
  });

const passwordPolicySchema = z.strictObject({
  minLength: z.number().int().min(1).default(12),
  minClasses: z.number().int().min(1).max(4).default(3),
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
  window: duration.prefault('15m'),
  duration: duration.prefault('15m'),
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
    hosts: z.array(hostSchema).min(1),
    suspended: z.boolean().default(false),
    ipAllow: cidrList('ipAllow').optional(),
    passwordPolicy: passwordPolicySchema.prefault({}),
    lockout: lockoutSchema.prefault({}),
    users: z
      .record(
        z
          .string()
          .regex(USER_NAME, { message: 'user names cannot contain ":", spaces or control characters' }),
        userSchema,
      )
      .default({}),
    zones: z.array(zoneSchema).min(1),
    maintenance: z.array(maintenanceSchema).default([]),
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

export const policySchema = z.strictObject({
  $schema: z.string().optional(),
  version: z.literal(1),
  server: z.strictObject({
    https: z.strictObject({
      port: port.default(8443),
      host: z.string().default('0.0.0.0'),
      certFile: z.string(),
      keyFile: z.string(),
    }),
    http: z.strictObject({ port: port.default(8080), host: z.string().default('0.0.0.0') }).optional(),
    admin: z.strictObject({ port: port.default(9090), host: z.string().default('127.0.0.1') }).optional(),
    trustedProxies: z.array(cidr).default([]),
    bodyTimeout: duration.prefault('30s').meta({
      description:
        'A request body that sends nothing for this long ends in 408 (as nginx client_body_timeout); counted only while the gateway waits for the client',
    }),
    bufferBodySize: size.prefault('64KiB').meta({
      description:
        'Request bodies up to this size are read whole before an upstream connection is taken (0: stream every body)',
    }),
    replicas: z.number().int().min(1).default(1).meta({
      description:
        "How many gateways (machines or containers) run this policy: every zone's maxConcurrent and maxQueue are shared out among them and their workers",
    }),
    upstream: z.strictObject({
      url: z.url({ protocol: /^https?$/ }),
      timeout: duration.prefault('30s'),
      connectTimeout: duration.prefault('1s'),
      maxBodySize: size.prefault('10MiB'),
      connections: z.number().int().min(1).default(128),
      connectionsPerClient: z.number().int().min(1).optional().meta({
        description:
          'Upstream requests one client address (an IPv6 /64) may have in flight at once; beyond it, 503 overloaded. Default: half of connections (raise it for tenants whose recipients share a carrier or school NAT)',
      }),
    }),
  }),
  sessions: z
    .strictObject({
      secretFile: z.string().default('var/session.key'),
      idleTimeout: duration.prefault('1h'),
      maxAge: duration.prefault('12h'),
    })
    .prefault({}),
  identity: z.strictObject({ secretFile: z.string().default('var/identity.key') }).prefault({}),
  logs: z
    .strictObject({
      dir: z.string().default('var/log'),
      retentionDays: z.number().int().min(1).default(30),
      stdout: z.boolean().default(false),
      failClosed: z.boolean().default(false),
    })
    .prefault({}),
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
        .optional(),
    })
    .optional(),
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
    }),
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
