/**
 * Session tokens: a JWT (jose, HS256) in the `__Host-rg-session` cookie. The newest key of
 * `deps.sessionKeys` signs; every key verifies, found by its `kid`, so keys rotate without
 * logging anyone out. The token is bound to its tenant twice: `aud` and the `ten` claim.
 * Times that decide an idle timeout are kept in milliseconds (`at`, `la`): the standard `iat` and
 * `exp` are whole seconds, too coarse for the 1-3 s timeouts of the tests.
 */
import { createHash } from 'node:crypto';
import { errors, type JWSHeaderParameters, type JWTPayload, jwtVerify, SignJWT } from 'jose';

const ISSUER = 'resultgate';

/** What a session token says, after verification. */
export interface SessionClaims {
  /** Tenant id (also the `aud`). */
  tenant: string;
  user: string;
  /** Roles when the session was issued (informative: requests use the current policy's roles). */
  roles: string[];
  /** Session id: new on every login, kept across renewals; the key of the revocation list. */
  sid: string;
  /** Login time, ms: the start of the absolute lifetime (`sessions.maxAge`). */
  authAt: number;
  /** Last activity, ms: the start of the idle timeout. */
  lastActive: number;
  /** Fingerprint of the user's password hash: a changed password ends older sessions. */
  cred: string;
  /** Absolute end of the session, ms (`authAt + maxAge`). */
  expiresAt: number;
}

interface KeyEntry {
  kid: string;
  key: Promise<CryptoKey>;
}

/** Signs and verifies session tokens with one set of keys (newest first). */
export interface SessionTokens {
  sign(claims: SessionClaims): Promise<string>;
  /** @returns the claims, or `null` for a forged, foreign, malformed or long-expired token. */
  verify(token: string, tenant: string, now: number): Promise<SessionClaims | null>;
}

/** A key's id: the first 12 base64url characters of its SHA-256 (names the key, reveals nothing). */
export function keyId(key: Uint8Array): string {
  return createHash('sha256').update(key).digest('base64url').slice(0, 12);
}

/**
 * Compiles the session keys once per policy load.
 * @param keys `deps.sessionKeys`, newest first: the first signs, all verify
 * @throws Error when no key is given
 * @example const tokens = sessionTokens(deps.sessionKeys); const jwt = await tokens.sign(claims);
 */
export function sessionTokens(keys: readonly Uint8Array[]): SessionTokens {
  if (keys.length === 0) throw new Error('sessions: at least one session key is required');
  // Imported once: jose would otherwise import a raw key on every sign and verify.
  const entries: KeyEntry[] = keys.map((raw) => ({
    kid: keyId(raw),
    key: crypto.subtle.importKey('raw', new Uint8Array(raw), { name: 'HMAC', hash: 'SHA-256' }, false, [
      'sign',
      'verify',
    ]),
  }));
  const signer = entries[0]!;
  const byKid = new Map(entries.map((e) => [e.kid, e.key]));

  return {
    async sign(claims) {
      return new SignJWT({
        ten: claims.tenant,
        roles: claims.roles,
        at: claims.authAt,
        la: claims.lastActive,
        cred: claims.cred,
      })
        .setProtectedHeader({ alg: 'HS256', kid: signer.kid, typ: 'JWT' })
        .setIssuer(ISSUER)
        .setAudience(claims.tenant)
        .setSubject(claims.user)
        .setJti(claims.sid)
        .setIssuedAt(Math.floor(claims.lastActive / 1000))
        .setExpirationTime(Math.ceil(claims.expiresAt / 1000))
        .sign(await signer.key);
    },

    async verify(token, tenant, now) {
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, keyFor, {
          algorithms: ['HS256'],
          issuer: ISSUER,
          audience: tenant,
          requiredClaims: ['sub', 'jti', 'exp', 'iat'],
          currentDate: new Date(now),
        }));
      } catch (err) {
        // jose checks the signature before the claims: an expired token is still authentic, and
        // the caller needs it (to audit the expiry, and to revoke it on logout).
        if (!(err instanceof errors.JWTExpired)) return null;
        payload = err.payload;
        if (payload.iss !== ISSUER || payload.aud !== tenant) return null;
      }
      return toClaims(payload, tenant);
    },
  };

  async function keyFor(header: JWSHeaderParameters): Promise<CryptoKey> {
    const key = header.kid === undefined ? undefined : byKid.get(header.kid);
    if (!key) throw new errors.JWSSignatureVerificationFailed();
    return key;
  }
}

function toClaims(payload: JWTPayload, tenant: string): SessionClaims | null {
  const { ten, roles, at, la, cred, sub, jti, exp } = payload;
  if (ten !== tenant || typeof sub !== 'string' || typeof jti !== 'string' || typeof exp !== 'number')
    return null;
  if (typeof at !== 'number' || typeof la !== 'number' || typeof cred !== 'string') return null;
  if (!Array.isArray(roles) || !roles.every((r) => typeof r === 'string')) return null;
  return { tenant: ten, user: sub, roles, sid: jti, authAt: at, lastActive: la, cred, expiresAt: exp * 1000 };
}
