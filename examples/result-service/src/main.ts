/**
 * Runs the result service alone: `npm start -w @resultgate/example-result-service`.
 *
 * Environment: `PORT` (3000), `HOST` (127.0.0.1), `RESULTS_DB` (var/results.db),
 * `IDENTITY_SECRET_FILE` (var/identity.key — the gateway's `identity.secretFile`; created with a
 * random key when missing), `SMTP_URL` + `MAIL_FROM` (else the file outbox `var/outbox`),
 * `DEMO_TENANTS` (comma-separated tenants to seed demo results for).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { seedDemo } from './seed.js';
import { startResultService } from './service.js';

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
const service = await startResultService({
  port: Number(env.PORT ?? 3000),
  host: env.HOST ?? '127.0.0.1',
  dbFile: env.RESULTS_DB ?? 'var/results.db',
  identitySecret: loadSecret(env.IDENTITY_SECRET_FILE ?? 'var/identity.key'),
  ...(env.SMTP_URL ? { smtp: { transport: env.SMTP_URL, from: env.MAIL_FROM ?? 'results@localhost' } } : {}),
});
console.log(`result service listening on ${service.url} (only requests signed by the gateway are served)`);
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
