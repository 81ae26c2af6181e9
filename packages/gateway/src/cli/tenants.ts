/**
 * `resultgate tenants purge T [--policy FILE] [--data-status FILE] [--yes]` — the end of a
 * tenant's contract, gateway half: removes the tenant from the policy (atomically; a running
 * gateway reloads without it), deletes all its log files, and writes a `tenant_purged` line to the
 * `_gateway` audit chain. The result service's half (`result-service purge T`: the tenant key
 * destroyed, its rows and outbox deleted) follows; with the service's data-status file the output
 * says whether it is done and what it removed where (README: "Purging a tenant").
 */
import { readdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { GATEWAY_TENANT, isTenantDirName } from '../logs/index.js';
import { editPolicyFile } from '../policy/edit.js';
import { loadPolicyFile, PolicyError } from '../policy/load.js';
import { writeCliAudit } from './audit.js';
import { type CliCommand, type CliIo, EXIT, policyPath } from './command.js';
import { type DataStatus, readDataStatus } from './data-status.js';

const HELP = `Usage: resultgate tenants purge T [--policy FILE] [--data-status FILE] [--yes]

Ends tenant T's contract at the gateway (step 1 of 2):
  1. removes "tenants.T" from the policy file (temp file + rename: a running gateway reloads it
     and stops serving T's hosts; the rest of the file is kept as written);
  2. ends T's sessions: they are stateless signed cookies bound to the tenant, so once the
     tenant is gone (its hosts answer 404 unknown_host) no session of it opens anything;
  3. deletes every log file of T (<logs.dir>/T, access and audit);
  4. writes a "tenant_purged" line to the _gateway audit chain.
Then step 2, the result service's data: \`result-service purge T --yes\` destroys T's tenant key
(its rows in every backup become unreadable at once), deletes its rows and outbox files, and
records what it removed where in its data-status file. Given that file, this command says whether
step 2 is done and lists what it removed; \`resultgate report --data-status FILE\` lists every purge.
Without --yes it only says what it would remove.

Options:
  --policy FILE       the policy file (default $RESULTGATE_POLICY, else ./policy.json)
  --data-status FILE  the result service's data-status.json (default $RESULTGATE_DATA_STATUS)
  --yes               really do it

Exit codes:
  0  purged
  1  the policy is invalid, or the audit line could not be written (the purge itself was done)
  2  usage error, or no --yes (the plan was printed, nothing was removed)
  3  no such tenant: not in the policy and no logs of it
`;

function usage(message: string, io: CliIo): number {
  io.stderr.write(`resultgate tenants: ${message}\nRun \`resultgate tenants --help\` for usage.\n`);
  return EXIT.usage;
}

async function countFiles(dir: string): Promise<number> {
  return (await readdir(dir, { recursive: true }).catch(() => [])).length;
}

async function purge(argv: string[], io: CliIo): Promise<number> {
  let parsed: {
    values: { policy?: string; yes?: boolean; 'data-status'?: string };
    positionals: string[];
  };
  try {
    parsed = parseArgs({
      args: argv,
      options: { policy: { type: 'string' }, 'data-status': { type: 'string' }, yes: { type: 'boolean' } },
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
  const dataFile = parsed.values['data-status'] ?? io.env.RESULTGATE_DATA_STATUS;
  if (!inPolicy && files === 0 && (await upstreamPurge(tenant, dataFile, io))) {
    // Both halves done: say so, with what the result service removed where.
    io.stdout.write(`nothing of ${tenant} is left at the gateway (policy, logs)\n`);
    await resultServiceHalf(tenant, dataFile, io);
    return EXIT.ok;
  }
  if (!inPolicy && files === 0) {
    io.stderr.write(
      `resultgate tenants purge: no tenant "${tenant}" in ${file} and no logs in ${tenantLogs}\n`,
    );
    return EXIT.notFound;
  }
  const plan = [
    inPolicy ? `remove tenants.${tenant} from ${file}` : `(tenant ${tenant} is already gone from the policy)`,
    `delete ${files} file(s) under ${tenantLogs}`,
  ];
  if (!parsed.values.yes) {
    io.stdout.write(
      `Would:\n${plan.map((p) => `  - ${p}\n`).join('')}Run again with --yes to do it; then \`result-service purge ${tenant} --yes\` for the result service's data.\n`,
    );
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
  await resultServiceHalf(tenant, dataFile, io);
  return EXIT.ok;
}

/** The result service's latest purge record of a tenant, from its data-status file. */
async function upstreamPurge(tenant: string, file: string | undefined, io: CliIo) {
  if (!file) return undefined;
  let status: DataStatus;
  try {
    status = await readDataStatus(resolve(io.cwd, file));
  } catch (err) {
    io.stderr.write(`resultgate tenants purge: ${(err as Error).message}\n`);
    return undefined;
  }
  return status.purges?.filter((p) => p.tenant === tenant).at(-1);
}

/** Says whether the result service's half of the purge is done, and what it removed where. */
async function resultServiceHalf(tenant: string, file: string | undefined, io: CliIo): Promise<void> {
  const done = await upstreamPurge(tenant, file, io);
  if (!done) {
    io.stdout.write(
      `next: the result service's data — \`result-service purge ${tenant} --yes\` (destroys the tenant key, so its rows in every backup become unreadable; deletes its rows and outbox files)\n`,
    );
    return;
  }
  io.stdout.write(`done (result service, ${done.at}):\n`);
  for (const r of done.removed) io.stdout.write(`  ${r.where}: ${r.what} (${r.count})\n`);
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
