/**
 * `npm start`: the whole system on this machine. On first run it creates, under `var/`, a
 * development certificate, the session and identity keys, and `var/policy.json` (from
 * `examples/policy.json`, the demo passwords hashed afresh); then it starts the reference result
 * service and the gateway in front of it and prints where to go. Ctrl-C stops everything.
 * Delete `var/` to start over.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { seedDemo, startResultService, type TenantProfileInput } from '@resultgate/example-result-service';
import { hashPassword, loadPolicy, type PolicyInput, readKeyFile, startGateway } from '@resultgate/gateway';
import { devCertificate } from './dev-cert.js';

const VAR = 'var';
const POLICY = `${VAR}/policy.json`;

/** The demo accounts of examples/policy.json (demo only: change them before any real use). */
const DEMO_USERS: Record<string, Record<string, string>> = {
  'school-a': { admin: 'SchoolAdmin-2026', 'school-sync': 'SchoolSync-2026!' },
  'acme-hr': { admin: 'AcmeAdmin-2026', 'hr-sync': 'AcmeSync-2026!' },
};

async function firstRun(): Promise<void> {
  await mkdir(`${VAR}/tls`, { recursive: true });
  if (!existsSync(`${VAR}/tls/cert.pem`) || !existsSync(`${VAR}/tls/key.pem`)) {
    const { cert, key } = await devCertificate();
    await writeFile(`${VAR}/tls/cert.pem`, cert);
    await writeFile(`${VAR}/tls/key.pem`, key, { mode: 0o600 });
    console.log('created a development certificate for *.localhost in var/tls/');
  }
  if (existsSync(POLICY)) return;
  const policy = JSON.parse(await readFile('examples/policy.json', 'utf8')) as PolicyInput;
  policy.$schema = '../packages/gateway/policy.schema.json';
  for (const [tenantId, users] of Object.entries(DEMO_USERS)) {
    for (const [name, password] of Object.entries(users)) {
      const user = policy.tenants[tenantId]?.users?.[name];
      if (user) user.passwordHash = await hashPassword(password);
    }
  }
  await writeFile(POLICY, `${JSON.stringify(policy, null, 2)}\n`);
  console.log(
    `wrote ${POLICY} (edit it, or use \`npm run resultgate -- users …\`; the gateway reloads on SIGHUP)`,
  );
}

/** A copy-paste SDK call against the demo: every result of the tenant with its status. */
function sdkSnippet(baseUrl: string, username: string, password: string): string[] {
  return [
    "import { readFileSync } from 'node:fs';",
    "import { ResultClient } from '@resultgate/sdk';",
    "import { createNodeFetch, LOCALHOST_RESOLVE } from '@resultgate/sdk/node';",
    'const client = new ResultClient({',
    `  baseUrl: '${baseUrl}', username: '${username}', password: '${password}',`,
    "  fetch: createNodeFetch({ resolve: LOCALHOST_RESOLVE, ca: readFileSync('var/tls/cert.pem', 'utf8') }),",
    '});',
    'for await (const r of client.results.list()) console.log(r.externalId, r.status, r.title);',
  ].map((line) => `    ${line}`);
}

/** Who each demo tenant is to its recipients: the name and contact line on the pages and e-mails. */
const DEMO_PROFILES: Record<string, Omit<TenantProfileInput, 'publicUrl'>> = {
  'school-a': {
    name: { ja: 'A高等学校', en: 'School A' },
    contact: {
      ja: 'A高等学校 入試係（03-0000-0000、平日 9〜17 時）',
      en: 'Admissions office, School A (+81 3-0000-0000, weekdays 9:00–17:00 JST)',
    },
  },
  'acme-hr': {
    name: { ja: 'ACME人事部', en: 'ACME HR' },
    contact: {
      ja: 'ACME 人事部 採用担当（recruit@acme.example）',
      en: 'ACME HR recruiting (recruit@acme.example)',
    },
  },
};

await firstRun();
const policy = await loadPolicy(POLICY);
// E-mail links must be the address the gateway serves, port included (a dead link otherwise).
const publicPort = policy.server.https.port === 443 ? '' : `:${policy.server.https.port}`;
const profiles = Object.fromEntries(
  Object.entries(policy.tenants).map(([id, t]) => [
    id,
    { ...(DEMO_PROFILES[id] ?? { name: t.name ?? id }), publicUrl: `https://${t.hosts[0]}${publicPort}` },
  ]),
);
const [identitySecret] = await readKeyFile(policy.identity.secretFile);
const upstream = new URL(policy.server.upstream.url);
const service = await startResultService({
  dbFile: `${VAR}/results.db`,
  port: Number(upstream.port || 80),
  host: upstream.hostname,
  identitySecret: identitySecret!,
  tenants: profiles,
  // The HR demo (`npm run hr-system`, see examples/hr-system) receives acme-hr's status webhooks.
  webhooks: {
    'acme-hr': {
      url: 'http://127.0.0.1:4000/webhooks',
      secret: `whsec_${btoa('acme-hr-demo-webhook-secret-2026')}`,
    },
  },
});
// Logs go to policy.logs.dir (var/log); /.gateway/logs serves them to each tenant's admins.
const gateway = await startGateway({
  policyFile: POLICY,
  watch: true,
  onReload: (err) =>
    err === undefined
      ? console.log('policy reloaded')
      : console.error(`policy reload refused, the old policy keeps serving:\n${(err as Error).message}`),
});

const httpsPort = gateway.httpsPort === 443 ? '' : `:${gateway.httpsPort}`;
const lines = ['', 'resultgate is running — Ctrl-C stops everything.', ''];
for (const [id, tenant] of Object.entries(policy.tenants)) {
  const base = `https://${tenant.hosts[0]}${httpsPort}`;
  const users = DEMO_USERS[id] ?? {};
  lines.push(`  ${tenant.name ?? id}`);
  lines.push(`    recipients  ${base}/r`);
  for (const [name, password] of Object.entries(users)) {
    const roles = tenant.users[name]?.roles ?? [];
    if (roles.includes('admin')) lines.push(`    admin       ${base}/admin      login ${name} / ${password}`);
    if (roles.includes('integration'))
      lines.push(`    API (Basic) ${base}/api/v1/results  ${name} / ${password}`);
  }
  for (const demo of seedDemo(service, [id]).slice(0, 1)) {
    lines.push(`    a result    access code ${demo.accessCode}  PIN ${demo.pin}  (${demo.title})`);
  }
  lines.push('');
}
if (gateway.httpPort) lines.push(`  plain HTTP on :${gateway.httpPort} redirects to HTTPS`);
if (gateway.adminPort)
  lines.push(`  health and metrics: http://127.0.0.1:${gateway.adminPort}/healthz  /metrics`);
lines.push('  The certificate is self-signed (var/tls/cert.pem): accept it in the browser, or use curl -k.');
lines.push(`  e.g. curl -k https://school-a.localhost${httpsPort}/.gateway/notices`, '');
lines.push(
  '  SDK: paste into try.ts in this directory, then: npx tsx --conditions=source try.ts',
  ...sdkSnippet(
    `https://school-a.localhost${httpsPort}`,
    'school-sync',
    DEMO_USERS['school-a']!['school-sync']!,
  ),
  '',
);
console.log(lines.join('\n'));

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log('stopping…');
  await gateway.close();
  await service.close();
  process.exit(0);
}
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
process.on('SIGHUP', () => void gateway.reload().catch(() => {}));
