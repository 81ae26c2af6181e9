/**
 * The one password check of the gateway, used by Basic auth, the login form and the logs route:
 * the lockout (per user name and per client address), one guess at a time per (tenant, user) and
 * per (tenant, address), scrypt against the user's hash (or a dummy of the same cost), the
 * failure counters and the audit events — written once, so the three entrances cannot drift.
 *
 * Per policy load, shared by the three (`createGateway` makes one, see {@link credentials}); the
 * queues and the counters are long-lived (deps), so a reload neither forgets failures nor lets guesses overtake each other.
 */
import type { CredentialHooks, GatewayDeps } from '../deps.js';
import { GatewayError } from '../errors.js';
import type { Policy } from '../policy/schema.js';
import type { SecurityState } from '../state/index.js';
import type { AuditEvent } from '../types.js';
import { addressLockKey, userLockKey } from './lockout.js';
import { verifyPassword } from './password.js';
import { KeyedQueue } from './queue.js';
import {
  type CompiledTenant,
  type CompiledUser,
  CredentialVerifier,
  type FailureReason,
} from './verifier.js';

export type { CredentialHooks, VerifiedHook } from '../deps.js';
export { type BasicCredentials, basicChallenge, parseBasicAuthorization } from './header.js';
export { addressLockKey, type LockoutPolicy, userLockKey } from './lockout.js';
export { hashPassword, verifyPassword } from './password.js';
export {
  type CompiledTenant,
  type CompiledUser,
  CREDENTIAL_CACHE,
  CredentialVerifier,
  credentialCacheKey,
  type FailureReason,
} from './verifier.js';

/** Which entrance a check came through (the audit line's `via`). */
export type CredentialEntrance = 'basic' | 'form' | 'logs';

/** One login attempt. */
export interface AuthAttempt {
  tenantId: string;
  /** The user name as typed (NFC-normalised here). */
  user: string;
  password: string;
  /** The client address (`rq(c).clientIp`). */
  ip: string;
  via: CredentialEntrance;
  reqId?: string | undefined;
  /** The zone (or the reserved path) the attempt was made at, for the audit line. */
  zone?: string | undefined;
  /** Only users with this role may log in here; another user's right password is a failure. */
  role?: string | undefined;
  /** Basic auth: the credential cache key of the header; a success is cached under it. */
  cacheKey?: string | undefined;
}

/** What an attempt came to. */
export type AuthOutcome =
  | { ok: true; user: CompiledUser }
  | { ok: false; code: 'locked_out'; until: number }
  | { ok: false; code: 'unauthorized'; reason: FailureReason };

/** Seconds until `until`, at least 1 (the `Retry-After` of a lockout answer). */
export function retryAfterSeconds(until: number, now: number): number {
  return Math.max(1, Math.ceil((until - now) / 1000));
}

/**
 * The `locked_out` answer: `Retry-After` in seconds and the time it ends in the message, so a
 * person (or an SDK's error) can say until when.
 */
export function lockedOut(until: number, now: number): GatewayError {
  return new GatewayError('locked_out', {
    message: `Too many failed attempts. Locked until ${new Date(until).toISOString()}.`,
    headers: { 'Retry-After': String(retryAfterSeconds(until, now)) },
  });
}

/** The password checks of one policy load (see the module comment). */
export class Credentials {
  readonly verifier: CredentialVerifier;
  private readonly state: SecurityState;
  private readonly queue: KeyedQueue;
  private readonly hooks: CredentialHooks;

  constructor(
    policy: Policy,
    readonly deps: GatewayDeps,
  ) {
    this.verifier = new CredentialVerifier(policy, () => deps.now());
    this.state = deps.security;
    this.queue = new KeyedQueue(deps.credentialQueue);
    this.hooks = deps.credentialHooks;
  }

  /** The compiled tenant, or undefined when the policy has none of that id. */
  tenant(id: string): CompiledTenant | undefined {
    return this.verifier.tenant(id);
  }

  /**
   * The end of the user name's or the address's lockout (or 0), synchronously from memory — the
   * warm path's check: nobody locked costs one size test.
   */
  lockedUntil(tenantId: string, user: string | undefined, ip: string, now: number): number {
    if (!this.state.anyLocked) return 0;
    const byAddress = this.state.lockedUntil(addressLockKey(tenantId, ip), now);
    const byUser = user === undefined ? 0 : this.state.lockedUntil(userLockKey(tenantId, user), now);
    return Math.max(byAddress, byUser);
  }

  /** Audits a failure that is not a password guess (a malformed header): counted nowhere. */
  auditFailure(a: Omit<AuthAttempt, 'user' | 'password'>, reason: string): void {
    this.deps.audit.write({
      type: 'auth_failure',
      tenant: a.tenantId,
      ip: a.ip,
      reqId: a.reqId,
      zone: a.zone,
      via: a.via,
      reason,
    });
  }

  /**
   * Checks one attempt: refused at once while the name or the address is locked out; otherwise
   * queued behind earlier guesses on the same name or address, checked against the authoritative
   * lockout state again, then verified with scrypt. A failure is counted on both keys and audited
   * (the name left out when no such user exists: it is often a password typed into the wrong
   * field); the failure that reaches a threshold is answered as a lockout and audited once.
   */
  async authenticate(a: AuthAttempt): Promise<AuthOutcome> {
    const tenant = this.tenant(a.tenantId);
    const name = a.user.normalize('NFC');
    const now = this.deps.now();
    const early = this.lockedUntil(a.tenantId, name, a.ip, now);
    if (early > now) return { ok: false, code: 'locked_out', until: early };
    if (!tenant) return { ok: false, code: 'unauthorized', reason: 'unknown_user' };
    const userKey = userLockKey(a.tenantId, name);
    const addrKey = addressLockKey(a.tenantId, a.ip);
    return this.queue.run([userKey, addrKey], () => this.verifyQueued(a, tenant, name, userKey, addrKey));
  }

  private async verifyQueued(
    a: AuthAttempt,
    tenant: CompiledTenant,
    name: string,
    userKey: string,
    addrKey: string,
  ): Promise<AuthOutcome> {
    // Earlier queued guesses may have locked the name or the address (here or on another gateway).
    const until = await this.state.lockedUntilFresh([userKey, addrKey], this.deps.now());
    if (until > this.deps.now()) return { ok: false, code: 'locked_out', until };
    if (a.cacheKey) {
      const hit = this.verifier.cached(a.cacheKey);
      const found = tenant.users.get(name);
      if (hit && found) return { ok: true, user: found };
    }
    const found = tenant.users.get(name);
    const allowed = found !== undefined && (a.role === undefined || found.identity.roles.includes(a.role));
    // Unknown, disabled, unusable or role-less: the dummy hash, so every failure costs the same.
    const hash = allowed && found.hash !== undefined ? found.hash : await tenant.dummy;
    const matches = await verifyPassword(a.password, hash);
    if (allowed && found.hash !== undefined && matches) {
      await this.state.succeed(userKey);
      if (a.cacheKey) this.verifier.remember(a.cacheKey, { user: name, identity: found.identity });
      for (const hook of this.hooks.onVerified) {
        await hook({
          tenantId: a.tenantId,
          user: found.name,
          password: a.password,
          passwordHash: found.hash,
        });
      }
      return { ok: true, user: found };
    }
    const reason: FailureReason = !found
      ? 'unknown_user'
      : found.disabled
        ? 'user_disabled'
        : !allowed
          ? 'missing_role'
          : 'bad_password';
    const { lockout } = tenant;
    const now = this.deps.now();
    const results = await this.state.fail(
      [
        { key: userKey, max: lockout.maxFailures },
        { key: addrKey, max: lockout.addressMaxFailures },
      ],
      lockout.window,
      lockout.duration,
      now,
    );
    const event: AuditEvent = {
      type: 'auth_failure',
      tenant: a.tenantId,
      user: found ? found.name : undefined,
      ip: a.ip,
      reqId: a.reqId,
      zone: a.zone,
      via: a.via,
      reason,
    };
    this.deps.audit.write(event);
    let lockedUntil = 0;
    for (const [i, r] of results.entries()) {
      lockedUntil = Math.max(lockedUntil, r.until);
      if (!r.started) continue;
      this.deps.audit.write({
        ...event,
        type: 'lockout',
        reason: 'max_failures',
        scope: i === 0 ? 'user' : 'address',
        until: new Date(r.until).toISOString(),
      });
    }
    if (lockedUntil > now) return { ok: false, code: 'locked_out', until: lockedUntil };
    return { ok: false, code: 'unauthorized', reason };
  }
}

/**
 * Compiles the credential checks of a policy load. `createGateway` makes one per load and hands it
 * to Basic auth, the login form and the logs route (one compile, one cache); a step built alone
 * (a unit test) makes its own.
 * @example const outcome = await credentials(ctx).authenticate({ tenantId, user, password, ip, via: 'form' })
 */
export function credentials(ctx: { policy: Policy; deps: GatewayDeps }): Credentials {
  return new Credentials(ctx.policy, ctx.deps);
}
