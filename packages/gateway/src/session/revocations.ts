/**
 * Ended sessions: a logout puts the session id here until the token's own expiry, so replaying
 * the old cookie fails even though its signature is still valid. Long-lived (module state, it
 * survives policy reloads) and bounded; the scale-out issue moves it to Redis with these methods.
 */
import { LRUCache } from 'lru-cache';
import { type GatewayDeps, moduleState } from '../deps.js';

/** Revoked session ids, each kept until its token would have expired anyway. */
export class RevocationList {
  // Value: the token's expiry (ms, on the injected clock). lru-cache's own TTL (real clock) only
  // frees memory; the decision compares with the injected clock, so tests need not sleep.
  private readonly ended: LRUCache<string, number>;

  /**
   * @param max most sessions kept (default 500,000). Each entry needs a successful login, so
   *   filling it takes an attacker with a password and days of scrypt; when full, the
   *   least recently ended session is forgotten first.
   */
  constructor(max = 500_000) {
    this.ended = new LRUCache({ max, ttlAutopurge: false });
  }

  /** Ends a session until `expiresAt` (ms). */
  revoke(sid: string, expiresAt: number, now: number): void {
    const ttl = Math.max(1, expiresAt - now);
    this.ended.set(sid, expiresAt, { ttl });
  }

  /** True when the session was ended and its token has not yet expired. */
  isRevoked(sid: string, now: number): boolean {
    const until = this.ended.get(sid);
    return until !== undefined && until > now;
  }
}

/** The gateway's revocation list (one per deps, kept across reloads). */
export function revocations(deps: GatewayDeps): RevocationList {
  return moduleState(deps, 'session-revocations', () => new RevocationList());
}
