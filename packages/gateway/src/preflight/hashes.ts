/**
 * Password hashes a gateway should not start with: scrypt weaker than `hash-password` makes
 * (an error — `scrypt$1024$1$1$…` falls to a GPU in hours), an scrypt text the verifier cannot
 * use (an error — that user could never sign in), and hashes imported from htpasswd that have not
 * yet been upgraded at a sign-in (a warning naming the user).
 */

import { legacyHashKind } from '../credentials/legacy-hash.js';
import { DEFAULT_SCRYPT, parseHash } from '../credentials/password.js';
import { formatPath } from '../policy/load.js';
import type { Policy } from '../policy/schema.js';
import type { Findings } from './findings.js';

const D = DEFAULT_SCRYPT;

/**
 * Adds the hash findings of every user of every tenant to `out`.
 * @param allowWeak report scrypt weaker than the default as a warning, not an error (test rigs
 *   with cheap hashes: `RESULTGATE_ALLOW_WEAK_HASHES=1`)
 */
export function checkHashes(policy: Policy, out: Findings, allowWeak = false): void {
  for (const [tenantId, tenant] of Object.entries(policy.tenants)) {
    for (const [name, user] of Object.entries(tenant.users)) {
      const at = formatPath(['tenants', tenantId, 'users', name, 'passwordHash']);
      const fix = `set a new one: resultgate users passwd --tenant ${tenantId} --user ${name}`;
      const hash = user.passwordHash;
      const legacy = legacyHashKind(hash);
      if (legacy !== undefined) {
        const label = legacy === 'apr1' ? '$apr1$ (Apache MD5)' : `bcrypt (${hash.slice(0, 4)})`;
        out.warn(
          at,
          `still a legacy ${label} hash from htpasswd; it becomes scrypt at ${name}'s next sign-in, or ${fix}`,
        );
        continue;
      }
      const parsed = parseHash(hash);
      const params = hash.split('$').slice(1, 4).join('$');
      if (!parsed) {
        out.error(
          at,
          `scrypt$${params}$… cannot be used (N a power of two above 1, r and p above 0, salt of 8 bytes or more, hash of 16 or more); no one can sign in as ${name}; ${fix}`,
        );
      } else if (parsed.N < D.N || parsed.r < D.r || parsed.p < D.p) {
        (allowWeak ? out.warn : out.error)(
          at,
          `scrypt N=${parsed.N}, r=${parsed.r}, p=${parsed.p} is weaker than hash-password's N=${D.N}, r=${D.r}, p=${D.p} (got scrypt$${params}$…); ${fix}`,
        );
      }
    }
  }
}
