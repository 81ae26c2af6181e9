/**
 * Steps 9-10 of the pipeline for zones with `auth: "basic"` (docs/architecture.md §4): lockout,
 * then Basic auth.
 *
 * Per request with a warm cache: one SHA-256 of the header as received, one LRU lookup and the
 * user's lockout in memory — no decoding, no scrypt, no I/O. A miss goes through the one
 * credential check (`credentials/`), which queues guesses per (tenant, user) and per (tenant,
 * address), re-checks the lockout and counts failures. Users are per tenant: tenant A's
 * credentials are looked up in tenant A only. Requests that already carry a user (an
 * `authBypass` network) are not asked for credentials.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { type BasicCredentials, basicChallenge, parseBasicAuthorization } from '../credentials/header.js';
import { type Credentials, credentials, lockedOut } from '../credentials/index.js';
import type { PipelineContext } from '../deps.js';
import { GatewayError } from '../errors.js';
import { requestHeader } from '../request-header.js';
import { rq } from '../request-state.js';
import type { GatewayEnv } from '../types.js';

export { basicChallenge, parseBasicAuthorization } from '../credentials/header.js';
export { CREDENTIAL_CACHE, CredentialVerifier, lockedOut } from '../credentials/index.js';

/**
 * The Basic-auth middleware. Sets `rq(c).user` (`via: 'basic'`) on success.
 *
 * A malformed `Basic` header (bad base64, no colon, control characters…) is audited but counted
 * towards no lockout: it cannot be a right guess, so counting it would protect nothing and would
 * let one broken client lock out everyone behind its address.
 * @throws GatewayError `locked_out` (429, `Retry-After`) while the user or the address is locked
 *   out, even with the right password; `unauthorized` (401, `WWW-Authenticate`) otherwise
 * @example app.use(basicAuth({ policy, deps }))
 */
export function basicAuth(
  ctx: PipelineContext,
  creds: Credentials = credentials(ctx),
): MiddlewareHandler<GatewayEnv> {
  const { deps } = ctx;
  const metrics = deps.metrics;
  const challenges = new Map<string, string>();
  for (const [id, tenant] of Object.entries(ctx.policy.tenants))
    challenges.set(id, basicChallenge(tenant.name, id));

  function unauthorized(challenge: string): GatewayError {
    return new GatewayError('unauthorized', { headers: { 'WWW-Authenticate': challenge } });
  }

  return function basicAuth(c, next) {
    const state = rq(c);
    const zone = state.zone;
    if (zone?.auth !== 'basic' || state.user !== undefined) return next();
    const tenantId = state.tenantId ?? '';
    const header = requestHeader(c, 'authorization');

    // The warm path, synchronous: these exact header bytes were verified before.
    const key = header ? creds.verifier.cacheKey(tenantId, header) : '';
    const hit = header ? creds.verifier.cached(key) : undefined;
    if (hit) {
      // Locked out even with the right password (a lockout may have begun after it was cached).
      // The address's lockout too: a spray that guesses a cached user's password produces the
      // cached header bytes, so letting cached headers past it would answer the spray's guesses.
      const now = deps.now();
      const until = creds.lockedUntil(tenantId, hit.user, state.clientIp ?? '', now);
      if (until > now) throw lockedOut(until, now);
      state.user = hit.identity;
      return next();
    }

    // Only a request that is not let through needs the challenge (a cache hit implies this tenant).
    const realm = challenges.get(tenantId);
    if (!realm) throw new GatewayError('unauthorized');
    const parsed = parseBasicAuthorization(header);
    if (parsed.kind === 'absent') throw unauthorized(realm);
    const ip = state.clientIp ?? '';
    if (parsed.kind === 'malformed') {
      creds.auditFailure(
        { tenantId, ip, via: 'basic', reqId: state.requestId, zone: zone.name },
        'malformed',
      );
      throw unauthorized(realm);
    }
    return verifyThenNext(c, next, creds, parsed, key, realm);
  };

  async function verifyThenNext(
    c: Context<GatewayEnv>,
    next: () => Promise<void>,
    creds: Credentials,
    parsed: BasicCredentials,
    key: string,
    realm: string,
  ): Promise<void> {
    const state = rq(c);
    const outcome = await creds.authenticate({
      tenantId: state.tenantId ?? '',
      user: parsed.user,
      password: parsed.password,
      ip: state.clientIp ?? '',
      via: 'basic',
      reqId: state.requestId,
      zone: state.zone?.name,
      cacheKey: key,
    });
    if (outcome.ok) {
      metrics.basicLogin(state.tenantId ?? '');
      state.user = outcome.user.identity;
      return next();
    }
    if (outcome.code === 'locked_out') throw lockedOut(outcome.until, deps.now());
    throw unauthorized(realm);
  }
}
