/**
 * Credential checks of one policy load: each tenant's users compiled once, scrypt verification off
 * the event loop, and the cache of successful checks. The cache is keyed by
 * SHA-256(random per-load key ‖ tenant \0 Authorization header) — never the password itself, and
 * useless outside this process — and lives and dies with the verifier, so a policy reload (a
 * removed user, a changed password) drops it. Keying by the header as received lets a cached
 * request skip decoding it: one hash and one lookup. The key is never shown to anyone, so a
 * prefix-keyed hash does what an HMAC would (no tag to extend) at half the hashing per request.
 */
import { hash, randomBytes } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Policy } from '../policy/schema.js';
import type { GatewayUser } from '../types.js';
import { legacyHashKind } from './legacy-hash.js';
import type { LockoutPolicy } from './lockout.js';
import { dummyHashLike, parseHash } from './password.js';

/** Bounds of the credential cache. A cached check is trusted for `ttl` ms at most. */
export const CREDENTIAL_CACHE = { max: 10_000, ttl: 5 * 60_000 } as const;

/** One user of a tenant, compiled once per policy load. */
export interface CompiledUser {
  /** The name as in the policy. */
  name: string;
  /** The hash to verify against, or `undefined` (disabled or unusable: verify the dummy). */
  hash: string | undefined;
  /** The stored hash as written (also for a disabled user), for session fingerprints. */
  passwordHash: string;
  disabled: boolean;
  /** The identity a Basic-auth request gets. */
  identity: GatewayUser;
}

/** One tenant's users and Basic-auth settings, compiled once per policy load. */
export interface CompiledTenant {
  id: string;
  users: Map<string, CompiledUser>;
  /** Verified instead of a real hash for unknown or disabled users (same cost as the tenant's hashes). */
  dummy: Promise<string>;
  lockout: LockoutPolicy;
}

/** Why a check failed, for the audit log (one vocabulary for Basic auth, the login form and the logs route). */
export type FailureReason = 'unknown_user' | 'user_disabled' | 'bad_password' | 'missing_role';

/** A cached successful check: the (NFC) user name the header held, for the lockout check, and the identity. */
export interface CachedCredential {
  user: string;
  identity: GatewayUser;
}

/** Compiles one tenant's users; user names are NFC-normalised like the parsed header's. */
export function compileTenant(id: string, tenant: Policy['tenants'][string]): CompiledTenant {
  const users = new Map<string, CompiledUser>();
  for (const [name, user] of Object.entries(tenant.users)) {
    // An htpasswd hash (bcrypt, $apr1$) is usable until the sign-in that upgrades it (upgrade.ts).
    const known = parseHash(user.passwordHash) !== null || legacyHashKind(user.passwordHash) !== undefined;
    const usable = !user.disabled && known;
    users.set(name.normalize('NFC'), {
      name,
      hash: usable ? user.passwordHash : undefined,
      passwordHash: user.passwordHash,
      disabled: user.disabled,
      identity: Object.freeze({ name, roles: Object.freeze([...user.roles]), via: 'basic' as const }),
    });
  }
  const dummy = dummyHashLike(Object.values(tenant.users).map((u) => u.passwordHash));
  return { id, users, dummy, lockout: tenant.lockout };
}

/**
 * The cache key of an `Authorization` header value: SHA-256 of the verifier's random prefix, the
 * tenant and the header. Tenant ids hold no `\0` and header values no NUL, so it is unambiguous.
 */
export function credentialCacheKey(keyPrefix: string, tenantId: string, authorization: string): string {
  return hash('sha256', `${keyPrefix}\0${tenantId}\0${authorization}`, 'base64');
}

/** Verifies Basic credentials for every tenant of one policy, with a cache of successes. */
export class CredentialVerifier {
  private readonly tenants = new Map<string, CompiledTenant>();
  private readonly cache: LRUCache<string, CachedCredential>;
  /** 256 random bits, as the prefix of every cache key's hash. */
  private readonly keyPrefix = randomBytes(32).toString('base64');

  /**
   * @param policy the policy of this load; a tenant is compiled when first asked for (10,000
   *   tenants load fast, and only those with logins pay)
   * @param now the injected clock, used for the cache's TTL
   */
  constructor(
    private readonly policy: Policy,
    now: () => number,
  ) {
    // ttlResolution 0: ask the injected clock on every lookup rather than caching it for a tick.
    this.cache = new LRUCache({ ...CREDENTIAL_CACHE, ttlResolution: 0, perf: { now } });
  }

  /** The compiled tenant, or `undefined` when the policy has no such tenant. */
  tenant(id: string): CompiledTenant | undefined {
    let compiled = this.tenants.get(id);
    if (compiled === undefined && Object.hasOwn(this.policy.tenants, id)) {
      compiled = compileTenant(id, this.policy.tenants[id]!);
      this.tenants.set(id, compiled);
    }
    return compiled;
  }

  /** Remembers a successful check of these header bytes (Basic auth's warm path). */
  remember(cacheKey: string, credential: CachedCredential): void {
    this.cache.set(cacheKey, credential);
  }

  /** The cache key of an `Authorization` header value ({@link credentialCacheKey}). */
  cacheKey(tenantId: string, authorization: string): string {
    return credentialCacheKey(this.keyPrefix, tenantId, authorization);
  }

  /** A cached successful check, without any scrypt. */
  cached(cacheKey: string): CachedCredential | undefined {
    return this.cache.get(cacheKey);
  }
}
