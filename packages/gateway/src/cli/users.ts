/**
 * `resultgate users add|passwd|remove|list|import --tenant T [--policy FILE]` — user ID registration and
 * deletion and privilege assignment (the checklist's items), by editing the policy file in place:
 * only the user's entry changes, the result is validated first, and the file is replaced
 * atomically so a running gateway reloads it whole.
 */

import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { addressLockKey, userLockKey } from '../credentials/lockout.js';
import { hashPassword } from '../credentials/password.js';
import { addressKey } from '../net/address-key.js';
import { editPolicyFile } from '../policy/edit.js';
import { loadPolicyFile } from '../policy/load.js';
import { type Policy, USER_NAME } from '../policy/schema.js';
import { SecurityState, stateDir } from '../state/index.js';
import type { AuditEvent } from '../types.js';
import { writeCliAudit } from './audit.js';
import { type CliCommand, type CliIo, EXIT, fail, policyPath } from './command.js';
import { acceptablePassword, readNewPassword, UsageError, usageFailure } from './hash-password.js';
import { importHtpasswd } from './users-import.js';

/**
 * Receives the audit events of `users add` / `users remove` after the policy file was written
 * (the CLI wires it to the tenant's audit log). Never given a password or hash.
 */
export type UsersAudit = (event: AuditEvent, policy: Policy, io: CliIo) => void | Promise<void>;

const HELP = `Usage: resultgate users <add|passwd|remove|list|import|unlock> --tenant T [--policy FILE] [options]

Manages a tenant's users in the policy file. The file is edited in place (only that user's
entry changes), validated, then replaced atomically; a running gateway reloads it. Every change
is an audit line in the tenant's chain.

  users add --tenant T --user U [--roles a,b]
      adds user U with the given roles; the password is read from stdin (one line; on a
      terminal it is asked twice without echo) and must meet the tenant's password policy
  users passwd --tenant T --user U
      sets U's password (read as for add, same policy); roles stay; U's sessions end
  users remove --tenant T --user U
      removes user U (their sessions end at the next request)
  users list --tenant T
      lists the tenant's users and roles (never password hashes)
  users import --tenant T --htpasswd FILE [--roles a,b]
      adds every user of an Apache/nginx htpasswd file with the hash it has there — bcrypt
      ($2y$, htpasswd -B) or Apache MD5 ($apr1$, htpasswd -m) — so they keep their passwords.
      At a user's first successful sign-in the gateway replaces the hash with scrypt; until
      then \`resultgate check\` warns which users still have one. All or nothing: a line with
      another format (crypt, {SHA}, plain text), a bad user name or a user that already exists
      is listed and nothing is imported.

  users unlock --tenant T (USER | --user U | --address IP)
      ends a lockout at once — of a user name, or of a client address (an IPv6 address
      unlocks its /64) — in the state directory and, with sharedState.redis, on every
      gateway; running gateways honour it on their next request. Audited.


Options:
  --tenant T       the tenant id (required)
  --user U         the user name (add, passwd, remove, unlock); no ":", spaces or control characters
  --roles a,b      comma-separated roles (add, import)
  --htpasswd FILE  the htpasswd file (import)
  --address IP     the client address to unlock (unlock)
  --policy FILE    the policy file (default $RESULTGATE_POLICY, else ./policy.json)
  -h, --help       this text

Exit codes:
  0  done
  1  refused: the password breaks the password policy, the user already exists (add), the
     htpasswd file has a bad line (import), or the policy is invalid
  2  usage error, or no password on stdin
  3  no such tenant, or no such user (passwd, remove)
  4  list: the tenant has no users; import: the htpasswd file has no user

Example:
  printf '%s\\n' "$PW" | resultgate users add --tenant school-a --user sato --roles admin
  resultgate users import --tenant school-a --htpasswd /etc/nginx/.htpasswd --roles staff
`;

const ACTIONS = ['add', 'passwd', 'remove', 'list', 'import', 'unlock'];

interface UsersArgs {
  action: string;
  tenant: string;
  user?: string;
  address?: string;
  roles: string[];
  policy?: string;
  htpasswd?: string;
}

function parseUsersArgs(argv: string[]): UsersArgs {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      tenant: { type: 'string' },
      user: { type: 'string' },
      roles: { type: 'string' },
      address: { type: 'string' },
      policy: { type: 'string' },
      htpasswd: { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  });
  const [action, ...extra] = positionals;
  if (!action || !ACTIONS.includes(action)) {
    throw new UsageError(
      action
        ? `unknown action "${action}" (${ACTIONS.join(', ')})`
        : 'add, passwd, remove, list, import or unlock?',
    );
  }
  // `users unlock --tenant T USER`: the user may be given without --user.
  if (action === 'unlock' && extra.length === 1 && values.user === undefined) values.user = extra.shift();
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  if (!values.tenant) throw new UsageError('--tenant is required');
  if (values.address !== undefined && action !== 'unlock') throw new UsageError('--address goes with unlock');
  if (action === 'unlock') {
    if ((values.user === undefined) === (values.address === undefined))
      throw new UsageError('users unlock needs a user name or --address IP (one of them)');
    if (values.address !== undefined && isIP(values.address) === 0)
      throw new UsageError(`--address: "${values.address}" is not an IP address`);
    return {
      action,
      tenant: values.tenant,
      user: values.user,
      address: values.address,
      roles: [],
      policy: values.policy,
    };
  }
  const needsUser = action === 'add' || action === 'passwd' || action === 'remove';
  if (needsUser && !values.user) throw new UsageError(`users ${action} needs --user`);
  if (!needsUser && values.user !== undefined) throw new UsageError(`--user does not go with ${action}`);
  if (values.user !== undefined && !USER_NAME.test(values.user)) {
    throw new UsageError('user names cannot contain ":", spaces or control characters');
  }
  if (values.roles !== undefined && action !== 'add' && action !== 'import') {
    throw new UsageError('--roles goes with add or import');
  }
  if (action === 'import' && !values.htpasswd) throw new UsageError('users import needs --htpasswd FILE');
  if (action !== 'import' && values.htpasswd !== undefined)
    throw new UsageError('--htpasswd goes with import');
  const roles = (values.roles ?? '')
    .split(',')
    .map((r) => r.trim())
    .filter((r) => r !== '');
  return {
    action,
    tenant: values.tenant,
    user: values.user,
    roles,
    policy: values.policy,
    htpasswd: values.htpasswd,
  };
}

async function list(file: string, full: string, args: UsersArgs, io: CliIo): Promise<number> {
  const tenant = (await loadPolicyFile(full)).tenants[args.tenant];
  if (!tenant) return fail('users', `no tenant "${args.tenant}" in ${file}`, io, EXIT.notFound);
  const users = Object.entries(tenant.users);
  if (users.length === 0) return fail('users', `tenant ${args.tenant} has no users`, io, EXIT.empty);
  const width = Math.max(4, ...users.map(([name]) => name.length));
  io.stdout.write(`${'USER'.padEnd(width)}  ROLES\n`);
  for (const [name, user] of users) {
    const roles = user.roles.length > 0 ? user.roles.join(',') : '-';
    io.stdout.write(`${name.padEnd(width)}  ${roles}${user.disabled ? '  (disabled)' : ''}\n`);
  }
  return EXIT.ok;
}

/**
 * Ends a lockout in the state directory (and Redis): running gateways confirm every lockout they
 * hold in memory against the store before refusing, and Redis tells the fleet, so it takes
 * effect on the next request.
 */
async function unlock(
  file: string,
  args: UsersArgs,
  io: CliIo,
  audit: UsersAudit | undefined,
): Promise<number> {
  const policy = await loadPolicyFile(file);
  if (!policy.tenants[args.tenant])
    return fail('users', `no tenant "${args.tenant}" in ${file}`, io, EXIT.notFound);
  const redis = policy.sharedState?.redis;
  const state = new SecurityState({ dir: stateDir(policy), redis, warn: () => {} });
  try {
    if (redis && !(await state.ready(3000)))
      io.stderr.write('resultgate users: Redis is unreachable; unlocked in the local state directory only\n');
    const key =
      args.address !== undefined
        ? addressLockKey(args.tenant, args.address)
        : userLockKey(args.tenant, args.user!);
    const was = await state.unlock(key);
    const what = args.address !== undefined ? `address ${addressKey(args.address)}` : `user ${args.user}`;
    io.stdout.write(`${was ? 'unlocked' : 'was not locked:'} ${what} in tenant ${args.tenant}\n`);
    const event: AuditEvent = { type: 'unlock', tenant: args.tenant, reason: 'cli', wasLocked: was };
    if (args.user !== undefined) event.user = args.user;
    if (args.address !== undefined) event.ip = args.address;
    await audit?.(event, policy, io);
    return EXIT.ok;
  } finally {
    await state.close();
  }
}

/** Builds the `users` command; `audit` receives user_added / user_password_changed / user_removed / unlock events. */
export function createUsersCommand(options: { audit?: UsersAudit } = {}): CliCommand {
  return {
    name: 'users',
    summary: 'add, remove, list or unlock a tenant’s users (edits the policy file atomically)',
    help: HELP,
    async run(argv, io) {
      let args: UsersArgs;
      try {
        args = parseUsersArgs(argv);
      } catch (err) {
        return usageFailure('users', (err as Error).message, io);
      }
      const file = policyPath(args.policy, io);
      const full = resolve(io.cwd, file);
      if (args.action === 'list') return list(file, full, args, io);
      if (args.action === 'unlock') return unlock(full, args, io, options.audit);

      const tenantPath = ['tenants', args.tenant];
      const current = (await loadPolicyFile(full)).tenants[args.tenant];
      if (!current) return fail('users', `no tenant "${args.tenant}" in ${file}`, io, EXIT.notFound);
      if (args.action === 'import') return importHtpasswd(full, args, current, io, options.audit);
      const user = args.user!;
      let policy: Policy;
      const event: AuditEvent = { type: 'user_added', tenant: args.tenant, user, reason: 'cli' };
      if (args.action === 'add' || args.action === 'passwd') {
        if (args.action === 'add' && current.users[user]) {
          return fail(
            'users',
            `${user} already exists in tenant ${args.tenant}; use passwd`,
            io,
            EXIT.failed,
          );
        }
        if (args.action === 'passwd' && !current.users[user]) {
          return fail('users', `no user ${user} in tenant ${args.tenant}`, io, EXIT.notFound);
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
        const passwordHash = await hashPassword(password);
        if (args.action === 'add') {
          const entry = { passwordHash, roles: args.roles };
          policy = await editPolicyFile(full, (doc) => {
            const tenant = doc.value.tenants as Record<string, Record<string, unknown>>;
            if (tenant[args.tenant]!.users === undefined) doc.set([...tenantPath, 'users'], {});
            doc.set([...tenantPath, 'users', user], entry);
          });
          event.roles = args.roles;
          io.stdout.write(`added ${user} to tenant ${args.tenant} (roles: ${args.roles.join(',') || '-'})\n`);
        } else {
          policy = await editPolicyFile(full, (doc) =>
            doc.set([...tenantPath, 'users', user, 'passwordHash'], passwordHash),
          );
          event.type = 'user_password_changed';
          io.stdout.write(`changed the password of ${user} in tenant ${args.tenant}\n`);
        }
      } else {
        if (!current.users[user]) {
          return fail('users', `no user ${user} in tenant ${args.tenant}`, io, EXIT.notFound);
        }
        policy = await editPolicyFile(full, (doc) => doc.remove([...tenantPath, 'users', user]));
        event.type = 'user_removed';
        io.stdout.write(`removed ${user} from tenant ${args.tenant}\n`);
      }
      await options.audit?.(event, policy, io);
      return EXIT.ok;
    },
  };
}

/** `resultgate users`: each change (and each unlock) is an audit line in the tenant's chain under `logs.dir`. */
export const command: CliCommand = createUsersCommand({
  audit: async (event, policy, io) => {
    if (!(await writeCliAudit(resolve(io.cwd, policy.logs.dir), event, io))) {
      io.stderr.write('resultgate users: the policy was changed but its audit line could not be written\n');
    }
  },
});
