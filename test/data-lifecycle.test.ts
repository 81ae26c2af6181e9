/**
 * End-to-end: the data lifecycle of issue #20 with the real processes and CLIs — the result
 * service behind the real gateway over TLS takes results for two tenants; `result-service backup
 * now` (a second process) backs the live database up while it serves; the two-step purge
 * (`resultgate tenants purge`, then `result-service purge`) removes one tenant; the old backup's
 * rows of that tenant cannot be decrypted any more while the other tenant's still open; and
 * `resultgate report --data-status` shows the backup, encryption and deletion evidence.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type RunningResultService, startResultService } from '@resultgate/example-result-service';
import type { PolicyInput } from '@resultgate/gateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, cheapHash, httpsRequest, startTestGateway, type TestGateway } from './helpers/index.js';

const GATEWAY_CLI = fileURLToPath(new URL('../packages/gateway/src/cli/main.ts', import.meta.url));
const SERVICE_CLI = fileURLToPath(new URL('../examples/result-service/src/bin.ts', import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** Runs a CLI as its own process (Node 24 + tsx), bounded to 60 s. */
function cli(main: string, args: string[], env: Record<string, string>) {
  return new Promise<{ code: number | null; out: string; err: string }>((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=source', '--import', TSX, main, ...args], {
      cwd: dir,
      env: { ...process.env, ...env, INIT_CWD: dir },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

const tenant = (host: string): PolicyInput['tenants'][string] => ({
  hosts: [host],
  users: { sync: { passwordHash: cheapHash('Sync-Password-1'), roles: ['integration'] } },
  zones: [
    { name: 'api', path: '/api', auth: 'basic', roles: ['integration'] },
    { name: 'recipient', path: '/r', auth: 'none' },
  ],
});

let dir: string;
let dbFile: string;
let service: RunningResultService;
let gw: TestGateway;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'data-lifecycle-e2e-'));
  dbFile = join(dir, 'data', 'results.db');
  const identitySecret = new Uint8Array(randomBytes(32));
  service = await startResultService({
    port: 0,
    dbFile,
    outboxDir: join(dir, 'data', 'outbox'),
    identitySecret,
    schedulerIntervalMs: 200,
  });
  gw = await startTestGateway({
    upstream: service.url,
    tenants: { 'school-a': tenant('school-a.localhost'), 'acme-hr': tenant('acme-hr.localhost') },
    deps: { identitySecret },
  });
});

afterAll(async () => {
  await gw?.close();
  await service?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function send(host: string, externalId: string) {
  return httpsRequest({
    port: gw.httpsPort,
    host,
    method: 'POST',
    path: '/api/v1/results',
    headers: { authorization: basic('sync', 'Sync-Password-1'), 'content-type': 'application/json' },
    body: JSON.stringify({
      externalId,
      recipient: {
        id: `R-${externalId}`,
        name: `Recipient ${externalId}`,
        email: `${externalId}@example.com`,
      },
      title: 'Selection result',
      outcome: `Outcome of ${externalId}`,
      details: {},
    }),
  });
}

describe('data lifecycle', () => {
  it('backs up while serving, purges one tenant in two steps, and the old backup cannot reveal it', async () => {
    const codes: Record<string, { accessCode: string; pin: string }> = {};
    for (const [host, t] of [
      ['school-a.localhost', 'school-a'],
      ['acme-hr.localhost', 'acme-hr'],
    ] as const) {
      for (let i = 1; i <= 3; i++) {
        const res = await send(host, `${t}-${i}`);
        expect(res.status).toBe(201);
        codes[`${t}-${i}`] = res.json();
      }
    }
    const env = { RESULTS_DB: dbFile };
    const statusFile = join(dir, 'data', 'data-status.json');

    // 1. An online backup by a second process while the service serves.
    const backup = await cli(SERVICE_CLI, ['backup', 'now'], env);
    expect(backup.err).toBe('');
    expect(backup.code).toBe(0);
    expect(backup.out).toMatch(/^backup written: data\/backups\/results-\d{8}T\d{9}Z\.db$/m);
    expect(backup.out).toContain('results per tenant: acme-hr 3, school-a 3');
    const file = /^backup written: (\S+)$/m.exec(backup.out)![1]!;
    const verified = await cli(SERVICE_CLI, ['restore', '--verify', file], env);
    expect(verified.code).toBe(0);
    expect(verified.out).toContain('  tenant acme-hr: 3 of 3 rows open');

    // 2. Step 1 of the purge: the gateway's half; it names step 2.
    const gatewayPurge = await cli(
      GATEWAY_CLI,
      ['tenants', 'purge', 'acme-hr', '--yes', '--policy', gw.policyFile, '--data-status', statusFile],
      {},
    );
    expect(gatewayPurge.code).toBe(0);
    expect(gatewayPurge.out).toContain(
      "next: the result service's data — `result-service purge acme-hr --yes`",
    );

    // 3. Step 2: the result service's half, beside the running service.
    const servicePurge = await cli(SERVICE_CLI, ['purge', 'acme-hr', '--yes'], env);
    expect(servicePurge.err).toBe('');
    expect(servicePurge.code).toBe(0);
    expect(servicePurge.out).toMatch(/^ {2}data\/keyring\.json: tenant key [0-9a-f]{16} destroyed \(1\)$/m);
    expect(servicePurge.out).toContain('  database table results: rows deleted (3)');
    expect(servicePurge.out).toMatch(
      /^ {2}1 backup\(s\) in data\/backups: rows sealed with key [0-9a-f]{16}: unreadable/m,
    );

    // Re-running step 1 now lists what step 2 removed where.
    const again = await cli(
      GATEWAY_CLI,
      ['tenants', 'purge', 'acme-hr', '--policy', gw.policyFile, '--data-status', statusFile],
      {},
    );
    expect(again.code).toBe(0);
    expect(again.out).toContain(
      'nothing of acme-hr is left at the gateway (policy, logs)\ndone (result service, ',
    );
    expect(again.out).toContain('  database table results: rows deleted (3)\n');

    // The other tenant is served as before, through the gateway.
    const posted = await httpsRequest({
      port: gw.httpsPort,
      host: 'school-a.localhost',
      method: 'POST',
      path: '/r',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        code: codes['school-a-2']!.accessCode,
        pin: codes['school-a-2']!.pin,
      }).toString(),
    });
    // Post/redirect/get (#18): the result is shown at /r/result with the view cookie.
    expect(posted.status).toBe(303);
    const cookie = (posted.headers['set-cookie'] ?? []).map((c) => c.split(';')[0] ?? '').join('; ');
    const open = await httpsRequest({
      port: gw.httpsPort,
      host: 'school-a.localhost',
      path: String(posted.headers.location),
      headers: { cookie },
    });
    expect(open.status).toBe(200);
    expect(open.body).toContain('Outcome of school-a-2');

    // 4. The old backup: acme-hr's rows no longer decrypt; school-a's do; the check still passes.
    const after = await cli(SERVICE_CLI, ['restore', '--verify', file], env);
    expect(after.code).toBe(0);
    expect(after.out).toMatch(/^ {2}tenant acme-hr: 3 of 3 rows cannot be decrypted \(key destroyed \S+\)$/m);
    expect(after.out).toContain('  tenant school-a: 3 of 3 rows open');
    // Not even the raw backup file holds acme-hr's personal data in clear.
    const raw = readFileSync(join(dir, file));
    for (const needle of ['Recipient acme-hr-1', 'acme-hr-1@example.com', 'Outcome of acme-hr-1']) {
      expect(raw.includes(Buffer.from(needle))).toBe(false);
    }

    // 5. The checklist report with the evidence.
    const report = await cli(
      GATEWAY_CLI,
      ['report', '--policy', gw.policyFile, '--data-status', statusFile, '--format', 'json'],
      {},
    );
    expect(report.code).toBe(0);
    const tenants = JSON.parse(report.out).tenants as {
      tenant: string;
      items: { id: string; status: string; value: string }[];
    }[];
    expect(tenants.map((t) => t.tenant)).toEqual(['school-a']);
    const items = Object.fromEntries(tenants[0]!.items.map((i) => [i.id, i]));
    expect(items.backup?.status).toBe('enforced');
    expect(items.backup?.value).toMatch(
      /^daily at 18:00 UTC, kept 14 days; last backup \S+ \(\d+ bytes, sha256 [0-9a-f]{12}…\); last restore check \S+: passed/,
    );
    expect(items.encryption?.status).toBe('enforced');
    expect(items.deletion?.value).toMatch(
      /purges done: acme-hr \S+ \(key [0-9a-f]{16} destroyed, \d+ rows deleted\)$/,
    );
  }, 180_000);
});
