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
import type { BasicCredentials } from './header.js';
import type { LockoutPolicy } from './lockout.js';
import { dummyHashLike, parseHash, verifyPassword } from './password.js';

/** Bounds of the credential cache. A cached check is trusted for `ttl` ms at most. */
export const CREDENTIAL_CACHE = { max: 10_000, ttl: 5 * 60_000 } as const;

interface CompiledUser {
  /** The hash to verify against, or `undefined` (disabled or unusable: verify the dummy). */
  hash: string | undefined;
  disabled: boolean;
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

/** Why a check failed, for the audit log. */
export type FailureReason = 'unknown_user' | 'disabled' | 'bad_password';

/** A cached successful check: the (NFC) user name the header held, for the lockout check, and the identity. */
export interface CachedCredential {
  user: string;
  identity: GatewayUser;
}

/** Outcome of {@link CredentialVerifier.verify}. */
export type VerifyResult = { ok: true; user: GatewayUser } | { ok: false; reason: FailureReason };

/** Compiles one tenant's users; user names are NFC-normalised like the parsed header's. */
export function compileTenant(id: string, tenant: Policy['tenants'][string]): CompiledTenant {
  const users = new Map<string, CompiledUser>();
  for (const [name, user] of Object.entries(tenant.users)) {
    const usable = !user.disabled && parseHash(user.passwordHash) !== null;
    users.set(name.normalize('NFC'), {
      hash: usable ? user.passwordHash : undefined,
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
   * @param policy the policy of this load; only tenants with a `basic` zone are compiled
   * @param now the injected clock, used for the cache's TTL
   */
  constructor(policy: Policy, now: () => number) {
    for (const [id, tenant] of Object.entries(policy.tenants)) {
      if (tenant.zones.some((z) => z.auth === 'basic')) this.tenants.set(id, compileTenant(id, tenant));
    }
    // ttlResolution 0: ask the injected clock on every lookup rather than caching it for a tick.
    this.cache = new LRUCache({ ...CREDENTIAL_CACHE, ttlResolution: 0, perf: { now } });
  }

  /** The compiled tenant, or `undefined` when it has no `basic` zone. */
  tenant(id: string): CompiledTenant | undefined {
    return this.tenants.get(id);
  }

  /** The cache key of an `Authorization` header value ({@link credentialCacheKey}). */
  cacheKey(tenantId: string, authorization: string): string {
    return credentialCacheKey(this.keyPrefix, tenantId, authorization);
  }

  /** A cached successful check, without any scrypt. */
  cached(cacheKey: string): CachedCredential | undefined {
    return this.cache.get(cacheKey);
  }

  /**
   * Runs scrypt (on the thread pool) against the user's hash, or against the dummy hash when the
   * user is unknown or disabled, so every failure costs the same. Caches a success.
   */
  async verify(tenant: CompiledTenant, creds: BasicCredentials, cacheKey: string): Promise<VerifyResult> {
    const user = tenant.users.get(creds.user);
    const hash = user?.hash ?? (await tenant.dummy);
    const matches = await verifyPassword(creds.password, hash);
    if (user?.hash !== undefined && matches) {
      this.cache.set(cacheKey, { user: creds.user, identity: user.identity });
      return { ok: true, user: user.identity };
    }
    return { ok: false, reason: !user ? 'unknown_user' : user.disabled ? 'disabled' : 'bad_password' };
  }
}
