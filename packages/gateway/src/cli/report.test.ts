import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TEST_HASH, validPolicy } from '../testing/policy-fixture.js';
import { runCliInProcess } from '../testing/run-cli.js';
import { main } from './main.js';

let root: string;

/** Runs the CLI in-process in the test's directory, with captured output. */
const run = (argv: string[]) => runCliInProcess(main, argv, root);

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'rg-report-'));
  const policy = validPolicy();
  policy.server.http = { port: 8080 };
  policy.tenants['school-a'].zones.splice(1, 0, {
    name: 'api',
    path: '/api',
    auth: 'basic',
    roles: ['integration'],
  });
  policy.tenants['school-a'].users['hr-sync'] = { passwordHash: TEST_HASH, roles: ['integration'] };
  policy.tenants['school-a'].maintenance = [
    { start: '2026-12-01T01:00:00Z', end: '2026-12-01T03:00:00Z', announced: '2026-11-20T00:00:00Z' },
  ];
  policy.tenants['company-b'] = {
    hosts: ['company-b.localhost'],
    passwordPolicy: { minLength: 6 },
    zones: [{ name: 'all', path: '/', auth: 'none' }],
    maintenance: [
      { start: '2026-12-01T01:00:00Z', end: '2026-12-01T03:00:00Z', announced: '2026-11-28T00:00:00Z' },
    ],
  };
  await writeFile(join(root, 'policy.json'), JSON.stringify(policy));
});
afterEach(() => rm(root, { recursive: true, force: true }));

describe('resultgate report', () => {
  it('lists each promise per tenant with the value that enforces it', async () => {
    const { code, out } = await run(['report']);
    expect(code).toBe(0);
    const lines = out.split('\n');
    expect(lines).toContain('## school-a');
    expect(lines).toContain('| IP address restriction | enforced | zone admin (/admin): 203.0.113.0/24 |');
    expect(lines).toContain(
      '| Idle timeout per zone | enforced | admin (/admin): 1h idle, 12h max; api: Basic auth, no session (credentials on every request); no limit on recipient (auth: none) |',
    );
    expect(lines).toContain(
      '| Access log retention | enforced | access and audit logs per tenant in var/log/<tenant>, kept 30 days |',
    );
    expect(lines).toContain(
      '| Account lockout | enforced | 5 failures within 15m lock the user and the address for 15m |',
    );
    expect(lines).toContain(
      '| Maintenance notice at least 7 days ahead | enforced | 2026-12-01T01:00:00Z to 2026-12-01T03:00:00Z announced 11.0 days ahead; listed at /.gateway/notices |',
    );
    expect(out).toContain(
      '| TLS only and HSTS | enforced | HTTPS :8443; plain HTTP :8080 only redirects (308)',
    );
  });

  it('says "not enforced" or "weak" where the policy leaves a promise off', async () => {
    const { out } = await run(['report', '--format', 'json']);
    const b = JSON.parse(out).tenants.find((t: { tenant: string }) => t.tenant === 'company-b');
    const status = Object.fromEntries(b.items.map((i: { id: string; status: string }) => [i.id, i.status]));
    expect(status).toMatchObject({
      ip: 'not enforced',
      auth: 'not enforced',
      idle: 'not enforced',
      password: 'weak',
      roles: 'not enforced',
      maintenance: 'not enforced',
      isolation: 'enforced',
      audit: 'enforced',
    });
    expect(b.items.find((i: { id: string }) => i.id === 'ip').value).toBe(
      'no ipAllow on the tenant or any zone',
    );
  });

  it('takes backup, encryption and deletion evidence from the data-status file', async () => {
    const none = JSON.parse((await run(['report', '--format', 'json'])).out).tenants[0].items;
    type Item = { id: string; status: string; value: string };
    const byId = (items: Item[]): Record<string, Item> => Object.fromEntries(items.map((i) => [i.id, i]));
    expect(byId(none).backup).toMatchObject({
      status: 'not enforced',
      value: expect.stringContaining('--data-status'),
    });
    const now = Date.now();
    const status = {
      version: 1,
      updatedAt: new Date(now).toISOString(),
      backup: {
        dir: '/srv/backups',
        dailyAt: '18:00',
        retentionDays: 14,
        last: {
          file: '/srv/backups/b.db',
          at: new Date(now - 3_600_000).toISOString(),
          bytes: 4096,
          sha256: 'ab'.repeat(32),
        },
        lastError: null,
      },
      encryption: {
        enabled: true,
        algorithm: 'AES-256-GCM',
        masterKeyId: '0123456789abcdef',
        rotatedAt: null,
        keyring: 'k',
      },
      purges: [
        {
          tenant: 'old-co',
          at: '2026-11-01T00:00:00.000Z',
          keyId: 'fedcba9876543210',
          removed: [{ where: 'database table results', what: 'rows deleted', count: 7 }],
        },
      ],
    };
    await writeFile(join(root, 'data-status.json'), JSON.stringify(status));
    // A backup but no restore check: weak.
    const weak = byId(
      JSON.parse((await run(['report', '--format', 'json', '--data-status', 'data-status.json'])).out)
        .tenants[0].items,
    );
    expect(weak.backup).toMatchObject({
      status: 'weak',
      value: expect.stringContaining('no restore check yet'),
    });
    expect(weak.encryption).toMatchObject({
      status: 'enforced',
      value: expect.stringContaining('master key 0123456789abcdef, rotated never'),
    });
    expect(weak.deletion?.value).toMatch(
      /purges done: old-co 2026-11-01T00:00:00.000Z \(key fedcba9876543210 destroyed, 7 rows deleted\)$/,
    );
    // With a passed restore check of a fresh backup: enforced; a two-day-old backup: weak again.
    const verified = {
      lastVerified: { file: 'b.db', at: new Date(now).toISOString(), ok: true, summary: 'ok' },
      lastRestored: null,
    };
    await writeFile(join(root, 'data-status.json'), JSON.stringify({ ...status, restore: verified }));
    const md = (await run(['report', '--data-status', 'data-status.json'])).out;
    expect(md).toMatch(
      /^\| Daily backups, checked by restore \| enforced \| daily at 18:00 UTC, kept 14 days; last backup /m,
    );
    status.backup.last.at = new Date(now - 2 * 86_400_000).toISOString();
    await writeFile(join(root, 'data-status.json'), JSON.stringify({ ...status, restore: verified }));
    const stale = byId(
      JSON.parse((await run(['report', '--format', 'json', '--data-status', 'data-status.json'])).out)
        .tenants[0].items,
    );
    expect(stale.backup?.status).toBe('weak');
    await writeFile(join(root, 'bad.json'), '{"version":1}');
    const bad = await run(['report', '--data-status', 'bad.json']);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('not a result-service data-status file');
  });

  it('exits 1 on an invalid policy and 2 on a bad format', async () => {
    expect((await run(['report', '--policy', 'missing.json'])).code).toBe(1);
    expect((await run(['report', '--format', 'pdf'])).code).toBe(2);
  });
});
