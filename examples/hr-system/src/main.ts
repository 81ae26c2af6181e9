/**
 * The HR system: sends selection results, receives the status webhooks on a small local endpoint
 * and prints who has viewed theirs. Run against `npm start`:
 *   npm start -w @resultgate/example-hr-system -- --help
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { isResultGateError, type ResultInput } from '@resultgate/sdk';
import { connect } from './connect.js';
import { startReceiver } from './receiver.js';

/** The demo's webhook secret (configure the same one for the tenant in the result service). */
export const DEMO_WEBHOOK_SECRET = `whsec_${btoa('acme-hr-demo-webhook-secret-2026')}`;

const HELP = `hr-system — send selection results and watch who views them

Usage: npm start -w @resultgate/example-hr-system -- [options]

Options:
  --base-url URL     the tenant's gateway (default: https://acme-hr.localhost:8443)
  --username NAME    integration user (default: hr-sync)
  --password PW      its password (default: $HR_SYNC_PASSWORD, else the demo's)
  --ca FILE          extra CA certificate (default: var/tls/cert.pem, made by npm start)
  --count N          candidates to send (default: 3); ids are stable, so a re-run sends nothing twice
  --port N           local webhook endpoint http://127.0.0.1:N/webhooks (default: 4000)
  --secret WHSEC     webhook secret (default: $HR_WEBHOOK_SECRET, else the demo's)
  --watch SECONDS    how long to watch for views (default: 120; ends early once all viewed)
  -h, --help         this text

The service posts status webhooks to the endpoint when the tenant's webhook URL points at it;
without that, views are still found by polling the Result API every 5 s.
Open a result at <base-url>/r with the access code and PIN printed below to see it marked viewed.`;

const { values } = parseArgs({
  options: {
    'base-url': { type: 'string', default: 'https://acme-hr.localhost:8443' },
    username: { type: 'string', default: 'hr-sync' },
    password: { type: 'string', default: process.env.HR_SYNC_PASSWORD ?? 'AcmeSync-2026!' },
    ca: { type: 'string', default: 'var/tls/cert.pem' },
    count: { type: 'string', default: '3' },
    port: { type: 'string', default: '4000' },
    secret: { type: 'string', default: process.env.HR_WEBHOOK_SECRET ?? DEMO_WEBHOOK_SECRET },
    watch: { type: 'string', default: '120' },
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
  caFile: resolve(process.env.INIT_CWD ?? process.cwd(), values.ca),
});
const candidates: ResultInput[] = Array.from({ length: Number(values.count) }, (_, i) => {
  const n = String(i + 1).padStart(4, '0');
  return {
    externalId: `sel-2027-${n}`,
    recipient: { id: `C-${n}` },
    title: '2027年度 新卒採用 最終選考 / Final selection',
    outcome: i % 2 === 0 ? '内定 / Offer' : '見送り / Not selected',
  };
});
const mine = new Map(candidates.map((c) => [c.externalId, c.recipient.id]));
const viewed = new Map<string, string>();
const markViewed = (externalId: string, at: string, via: string) => {
  if (!mine.has(externalId) || viewed.has(externalId)) return;
  viewed.set(externalId, at);
  console.log(`viewed: ${mine.get(externalId)} (${externalId}) at ${at} [${via}]`);
};

const rx = await startReceiver({
  secret: values.secret,
  port: Number(values.port),
  onEvent: (e) => {
    console.log(`webhook: ${e.type} ${e.data.externalId}`);
    if (e.data.status === 'viewed') markViewed(e.data.externalId, e.data.at, 'webhook');
  },
  onRejected: (reason) => console.warn(`webhook refused: ${reason}`),
});
console.log(`webhook endpoint: ${rx.url}`);

let poller: ReturnType<typeof setInterval> | undefined;
try {
  const report = await client.results.sendMany(candidates);
  for (const item of report.items) {
    const code = item.accessCode ? `  access code ${item.accessCode}  PIN ${item.pin}` : '';
    console.log(`${item.outcome.padEnd(9)} ${item.externalId}${code}`);
  }
  if (report.aborted) throw new Error(`stopped: ${report.aborted.code} — ${report.aborted.message}`);
  console.log(`recipients open their result at ${new URL('/r', values['base-url'])}`);

  const poll = async () => {
    for await (const r of client.results.list({ status: 'viewed' })) {
      if (r.viewedAt) markViewed(r.externalId, r.viewedAt, 'poll');
    }
  };
  await poll();
  const deadline = Date.now() + Number(values.watch) * 1000;
  await new Promise<void>((resolve) => {
    poller = setInterval(() => {
      if (viewed.size === mine.size || Date.now() >= deadline) resolve();
      else poll().catch((err: Error) => console.warn(`poll failed: ${err.message}`));
    }, 5_000);
    if (viewed.size === mine.size) resolve();
  });
  console.log('\nwho has viewed their result:');
  for (const [externalId, candidate] of mine) {
    console.log(`  ${candidate}  ${externalId}  ${viewed.get(externalId) ?? '-'}`);
  }
} catch (err) {
  if (!isResultGateError(err)) throw err;
  console.error(`${err.name}: ${err.message}${err.requestId ? ` [request ${err.requestId}]` : ''}`);
  console.error('diagnosis:', JSON.stringify(await client.diagnose(), null, 2));
  process.exitCode = 1;
} finally {
  clearInterval(poller);
  await rx.close();
}
