/**
 * `resultgate users add|remove|list --tenant T [--policy FILE]` — user ID registration and
 * deletion and privilege assignment (the checklist's items), by editing the policy file in place:
 * only the user's entry changes, the result is validated first, and the file is replaced
 * atomically so a running gateway reloads it whole.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { hashPassword } from '../credentials/password.js';
import { editPolicyFile } from '../policy/edit.js';
import { loadPolicyFile } from '../policy/load.js';
import { type Policy, USER_NAME } from '../policy/schema.js';
import type { AuditEvent } from '../types.js';
import { writeCliAudit } from './audit.js';
import { type CliCommand, type CliIo, EXIT, policyPath } from './command.js';
import { acceptablePassword, readNewPassword, UsageError, usageFailure } from './hash-password.js';

/**
 * Receives the audit events of `users add` / `users remove` after the policy file was written
 * (the CLI wires it to the tenant's audit log). Never given a password or hash.
 */
export type UsersAudit = (event: AuditEvent, policy: Policy, io: CliIo) => void | Promise<void>;

const HELP = `Usage: resultgate users <add|remove|list> --tenant T [--policy FILE] [options]

Manages a tenant's users in the policy file. The file is edited in place (only that user's
entry changes), validated, then replaced atomically; a running gateway reloads it.

  users add --tenant T --user U [--roles a,b]
      adds user U with the given roles; the password is read from stdin (one line; on a
      terminal it is asked twice without echo) and must meet the tenant's password policy
  users remove --tenant T --user U
      removes user U (their sessions end at the next request)
  users list --tenant T
      lists the tenant's users and roles (never password hashes)

Options:
  --tenant T       the tenant id (required)
  --user U         the user name (add, remove); no ":", spaces or control characters
  --roles a,b      comma-separated roles (add)
  --policy FILE    the policy file (default $RESULTGATE_POLICY, else ./policy.json)
  -h, --help       this text

Example:
  printf '%s\\n' "$PW" | resultgate users add --tenant school-a --user sato --roles admin
`;

interface UsersArgs {
  action: string;
  tenant: string;
  user?: string;
  roles: string[];
  policy?: string;
}

function parseUsersArgs(argv: string[]): UsersArgs {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      tenant: { type: 'string' },
      user: { type: 'string' },
      roles: { type: 'string' },
      policy: { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  });
  const [action, ...extra] = positionals;
  if (!action || !['add', 'remove', 'list'].includes(action)) {
    throw new UsageError(action ? `unknown action "${action}" (add, remove, list)` : 'add, remove or list?');
  }
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  if (!values.tenant) throw new UsageError('--tenant is required');
  if (action !== 'list' && !values.user) throw new UsageError(`users ${action} needs --user`);
  if (values.user !== undefined && !USER_NAME.test(values.user)) {
    throw new UsageError('user names cannot contain ":", spaces or control characters');
  }
  if (values.roles !== undefined && action !== 'add') throw new UsageError('--roles goes with add');
  const roles = (values.roles ?? '')
    .split(',')
    .map((r) => r.trim())
    .filter((r) => r !== '');
  return { action, tenant: values.tenant, user: values.user, roles, policy: values.policy };
}

async function list(file: string, args: UsersArgs, io: CliIo): Promise<number> {
  const tenant = (await loadPolicyFile(file)).tenants[args.tenant];
  if (!tenant) return usageFailure('users', `no tenant "${args.tenant}" in ${file}`, io);
  const users = Object.entries(tenant.users);
  const width = Math.max(4, ...users.map(([name]) => name.length));
  io.stdout.write(`${'USER'.padEnd(width)}  ROLES\n`);
  for (const [name, user] of users) {
    const roles = user.roles.length > 0 ? user.roles.join(',') : '-';
    io.stdout.write(`${name.padEnd(width)}  ${roles}${user.disabled ? '  (disabled)' : ''}\n`);
  }
  return EXIT.ok;
}

/** Builds the `users` command; `audit` receives user_added / user_removed events. */
export function createUsersCommand(options: { audit?: UsersAudit } = {}): CliCommand {
  return {
    name: 'users',
    summary: 'add, remove or list a tenant’s users (edits the policy file atomically)',
    help: HELP,
    async run(argv, io) {
      let args: UsersArgs;
      try {
        args = parseUsersArgs(argv);
      } catch (err) {
        return usageFailure('users', (err as Error).message, io);
      }
      const file = policyPath(args.policy, io);
      if (args.action === 'list') return list(file, args, io);

      const tenantPath = ['tenants', args.tenant];
      const user = args.user!;
      const current = (await loadPolicyFile(file)).tenants[args.tenant];
      if (!current) return usageFailure('users', `no tenant "${args.tenant}" in ${file}`, io);
      let policy: Policy;
      if (args.action === 'add') {
        if (current.users[user]) {
          io.stderr.write(
            `resultgate users: ${user} already exists in tenant ${args.tenant}; remove it first\n`,
          );
          return EXIT.failed;
        }
        let password: string;
        try {
          password = await readNewPassword(io);
        } catch (err) {
          if (err instanceof UsageError) return usageFailure('users', err.message, io);
          throw err;
        }
        const who = `the password policy of tenant ${args.tenant}`;
        if (!acceptablePassword(password, current.passwordPolicy, who, io)) return EXIT.failed;
        const entry = { passwordHash: await hashPassword(password), roles: args.roles };
        policy = await editPolicyFile(file, (doc) => {
          const tenant = doc.value.tenants as Record<string, Record<string, unknown>>;
          if (tenant[args.tenant]!.users === undefined) doc.set([...tenantPath, 'users'], {});
          doc.set([...tenantPath, 'users', user], entry);
        });
        io.stdout.write(`added ${user} to tenant ${args.tenant} (roles: ${args.roles.join(',') || '-'})\n`);
      } else {
        if (!current.users[user]) {
          io.stderr.write(`resultgate users: no user ${user} in tenant ${args.tenant}\n`);
          return EXIT.failed;
        }
        policy = await editPolicyFile(file, (doc) => doc.remove([...tenantPath, 'users', user]));
        io.stdout.write(`removed ${user} from tenant ${args.tenant}\n`);
      }
      const type = args.action === 'add' ? 'user_added' : 'user_removed';
      const event: AuditEvent = { type, tenant: args.tenant, user, reason: 'cli' };
      if (args.action === 'add') event.roles = args.roles;
      await options.audit?.(event, policy, io);
      return EXIT.ok;
    },
  };
}

/** `resultgate users`: each change is an audit line in the tenant's chain under `logs.dir`. */
export const command: CliCommand = createUsersCommand({
  audit: async (event, policy, io) => {
    if (!(await writeCliAudit(resolve(io.cwd, policy.logs.dir), event, io))) {
      io.stderr.write('resultgate users: the policy was changed but its audit line could not be written\n');
    }
  },
});
