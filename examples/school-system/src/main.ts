/**
 * The school system: reads a CSV of exam results, sends them with `sendMany` (resumable report),
 * waits until they are published and prints a table of statuses.
 * Run against `npm start`: npm start -w @resultgate/example-school-system -- --help
 */
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { isResultGateError, type SendManyReport } from '@resultgate/sdk';
import { connect } from './connect.js';
import { csvToResults } from './csv.js';
import { formatTable, statusRows, waitUntilPublished } from './publish.js';

const HELP = `school-system — send exam results from a CSV through resultgate

Usage: npm start -w @resultgate/example-school-system -- [options]

Options:
  --csv FILE         CSV of results (default: the sample in examples/school-system/data/)
                     columns: externalId,recipientId,name,email,title,outcome,score,publishAt
  --base-url URL     the tenant's gateway (default: https://school-a.localhost:8443)
  --username NAME    integration user (default: school-sync)
  --password PW      its password (default: $SCHOOL_SYNC_PASSWORD, else the demo's)
  --ca FILE          extra CA certificate (default: var/tls/cert.pem, made by npm start)
  --report FILE      sendMany report; an existing one is resumed (default: var/school-report.json)
  --wait SECONDS     how long to wait for publication (default: 60)
  --dry-run          validate only, store nothing
  -h, --help         this text

Run from the repository root while \`npm start\` runs (relative paths are taken from there).`;

// `npm start -w …` runs in the workspace folder: relative paths are taken from where npm was invoked.
const fromCwd = (p: string) => resolve(process.env.INIT_CWD ?? process.cwd(), p);
const SAMPLE = fileURLToPath(new URL('../data/results.csv', import.meta.url));

const { values } = parseArgs({
  options: {
    csv: { type: 'string', default: SAMPLE },
    'base-url': { type: 'string', default: 'https://school-a.localhost:8443' },
    username: { type: 'string', default: 'school-sync' },
    password: { type: 'string', default: process.env.SCHOOL_SYNC_PASSWORD ?? 'SchoolSync-2026!' },
    ca: { type: 'string', default: 'var/tls/cert.pem' },
    report: { type: 'string', default: 'var/school-report.json' },
    wait: { type: 'string', default: '60' },
    'dry-run': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  console.log(HELP);
  process.exit(0);
}

const client = connect({
  baseUrl: values['base-url'],
  username: values.username,
  password: values.password,
  caFile: fromCwd(values.ca),
});
const items = csvToResults(await readFile(fromCwd(values.csv), 'utf8'));
const dryRun = values['dry-run'];
const reportFile = dryRun ? undefined : fromCwd(values.report);
const previous = reportFile
  ? await readFile(reportFile, 'utf8').then(
      (t) => JSON.parse(t) as SendManyReport,
      () => undefined,
    )
  : undefined;
console.log(`${items.length} results from ${values.csv}${previous ? `, resuming ${reportFile}` : ''}`);

try {
  const report = await client.results.sendMany(items, {
    chunkSize: 100,
    dryRun,
    resumeFrom: previous,
    onProgress: async (r) => {
      if (reportFile) await writeFile(reportFile, `${JSON.stringify(r, null, 2)}\n`, { mode: 0o600 });
    },
  });
  const { accepted, duplicate, rejected, failed, resumed } = report.counts;
  console.log(
    `sent: ${accepted} accepted, ${duplicate} already there, ${rejected} rejected, ${failed} failed, ${resumed} from the report`,
  );
  for (const item of report.items.filter((i) => i.outcome === 'rejected')) {
    console.log(
      `  rejected ${item.externalId}: ${item.issues?.map((i) => `${i.path} ${i.message}`).join('; ') ?? item.reason}`,
    );
  }
  if (report.aborted) {
    console.error(`stopped: ${report.aborted.code} — ${report.aborted.message}`);
    process.exitCode = 1;
  }
  if (!dryRun) {
    const ids = report.items.flatMap((i) => (i.id ? [i.id] : []));
    const results = await waitUntilPublished(client, ids, {
      timeoutMs: Number(values.wait) * 1000,
      onPoll: (pending) => pending && console.log(`waiting for ${pending} to be published…`),
    });
    console.log(`\n${formatTable(statusRows(report, results))}`);
    if (reportFile) console.log(`\nreport (with access codes and PINs for the letters): ${reportFile}`);
  }
} catch (err) {
  if (!isResultGateError(err)) throw err;
  console.error(`${err.name}: ${err.message}${err.requestId ? ` [request ${err.requestId}]` : ''}`);
  const d = await client.diagnose();
  console.error('diagnosis:', JSON.stringify(d, null, 2));
  process.exitCode = 1;
}
