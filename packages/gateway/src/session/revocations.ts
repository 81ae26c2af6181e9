/**
 * Ended sessions: a logout puts the session id in the security state until the token's own
 * expiry, so replaying the old cookie fails even though its signature is still valid. The state
 * (`state/`) keeps it across policy reloads and restarts (node:sqlite) and, with
 * `sharedState.redis`, on every gateway of the fleet; the check per request reads memory only.
 */
import type { GatewayDeps } from '../deps.js';
import type { SecurityState } from '../state/index.js';

/** Revoked session ids, each kept until its token would have expired anyway. */
export class RevocationList {
  constructor(private readonly state: SecurityState) {}

  /** Ends a session until `expiresAt` (ms); resolves once recorded (locally, and in Redis if up). */
  revoke(sid: string, expiresAt: number, now: number): Promise<void> {
    return this.state.revoke(sid, Math.max(expiresAt, now + 1));
  }

  /** True when the session was ended and its token has not yet expired. */
  isRevoked(sid: string, now: number): boolean {
    return this.state.isRevoked(sid, now);
  }
}

/** The gateway's revocation list (over the long-lived security state). */
export function revocations(deps: GatewayDeps): RevocationList {
  return new RevocationList(deps.security);
}
