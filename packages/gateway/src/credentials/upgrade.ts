/**
 * Upgrade on sign-in: a user imported from htpasswd still has a bcrypt or `$apr1$` hash; the
 * first time they sign in with the right password the gateway has the password in hand, so it
 * hashes it with scrypt and writes that into the policy file (an atomic edit of that one
 * property, validated first — policy/edit.ts), audits a `password_upgraded` event and reloads
 * the policy, so the legacy hash is gone from the file and from memory.
 *
 * Only a gateway started from a policy file upgrades (one given a policy object has nowhere to
 * write). A file edited meanwhile so that the user's hash is no longer the one verified (a
 * `users passwd`, a second gateway's upgrade) is left alone.
 */

import type { GatewayDeps } from '../deps.js';
import { editPolicyFile } from '../policy/edit.js';
import { legacyHashKind } from './legacy-hash.js';
import { hashPassword } from './password.js';

const CHANGED = new Error('the hash changed meanwhile');

/**
 * How long a sign-in waits for another edit of the policy file (an admin's `users import`, a
 * lock its editor left) before it gives the upgrade up: the sign-in itself waits for the upgrade,
 * and must not take the edit lock's 10 s. The next sign-in tries again.
 */
const UPGRADE_WAIT_MS = 1_000;

/** Who signed in, for the audit line. */
export interface UpgradeContext {
  tenant: string;
  user: string;
  reqId?: string;
  ip?: string;
}

/**
 * After a successful check against `hash`: when it is a legacy hash, replaces it with scrypt of
 * `password` in the policy file and reloads. Never throws; a failure is audited and the next
 * sign-in tries again.
 * @returns the new scrypt hash, or `undefined` when nothing was (or could be) upgraded
 */
export function upgradeLegacyHash(
  deps: GatewayDeps,
  who: UpgradeContext,
  password: string,
  hash: string,
): Promise<string | undefined> {
  const kind = legacyHashKind(hash);
  const state = deps.passwordUpgrades;
  const target = state.target;
  if (!kind || !target) return Promise.resolve(undefined);
  const key = `${who.tenant}\0${who.user}`;
  const running = state.running.get(key);
  if (running) return running;
  const event = { tenant: who.tenant, user: who.user, reqId: who.reqId, ip: who.ip, from: kind };
  const upgrade = (async () => {
    try {
      const next = await hashPassword(password);
      await editPolicyFile(
        target.file,
        (doc) => {
          const path = ['tenants', who.tenant, 'users', who.user];
          const users = (
            doc.value.tenants as Record<string, { users?: Record<string, { passwordHash?: unknown }> }>
          )[who.tenant]?.users;
          // Changed meanwhile (users passwd, another gateway's upgrade): not ours to replace.
          if (users?.[who.user]?.passwordHash !== hash) throw CHANGED;
          doc.set([...path, 'passwordHash'], next);
        },
        { waitMs: UPGRADE_WAIT_MS },
      );
      deps.audit.write({ type: 'password_upgraded', ...event, to: 'scrypt' });
      state.upgraded.set(key, next);
      await target.reload().catch(() => undefined); // a refused reload is audited by the reload itself
      return next;
    } catch (err) {
      if (err === CHANGED) return undefined;
      deps.audit.write({
        type: 'password_upgraded',
        ...event,
        result: 'failed',
        reason: err instanceof Error ? err.message.split('\n')[0] : String(err),
      });
      return undefined;
    } finally {
      state.running.delete(key);
    }
  })();
  state.running.set(key, upgrade);
  return upgrade;
}

/**
 * The hash a session should be bound to: the scrypt hash an upgrade just wrote for this user
 * (the compiled policy the login ran on still holds the legacy one), else `passwordHash`.
 */
export function currentHash(deps: GatewayDeps, tenant: string, user: string, passwordHash: string): string {
  if (!legacyHashKind(passwordHash)) return passwordHash;
  return deps.passwordUpgrades.upgraded.get(`${tenant}\0${user}`) ?? passwordHash;
}

/**
 * Upgrades on every successful password check of these deps (Basic auth, login form, logs
 * route), through the credential module's onVerified hook. Call once per deps.
 */
export function upgradeOnSignIn(deps: GatewayDeps): void {
  deps.credentialHooks.onVerified.push(async (e) => {
    await upgradeLegacyHash(deps, { tenant: e.tenantId, user: e.user }, e.password, e.passwordHash);
  });
}
