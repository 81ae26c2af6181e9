/**
 * Runs the result service alone: `npm start -w @resultgate/example-result-service [-- --config FILE]`.
 *
 * Configuration (config.ts): a JSON file from `--config FILE` or `RESULT_SERVICE_CONFIG` — listening
 * address, public base URL, database, identity key file, SMTP, and per tenant its status webhook
 * and notify webhook (URL and secret or secret file) — overridden by the environment: `HOST`,
 * `PORT` (127.0.0.1:3000), `PUBLIC_BASE_URL`, `RESULTS_DB` (var/results.db), `IDENTITY_SECRET_FILE`
 * (var/identity.key — the gateway's `identity.secretFile`; created with a random key when
 * missing), `SMTP_URL` + `MAIL_FROM` (else the file outbox `var/outbox`), `WEBHOOK_URL` +
 * `WEBHOOK_SECRET` or `WEBHOOK_SECRET_FILE` + `WEBHOOK_TENANTS`; `DEMO_TENANTS` (comma-separated
 * tenants to seed demo results for).
 * Encryption at rest and the daily backup, from the environment only: `RESULTS_MASTER_KEY`
 * (base64url of 32 bytes) or `RESULTS_MASTER_KEY_FILE` (default `<db dir>/master.key`, created on
 * first run); `RESULTS_BACKUP_DIR` (default `<db dir>/backups`), `RESULTS_BACKUP_AT` (HH:MM UTC,
 * default 18:00; `off` for none), `RESULTS_BACKUP_RETENTION_DAYS` (14).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadServiceConfig } from './config.js';
import { seedDemo } from './seed.js';
import { startResultService } from './service.js';

const HELP = `Usage: result-service [--config FILE]

Runs the reference result service (only requests signed by the gateway are served).

  --config FILE   JSON configuration (also RESULT_SERVICE_CONFIG); see the README
  -h, --help      this text

Environment (overrides the file): HOST, PORT, PUBLIC_BASE_URL, RESULTS_DB, IDENTITY_SECRET_FILE,
SMTP_URL, MAIL_FROM, WEBHOOK_URL, WEBHOOK_SECRET | WEBHOOK_SECRET_FILE, WEBHOOK_TENANTS, DEMO_TENANTS;
encryption and backups (environment only): RESULTS_MASTER_KEY | RESULTS_MASTER_KEY_FILE,
RESULTS_BACKUP_DIR, RESULTS_BACKUP_AT (HH:MM UTC, or off), RESULTS_BACKUP_RETENTION_DAYS.
Backups, restores, keys and purges: npm run result-service -- --help
`;

// Same format as the gateway's key files: one key a line, newest first; the UTF-8 bytes are the key.
function loadSecret(file: string): Buffer {
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
    console.log(`created a new identity key in ${file}`);
  }
  const first = readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l !== '' && !l.startsWith('#'));
  if (!first) throw new Error(`${file}: no key in the file`);
  return Buffer.from(first);
}

const env = process.env;
const { values } = parseArgs({
  options: { config: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
});
if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
let config: ReturnType<typeof loadServiceConfig>;
try {
  config = loadServiceConfig(values.config ?? env.RESULT_SERVICE_CONFIG, env);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(err.message);
  process.exit(2);
}
const service = await startResultService({
  port: config.port,
  host: config.host,
  dbFile: config.dbFile,
  identitySecret: loadSecret(config.identitySecretFile),
  ...(config.outboxDir ? { outboxDir: config.outboxDir } : {}),
  ...(config.smtp ? { smtp: config.smtp } : {}),
  ...(config.publicBaseUrl ? { publicBaseUrl: config.publicBaseUrl } : {}),
  recipientUrls: config.recipientUrls,
  tenants: config.tenants,
  webhooks: config.webhooks,
  notifyWebhooks: config.notifyWebhooks,
  encryption: {
    ...(env.RESULTS_MASTER_KEY ? { masterKey: env.RESULTS_MASTER_KEY } : {}),
    ...(env.RESULTS_MASTER_KEY_FILE ? { masterKeyFile: env.RESULTS_MASTER_KEY_FILE } : {}),
  },
  backup:
    env.RESULTS_BACKUP_AT === 'off'
      ? false
      : {
          ...(env.RESULTS_BACKUP_DIR ? { dir: env.RESULTS_BACKUP_DIR } : {}),
          ...(env.RESULTS_BACKUP_AT ? { at: env.RESULTS_BACKUP_AT } : {}),
          ...(env.RESULTS_BACKUP_RETENTION_DAYS
            ? { retentionDays: Number(env.RESULTS_BACKUP_RETENTION_DAYS) }
            : {}),
        },
});
console.log(`result service listening on ${service.url} (only requests signed by the gateway are served)`);
const hooked = Object.keys(config.webhooks);
if (hooked.length > 0) console.log(`  status webhooks for ${hooked.join(', ')}`);
const tenants = (env.DEMO_TENANTS ?? '').split(',').filter(Boolean);
for (const demo of seedDemo(service, tenants)) {
  console.log(
    `  ${demo.tenant} ${demo.externalId} (${demo.status}): access code ${demo.accessCode}  PIN ${demo.pin}`,
  );
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void service.close().then(() => process.exit(0));
  });
}
