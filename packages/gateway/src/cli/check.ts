/**
 * `resultgate check [--policy FILE] [--strict]` — validates the policy file and lints it.
 * Errors (every one, with its JSON path) exit 1; warnings are printed and exit 0 unless --strict.
 */
import { parseArgs } from 'node:util';
import { lintPolicy } from '../policy/lint.js';
import { loadPolicyFile, PolicyError } from '../policy/load.js';
import type { Policy } from '../policy/schema.js';
import { type CliCommand, EXIT, policyPath } from './command.js';
import { usageFailure } from './hash-password.js';

const HELP = `Usage: resultgate check [--policy FILE] [--strict]

Validates the policy file and lints it.

Errors make the policy unusable (a running gateway refuses it and keeps the old one); each is
printed as "path: message", e.g.
  tenants.school-a.zones[0].ipAllow[1]: not an IP or CIDR
Warnings are rules that load but break a promise of the security checklist or can never take
effect: maintenance announced less than 7 days ahead, an admin zone without authentication, with
Basic auth or with an idle timeout over 1h, a password policy under 8 characters, a host claimed
by two tenants, a zone path that can never match, a zone nobody can sign in to.

Options:
  --policy FILE    the policy file (default $RESULTGATE_POLICY, else ./policy.json)
  --strict         exit 1 on warnings too
  -h, --help       this text

Exit codes: 0 valid (warnings allowed unless --strict), 1 invalid (or warnings with --strict),
2 usage error.
`;

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function summary(policy: Policy): string {
  const tenants = Object.values(policy.tenants);
  const zones = tenants.reduce((n, t) => n + t.zones.length, 0);
  const users = tenants.reduce((n, t) => n + Object.keys(t.users).length, 0);
  return `${plural(tenants.length, 'tenant')}, ${plural(zones, 'zone')}, ${plural(users, 'user')}`;
}

export const command: CliCommand = {
  name: 'check',
  summary: 'validate and lint the policy file',
  help: HELP,
  async run(argv, io) {
    let values: { policy?: string; strict?: boolean };
    try {
      ({ values } = parseArgs({
        args: argv,
        options: { policy: { type: 'string' }, strict: { type: 'boolean' } },
        strict: true,
      }));
    } catch (err) {
      return usageFailure('check', (err as Error).message, io);
    }
    const file = policyPath(values.policy, io);
    let policy: Policy;
    try {
      policy = await loadPolicyFile(file);
    } catch (err) {
      if (!(err instanceof PolicyError)) throw err;
      io.stderr.write(`${err.message}\n${plural(err.issues.length, 'error')}\n`);
      return EXIT.failed;
    }
    const warnings = lintPolicy(policy, Date.now());
    for (const w of warnings) io.stdout.write(`warning: ${w}\n`);
    if (values.strict && warnings.length > 0) {
      io.stderr.write(`${file}: ${plural(warnings.length, 'warning')}; --strict makes them fail\n`);
      return EXIT.failed;
    }
    const tail = warnings.length > 0 ? `; ${plural(warnings.length, 'warning')}` : '';
    io.stdout.write(`ok: ${file} (${summary(policy)})${tail}\n`);
    return EXIT.ok;
  },
};
