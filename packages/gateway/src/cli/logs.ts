/**
 * `resultgate logs verify DIR` — checks the audit hash chains; `resultgate logs export` — one
 * tenant's lines for a date range, as JSON lines or CSV.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  csvHeader,
  csvRow,
  exportLines,
  GATEWAY_TENANT,
  isTenantDirName,
  type LogKind,
  parseRange,
  verifyAuditDir,
} from '../logs/index.js';
import { loadPolicyFile, PolicyError } from '../policy/load.js';
import { type CliCommand, type CliIo, EXIT, fail, policyPath } from './command.js';

const HELP = `Usage:
  resultgate logs verify DIR
  resultgate logs export --tenant T [--from D] [--to D] [--kind access|audit] [--format jsonl|csv]
                         [--policy FILE]

verify   Checks the tamper-evident audit chain of a tenant's log directory, or of every tenant
         under a logs root (e.g. var/log). Each audit line carries seq, prev and hash (SHA-256 of
         the previous hash and the line); audit-head.json records the last line written and
         audit-anchor.json where retention cut the oldest days. The first edited, removed,
         inserted or reordered line, or a cut head, is named as FILE:LINE and the exit code is 1.
         Limits: the hashes have no key, so someone able to rewrite every line AND the head file
         can forge a consistent chain; copy the logs elsewhere (logs.stdout to a collector) for
         evidence that survives a compromised host.

export   Prints one tenant's lines (default: access, today) from the policy's logs.dir.
         --from/--to take a date (2026-11-28, a whole UTC day) or an ISO date-time.
         jsonl keeps each stored line as is (exported audit lines still verify); csv has a header
         row and defuses spreadsheet formulas.

         The tenant must be in the policy (or be _gateway, the lines of no tenant).

Exit codes:
  0  verify: every chain intact; export: lines printed
  1  verify: a chain is broken, or there is no audit log to verify; the policy is invalid
  2  usage error
  3  export: no such tenant in the policy
  4  export: no line in the range (nothing printed, not even a CSV header)
`;

function usage(message: string, io: CliIo): number {
  io.stderr.write(`resultgate logs: ${message}\nRun \`resultgate logs --help\` for usage.\n`);
  return EXIT.usage;
}

async function verify(args: string[], io: CliIo): Promise<number> {
  if (args.length !== 1) return usage('verify takes one directory', io);
  const dir = resolve(io.cwd, args[0]!);
  const result = await verifyAuditDir(dir);
  if (result.tenants.length === 0) {
    io.stderr.write(`resultgate logs verify: no audit log found in ${args[0]}\n`);
    return EXIT.failed;
  }
  for (const t of result.tenants) {
    if (t.ok) io.stdout.write(`ok   ${t.tenant}: ${t.lines} audit line(s), chain intact\n`);
    else io.stdout.write(`FAIL ${t.error!.where}: ${t.error!.message}\n`);
    for (const note of t.notes) io.stdout.write(`     note: ${note}\n`);
  }
  return result.ok ? EXIT.ok : EXIT.failed;
}

async function exportCommand(args: string[], io: CliIo): Promise<number> {
  let values: Record<string, string | undefined>;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        tenant: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        kind: { type: 'string', default: 'access' },
        format: { type: 'string', default: 'jsonl' },
        policy: { type: 'string' },
      },
      strict: true,
    }));
  } catch (err) {
    return usage((err as Error).message, io);
  }
  if (!values.tenant) return usage('export needs --tenant T', io);
  if (!isTenantDirName(values.tenant)) return usage(`not a tenant id: ${values.tenant}`, io);
  const kind = values.kind as LogKind;
  if (kind !== 'access' && kind !== 'audit') return usage('--kind is access or audit', io);
  if (values.format !== 'jsonl' && values.format !== 'csv') return usage('--format is jsonl or csv', io);
  const range = parseRange(values.from, values.to, Date.now());
  if (typeof range === 'string') return usage(range, io);
  let dir: string;
  const file = policyPath(values.policy, io);
  try {
    const policy = await loadPolicyFile(resolve(io.cwd, file));
    if (!(values.tenant in policy.tenants) && values.tenant !== GATEWAY_TENANT) {
      return fail('logs export', `no tenant "${values.tenant}" in ${file}`, io, EXIT.notFound);
    }
    dir = resolve(io.cwd, policy.logs.dir);
  } catch (err) {
    io.stderr.write(`resultgate logs export: ${err instanceof PolicyError ? err.message : String(err)}\n`);
    return EXIT.failed;
  }
  const csv = values.format === 'csv';
  let lines = 0;
  for await (const line of exportLines(dir, values.tenant, kind, range)) {
    if (lines++ === 0 && csv) io.stdout.write(csvHeader(kind));
    const ok = io.stdout.write(csv ? csvRow(kind, line) : `${line}\n`);
    if (!ok) await new Promise((r) => io.stdout.once('drain', r));
  }
  if (lines === 0) {
    const span = `${new Date(range.fromMs).toISOString()} to ${new Date(range.toMs).toISOString()}`;
    return fail('logs export', `no ${kind} lines of tenant ${values.tenant} from ${span}`, io, EXIT.empty);
  }
  return EXIT.ok;
}

export const command: CliCommand = {
  name: 'logs',
  summary: "verify the audit chain (logs verify DIR) or export a tenant's logs",
  help: HELP,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (sub === 'verify') return verify(rest, io);
    if (sub === 'export') return exportCommand(rest, io);
    return usage(sub ? `unknown subcommand "${sub}"` : 'verify or export?', io);
  },
};
