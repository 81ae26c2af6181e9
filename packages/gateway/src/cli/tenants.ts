/**
 * `resultgate tenants purge T [--policy FILE] [--yes]` — the end of a tenant's contract: removes
 * the tenant from the policy (atomically; a running gateway reloads without it), deletes all its
 * log files, and writes a `tenant_purged` line to the `_gateway` audit chain.
 */
import { readdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { editPolicyFile } from '../policy/edit.js';
import { GATEWAY_TENANT, isTenantDirName } from '../logs/index.js';
import { loadPolicyFile, PolicyError } from '../policy/load.js';
import { writeCliAudit } from './audit.js';
import { type CliCommand, type CliIo, EXIT, policyPath } from './command.js';

const HELP = `Usage: resultgate tenants purge T [--policy FILE] [--yes]

Ends tenant T's contract:
  1. removes "tenants.T" from the policy file (temp file + rename: a running gateway reloads it
     and stops serving T's hosts; the rest of the file is kept as written);
  2. ends T's sessions: they are stateless signed cookies bound to the tenant, so once the
     tenant is gone (its hosts answer 404 unknown_host) no session of it opens anything;
  3. deletes every log file of T (<logs.dir>/T, access and audit);
  4. writes a "tenant_purged" line to the _gateway audit chain.
Without --yes it only says what it would remove.

Options:
  --policy FILE    the policy file (default $RESULTGATE_POLICY, else ./policy.json)
  --yes            really do it
`;

function usage(message: string, io: CliIo): number {
  io.stderr.write(`resultgate tenants: ${message}\nRun \`resultgate tenants --help\` for usage.\n`);
  return EXIT.usage;
}

async function countFiles(dir: string): Promise<number> {
  return (await readdir(dir, { recursive: true }).catch(() => [])).length;
}

async function purge(argv: string[], io: CliIo): Promise<number> {
  let parsed: { values: { policy?: string; yes?: boolean }; positionals: string[] };
  try {
    parsed = parseArgs({
      args: argv,
      options: { policy: { type: 'string' }, yes: { type: 'boolean' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    return usage((err as Error).message, io);
  }
  const [tenant, ...extra] = parsed.positionals;
  if (!tenant || extra.length > 0) return usage('purge takes one tenant id', io);
  if (!isTenantDirName(tenant) || tenant === GATEWAY_TENANT) return usage(`not a tenant id: ${tenant}`, io);
  const file = resolve(io.cwd, policyPath(parsed.values.policy, io));
  let logsDir: string;
  let inPolicy: boolean;
  try {
    const policy = await loadPolicyFile(file);
    logsDir = resolve(io.cwd, policy.logs.dir);
    inPolicy = tenant in policy.tenants;
  } catch (err) {
    io.stderr.write(`resultgate tenants purge: ${err instanceof PolicyError ? err.message : String(err)}\n`);
    return EXIT.failed;
  }
  const tenantLogs = join(logsDir, tenant);
  const files = await countFiles(tenantLogs);
  if (!inPolicy && files === 0) {
    io.stderr.write(
      `resultgate tenants purge: no tenant "${tenant}" in ${file} and no logs in ${tenantLogs}\n`,
    );
    return EXIT.failed;
  }
  const plan = [
    inPolicy ? `remove tenants.${tenant} from ${file}` : `(tenant ${tenant} is already gone from the policy)`,
    `delete ${files} file(s) under ${tenantLogs}`,
  ];
  if (!parsed.values.yes) {
    io.stdout.write(`Would:\n${plan.map((p) => `  - ${p}\n`).join('')}Run again with --yes to do it.\n`);
    return EXIT.usage;
  }
  try {
    if (inPolicy) await editPolicyFile(file, (doc) => doc.remove(['tenants', tenant]));
  } catch (err) {
    io.stderr.write(`resultgate tenants purge: ${err instanceof PolicyError ? err.message : String(err)}\n`);
    return EXIT.failed;
  }
  await rm(tenantLogs, { recursive: true, force: true });
  const written = await writeCliAudit(
    logsDir,
    { type: 'tenant_purged', tenant: GATEWAY_TENANT, purged: tenant, files, user: io.env.USER },
    io,
  );
  for (const p of plan) io.stdout.write(`done: ${p}\n`);
  io.stdout.write(`done: sessions of ${tenant} are refused once the gateway has reloaded the policy\n`);
  if (!written) {
    io.stderr.write('resultgate tenants purge: the audit line could not be written\n');
    return EXIT.failed;
  }
  io.stdout.write(`done: audit line written to ${join(logsDir, GATEWAY_TENANT)}\n`);
  return EXIT.ok;
}

export const command: CliCommand = {
  name: 'tenants',
  summary: 'tenants purge T: remove a tenant, its sessions and all its logs',
  help: HELP,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (sub === 'purge') return purge(rest, io);
    return usage(sub ? `unknown subcommand "${sub}"` : 'purge?', io);
  },
};
