import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memoryDeps } from '../create-deps.js';
import { verifyPassword } from '../credentials/password.js';
import { validPolicy } from '../testing/policy-fixture.js';
import { upgradeLegacyHash } from './upgrade.js';

const APR1 = '$apr1$12345678$0lqb/6VUFP8JY/s/jTrIk0'; // "secret"
let dir: string;
let file: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rg-upgrade-'));
  file = join(dir, 'policy.json');
  const p = validPolicy();
  p.tenants['school-a'].users.nginx = { passwordHash: APR1, roles: ['staff'] };
  await writeFile(file, `${JSON.stringify(p, null, 2)}\n`);
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const who = { tenant: 'school-a', user: 'nginx', reqId: 'r1', ip: '203.0.113.7' };
const hashInFile = async () =>
  JSON.parse(await readFile(file, 'utf8')).tenants['school-a'].users.nginx.passwordHash;

describe('upgradeLegacyHash', () => {
  it('writes scrypt of the password once for a burst of sign-ins, audits it and reloads', async () => {
    const deps = memoryDeps();
    let reloads = 0;
    deps.passwordUpgrades.target = { file, reload: async () => void reloads++ };
    const results = await Promise.all([1, 2, 3].map(() => upgradeLegacyHash(deps, who, 'secret', APR1)));
    const written = await hashInFile();
    expect(written).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(results).toEqual([written, written, written]);
    expect(await verifyPassword('secret', written)).toBe(true);
    expect(reloads).toBe(1);
    expect(deps.auditEvents).toEqual([
      {
        type: 'password_upgraded',
        tenant: 'school-a',
        user: 'nginx',
        reqId: 'r1',
        ip: '203.0.113.7',
        from: 'apr1',
        to: 'scrypt',
      },
    ]);
  });

  it('leaves a hash changed meanwhile alone, does nothing for scrypt or without a policy file', async () => {
    const deps = memoryDeps();
    deps.passwordUpgrades.target = { file, reload: async () => {} };
    const other = '$apr1$abcdefgh$030j6I3f1zNCF9tihqdd11';
    expect(await upgradeLegacyHash(deps, who, 'pässwörd', other)).toBeUndefined();
    expect(await hashInFile()).toBe(APR1);
    expect(
      await upgradeLegacyHash(deps, who, 'x', validPolicy().tenants['school-a'].users.admin.passwordHash),
    ).toBeUndefined();
    expect(await upgradeLegacyHash(memoryDeps(), who, 'secret', APR1)).toBeUndefined();
    expect(await hashInFile()).toBe(APR1);
    expect(deps.auditEvents).toEqual([]);
  });

  it('gives up within a second while another edit holds the file, and upgrades at the next sign-in', async () => {
    const deps = memoryDeps();
    deps.passwordUpgrades.target = { file, reload: async () => {} };
    // An admin's edit in another process: its lock file, fresh (not a stale one to take over).
    await writeFile(`${file}.lock`, '4242\n');
    const started = Date.now();
    expect(await upgradeLegacyHash(deps, who, 'secret', APR1)).toBeUndefined();
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(900);
    expect(waited).toBeLessThan(5_000); // the edit lock's own wait is 10 s
    expect(await hashInFile()).toBe(APR1);
    expect(deps.auditEvents).toMatchObject([
      {
        type: 'password_upgraded',
        user: 'nginx',
        result: 'failed',
        reason: expect.stringContaining('.lock'),
      },
    ]);
    await rm(`${file}.lock`);
    const written = await upgradeLegacyHash(deps, who, 'secret', APR1);
    expect(written).toMatch(/^scrypt\$/);
    expect(await hashInFile()).toBe(written);
  });
});
