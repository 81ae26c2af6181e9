/**
 * `resultgate check [--policy FILE] [--strict]` — validates the policy file and lints it.
 * Errors (every one, with its JSON path) exit 1; warnings are printed and exit 0 unless --strict.
 */

import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { PolicyError, parsePolicy, parsePolicyJson, readPolicyText } from '../policy/load.js';
import type { Policy } from '../policy/schema.js';
import { preflight } from '../preflight/index.js';
import { type CliCommand, EXIT, policyPath } from './command.js';
import { usageFailure } from './hash-password.js';

const HELP = `Usage: resultgate check [--policy FILE] [--strict]

Checks the policy file as \`nginx -t\` checks nginx's: the schema, then everything \`serve\` will
meet when it starts (\`serve\` runs the same checks before it opens a port).

Errors make the policy unusable (serve refuses to start; a running gateway refuses to reload an
invalid schema and keeps the old policy). Each names its JSON path and shows the value, e.g.
  tenants.school-a.zones[0].ipAllow[1]: not an IP or CIDR (got "203.0.113.300")
  tenants.school-a.zones[1].auth: "basci" is not one of "none", "basic", "form"; did you mean "basic"?
They are: schema errors (misspelt keys get a "did you mean"); a certificate or key file that is
missing, unreadable or not PEM; a key that is not the certificate's; an expired certificate; a
secret file that is unreadable, holds no key or cannot be created; a log directory that is not
writable; a password hash weaker than \`hash-password\` makes (scrypt N=32768, r=8, p=1) or unusable.

Warnings load but break a promise of the security checklist or may not do what was meant: a
certificate that expires within 30 days or does not cover a tenant host; a secret file serve
will create; a CIDR with host bits set (192.0.2.1/24 means 192.0.2.0/24); a user still on an
htpasswd hash (bcrypt or $apr1$); maintenance announced less than 7 days ahead; an admin zone
without authentication, with Basic auth or with an idle timeout over 1h; a password policy under
8 characters; a host claimed by two tenants; a zone path that can never match; a zone nobody can
sign in to.

Relative paths in the policy are resolved from the working directory, as serve resolves them.

Options:
  --policy FILE    the policy file (default $RESULTGATE_POLICY, else ./policy.json)
  --strict         exit 1 on warnings too
  -h, --help       this text

Exit codes:
  0  the policy can be served (warnings allowed unless --strict)
  1  errors (or warnings with --strict); each is printed
  2  usage error (unknown option)
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
      // Read from the command's working directory, named in messages as the user wrote it.
      const text = await readPolicyText(resolve(io.cwd, file)).catch((err: PolicyError) => {
        throw new PolicyError(file, err.issues);
      });
      policy = parsePolicy(parsePolicyJson(text, file), file);
    } catch (err) {
      if (!(err instanceof PolicyError)) throw err;
      io.stderr.write(`${err.message}\n${plural(err.issues.length, 'error')}\n`);
      return EXIT.failed;
    }
    const { errors, warnings } = await preflight(policy, {
      cwd: io.cwd,
      now: Date.now(),
      allowWeakHashes: io.env.RESULTGATE_ALLOW_WEAK_HASHES === '1',
    });
    for (const w of warnings) io.stdout.write(`warning: ${w}\n`);
    if (errors.length > 0) {
      io.stderr.write(new PolicyError(file, errors).message);
      io.stderr.write(`\n${plural(errors.length, 'error')}\n`);
      return EXIT.failed;
    }
    if (values.strict && warnings.length > 0) {
      io.stderr.write(`${file}: ${plural(warnings.length, 'warning')}; --strict makes them fail\n`);
      return EXIT.failed;
    }
    const tail = warnings.length > 0 ? `; ${plural(warnings.length, 'warning')}` : '';
    io.stdout.write(`ok: ${file} (${summary(policy)})${tail}\n`);
    return EXIT.ok;
  },
};
