/**
 * What the session middleware and the login routes share, compiled once per policy load: the
 * token keys, the CSRF guard, each tenant's active users (with their current roles and a
 * fingerprint of their password hash), and handles on the long-lived stores.
 */
import { createHash } from 'node:crypto';
import { type Credentials, credentials } from '../credentials/index.js';
import type { GatewayDeps, PipelineContext } from '../deps.js';
import type { Policy } from '../policy/schema.js';
import { type CsrfGuard, csrfGuard } from './csrf.js';
import { type RevocationList, revocations } from './revocations.js';
import { type SessionTokens, sessionTokens } from './token.js';

/** Header that marks a page's own background requests when the tenant names none. */
export const DEFAULT_BACKGROUND_HEADER = 'x-background-request';

/** A user who may hold a session now: enabled, with the current policy's roles. */
export interface ActiveUser {
  roles: readonly string[];
  /** Fingerprint of the password hash; a session made with another one is over. */
  cred: string;
}

/** The compiled session state of one policy load. */
export interface SessionCore {
  deps: GatewayDeps;
  policy: Policy;
  tokens: SessionTokens;
  csrf: CsrfGuard;
  revoked: RevocationList;
  /** The one password check (lockouts, queues, audit), shared with Basic auth and the logs route. */
  credentials: Credentials;
  /** The tenant's enabled user, or undefined (unknown, removed or disabled). */
  activeUser(tenant: string, user: string): ActiveUser | undefined;
}

/** Fingerprint of a password hash: changing the password ends the user's other sessions. */
export function credFingerprint(passwordHash: string): string {
  return createHash('sha256').update(passwordHash).digest('base64url').slice(0, 16);
}

/**
 * Compiles the session state of a policy load. `createGateway` makes one and gives it to the
 * session step, the login routes and the logs route; a factory called alone makes its own.
 * @param creds the load's credential checks (shared with Basic auth and the logs route)
 * @throws Error when `deps.sessionKeys` is empty
 */
export function sessionCore(ctx: PipelineContext, creds: Credentials = credentials(ctx)): SessionCore {
  const users = new Map<string, Map<string, ActiveUser>>();
  for (const [tenantId, tenant] of Object.entries(ctx.policy.tenants)) {
    const active = new Map<string, ActiveUser>();
    for (const [name, user] of Object.entries(tenant.users)) {
      if (!user.disabled) active.set(name, { roles: user.roles, cred: credFingerprint(user.passwordHash) });
    }
    users.set(tenantId, active);
  }
  const core: SessionCore = {
    deps: ctx.deps,
    policy: ctx.policy,
    tokens: sessionTokens(ctx.deps.sessionKeys),
    csrf: csrfGuard(ctx.deps.sessionKeys),
    revoked: revocations(ctx.deps),
    // The check Basic auth uses too: failures on either count towards one lockout.
    credentials: creds,
    activeUser: (tenant, user) => users.get(tenant)?.get(user),
  };
  return core;
}
