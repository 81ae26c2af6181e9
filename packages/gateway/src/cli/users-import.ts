/**
 * `resultgate users import --tenant T --htpasswd FILE [--roles a,b]`: the path off nginx's or
 * Apache's Basic auth. Every user of the file is added with the hash it has there; the gateway
 * verifies bcrypt and `$apr1$` and replaces them with scrypt at each user's first sign-in.
 * All or nothing: one bad line and nothing is written.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseHtpasswd } from '../credentials/htpasswd.js';
import { editPolicyFile } from '../policy/edit.js';
import type { Tenant } from '../policy/schema.js';
import { type CliIo, EXIT, fail } from './command.js';
import type { UsersAudit } from './users.js';

/** The parsed arguments `users import` needs. */
export interface ImportArgs {
  tenant: string;
  roles: string[];
  htpasswd?: string;
}

/**
 * Imports the users of `args.htpasswd` into tenant `args.tenant` of the policy file.
 * @returns the exit code (0 imported, 1 a bad line or an existing user, 4 no user in the file)
 */
export async function importHtpasswd(
  file: string,
  args: ImportArgs,
  tenant: Tenant,
  io: CliIo,
  audit: UsersAudit | undefined,
): Promise<number> {
  const source = args.htpasswd!;
  let text: string;
  try {
    text = await readFile(resolve(io.cwd, source), 'utf8');
  } catch (err) {
    return fail(
      'users import',
      `cannot read ${source}: ${(err as NodeJS.ErrnoException).code}`,
      io,
      EXIT.failed,
    );
  }
  const { entries, problems } = parseHtpasswd(text);
  for (const e of entries) {
    if (tenant.users[e.user])
      problems.push(`line ${e.line}: ${e.user} already exists in tenant ${args.tenant}`);
  }
  if (problems.length > 0) {
    io.stderr.write(
      `resultgate users import: nothing imported from ${source}:\n${problems.map((p) => `  ${p}\n`).join('')}`,
    );
    return EXIT.failed;
  }
  if (entries.length === 0) return fail('users import', `no user in ${source}`, io, EXIT.empty);
  const policy = await editPolicyFile(file, (doc) => {
    const tenants = doc.value.tenants as Record<string, Record<string, unknown>>;
    const usersPath = ['tenants', args.tenant, 'users'];
    if (tenants[args.tenant]!.users === undefined) doc.set(usersPath, {});
    for (const e of entries) doc.set([...usersPath, e.user], { passwordHash: e.hash, roles: args.roles });
  });
  for (const e of entries) {
    io.stdout.write(`imported ${e.user} (${e.kind}) into tenant ${args.tenant}\n`);
    await audit?.(
      {
        type: 'user_added',
        tenant: args.tenant,
        user: e.user,
        reason: 'htpasswd import',
        hash: e.kind,
        roles: args.roles,
      },
      policy,
      io,
    );
  }
  io.stdout.write(
    `${entries.length} user(s) imported; each hash becomes scrypt at the user's first sign-in (resultgate check lists those still waiting)\n`,
  );
  return EXIT.ok;
}
