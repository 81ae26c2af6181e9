/**
 * Steps 9-10 of the pipeline for zones with `auth: "basic"` (DESIGN §4): lockout, then Basic auth.
 *
 * Per request with a warm cache: one HMAC-SHA256 of the header as received, one LRU lookup and the
 * lockout check — no decoding, no scrypt. A miss verifies through a queue per (tenant, user) and per
 * (tenant, address) that re-checks the lockout first, so concurrent guesses cannot outrun
 * `maxFailures`. Users are per tenant: tenant A's credentials are looked up in tenant A only.
 * Requests that already carry a user (an `authBypass` network) are not asked for credentials.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { GatewayError } from '../errors.js';
import type { PipelineContext } from '../pipeline.js';
import { requestHeader } from '../request-header.js';
import type { AuditEvent, GatewayEnv } from '../types.js';
import { type BasicCredentials, basicChallenge, parseBasicAuthorization } from './header.js';
import { lockoutStore } from './lockout.js';
import { KeyedQueue } from './queue.js';
import { type CompiledTenant, CredentialVerifier } from './verifier.js';
import { rq } from '../request-state.js';

export { basicChallenge, parseBasicAuthorization } from './header.js';
export { LockoutStore, lockoutStore } from './lockout.js';
export { CREDENTIAL_CACHE, CredentialVerifier } from './verifier.js';

type Failure = 'unknown_user' | 'disabled' | 'bad_password' | 'malformed';

/**
 * The Basic-auth middleware. Sets `rq(c).user` (`via: 'basic'`) on success.
 * @throws GatewayError `locked_out` (429, `Retry-After`) while the user or the address is locked
 *   out, even with the right password; `unauthorized` (401, `WWW-Authenticate`) otherwise
 * @example app.use(basicAuth({ policy, deps }))
 */
export function basicAuth(ctx: PipelineContext): MiddlewareHandler<GatewayEnv> {
  const { deps } = ctx;
  const verifier = new CredentialVerifier(ctx.policy, () => deps.now());
  const lockouts = lockoutStore(deps);
  const queue = new KeyedQueue();
  const challenges = new Map<string, string>();
  for (const [id, tenant] of Object.entries(ctx.policy.tenants))
    challenges.set(id, basicChallenge(tenant.name, id));

  function unauthorized(challenge: string): GatewayError {
    return new GatewayError('unauthorized', { headers: { 'WWW-Authenticate': challenge } });
  }

  function locked(retryAfterSeconds: number): GatewayError {
    return new GatewayError('locked_out', { headers: { 'Retry-After': String(retryAfterSeconds) } });
  }

  // Counts a failure and audits it; the unknown user's name is left out of the audit line, since
  // it is often a password typed into the wrong field.
  function fail(c: Context<GatewayEnv>, tenant: CompiledTenant, user: string | undefined, reason: Failure) {
    const ip = rq(c).clientIp ?? '';
    const started = lockouts.fail(tenant.id, user, ip, tenant.lockout, deps.now());
    const event: AuditEvent = {
      type: 'auth_failure',
      tenant: tenant.id,
      user: reason === 'unknown_user' ? undefined : user,
      ip,
      reqId: rq(c).requestId,
      zone: rq(c).zone?.name,
      reason,
    };
    deps.audit.write(event);
    if (started) deps.audit.write({ ...event, type: 'lockout', reason: 'max_failures' });
  }

  return function basicAuth(c, next) {
    const state = rq(c);
    const zone = state.zone;
    if (zone?.auth !== 'basic' || state.user !== undefined) return next();
    const tenantId = state.tenantId ?? '';
    const tenant = verifier.tenant(tenantId);
    const realm = challenges.get(tenantId);
    if (!tenant || !realm) throw new GatewayError('unauthorized');
    const ip = state.clientIp ?? '';
    const header = requestHeader(c, 'authorization');

    // The warm path, synchronous: these exact header bytes were verified before.
    const key = header ? verifier.cacheKey(tenantId, header) : '';
    const hit = header ? verifier.cached(key) : undefined;
    if (hit) {
      // Locked out even with the right password (a lockout may have begun after it was cached).
      const lockout = lockouts.check(tenantId, hit.user, ip, deps.now());
      if (lockout.locked) throw locked(lockout.retryAfterSeconds);
      state.user = hit.identity;
      return next();
    }

    const parsed = parseBasicAuthorization(header);
    const name = parsed.kind === 'credentials' ? parsed.user : undefined;
    const lockout = lockouts.check(tenantId, name, ip, deps.now());
    if (lockout.locked) throw locked(lockout.retryAfterSeconds);
    if (parsed.kind === 'absent') throw unauthorized(realm);
    if (parsed.kind === 'malformed') {
      fail(c, tenant, undefined, 'malformed');
      throw unauthorized(realm);
    }
    return verifyThenNext(c, next, tenant, parsed, key, ip, realm);
  };

  async function verifyThenNext(
    c: Context<GatewayEnv>,
    next: () => Promise<void>,
    tenant: CompiledTenant,
    parsed: BasicCredentials,
    key: string,
    ip: string,
    realm: string,
  ): Promise<void> {
    const tenantId = tenant.id;
    const keys = [`user\0${tenantId}\0${parsed.user}`, `ip\0${tenantId}\0${ip}`];
    const outcome = await queue.run(keys, async () => {
      // Earlier queued attempts may have locked the user or address, or cached this success.
      const again = lockouts.check(tenantId, parsed.user, ip, deps.now());
      if (again.locked) return locked(again.retryAfterSeconds);
      const hit = verifier.cached(key);
      if (hit) return hit.identity;
      const result = await verifier.verify(tenant, parsed, key);
      if (result.ok) {
        lockouts.succeed(tenantId, parsed.user);
        return result.user;
      }
      fail(c, tenant, parsed.user, result.reason);
      return unauthorized(realm);
    });
    if (outcome instanceof GatewayError) throw outcome;
    rq(c).user = outcome;
    return next();
  }
}
