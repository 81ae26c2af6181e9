/**
 * The real `resultgate` CLI, spawned as a process (Node 24 + tsx, `source` condition): check,
 * hash-password, users, --help and exit codes.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devCertificate } from '../scripts/dev-cert.js';
import { runCli } from './helpers/serve.js';

/** Runs `resultgate ...args` in the test's directory with `input` on stdin; killed after 30 s. */
const resultgate = (args: string[], input = '', env: Record<string, string> = {}) =>
  runCli(args, { cwd: dir, input, env });

// hash-password's own cost (N=32768, r=8, p=1): `check` refuses weaker ones.
const HASH = 'scrypt$32768$8$1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2g=';
const POLICY = `{
  "$schema": "./node_modules/@resultgate/gateway/policy.schema.json",
  "version": 1,
  "server": {
    "https": { "port": 8443, "certFile": "var/tls/cert.pem", "keyFile": "var/tls/key.pem" },
    "upstream": { "url": "http://127.0.0.1:3000", "timeout": "30s", "maxBodySize": "10MiB" }
  },
  "tenants": {
    "school-a": {
      "hosts": ["school-a.localhost"],
      "passwordPolicy": { "minLength": 14, "minClasses": 3 },
      "users": {
        "admin": { "passwordHash": "${HASH}", "roles": ["admin"] }
      },
      "zones": [
        { "name": "admin", "path": "/admin", "auth": "form", "roles": ["admin"],
          "ipAllow": ["203.0.113.0/24"], "idleTimeout": "1h" },
        { "name": "recipient", "path": "/", "auth": "none", "maxConcurrent": 200 }
      ]
    }
  }
}
`;

let dir: string;
let policy: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rg-cli-'));
  policy = join(dir, 'policy.json');
  // The files the policy names (relative to the working directory, as `serve` reads them).
  const { cert, key } = await devCertificate();
  await mkdir(join(dir, 'var/tls'), { recursive: true });
  await writeFile(join(dir, 'var/tls/cert.pem'), cert);
  await writeFile(join(dir, 'var/tls/key.pem'), key, { mode: 0o600 });
  await writeFile(join(dir, 'var/session.key'), 'a-session-key-of-32-characters-xx\n');
  await writeFile(join(dir, 'var/identity.key'), 'an-identity-key-of-32-characters-\n');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('resultgate check', () => {
  it('says ok for a valid policy, found through RESULTGATE_POLICY', async () => {
    await writeFile(policy, POLICY);
    const r = await resultgate(['check'], '', { RESULTGATE_POLICY: policy });
    expect(r).toEqual({ code: 0, stdout: `ok: ${policy} (1 tenant, 2 zones, 1 user)\n`, stderr: '' });
  });

  it('prints every error with its JSON path and exits 1', async () => {
    const broken = join(dir, 'broken.json');
    const text = POLICY.replace('"203.0.113.0/24"', '"203.0.113.0/24", "203.0.113.300"')
      .replace('"timeout": "30s"', '"timeout": "30 s"')
      .replace('"auth": "none"', '"auth": "open"');
    await writeFile(broken, text);
    const r = await resultgate(['check', '--policy', broken]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      [
        `invalid policy ${broken}:`,
        '  server.upstream.timeout: not a duration (use "30s", "15m", "1h", "7d" or seconds) (got "30 s")',
        '  tenants.school-a.zones[0].ipAllow[1]: not an IP or CIDR (got "203.0.113.300")',
        '  tenants.school-a.zones[1].auth: "open" is not one of "none", "basic", "form"',
        '3 errors',
        '',
      ].join('\n'),
    );
  });

  it('points at a JSON syntax error by line and column', async () => {
    const broken = join(dir, 'syntax.json');
    await writeFile(broken, POLICY.replace('"version": 1,', '"version": 1,,'));
    const r = await resultgate(['check', '--policy', broken]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `invalid policy ${broken}:\n  3:16: not JSON: Expected double-quoted property name\n1 error\n`,
    );
  });

  it('prints warnings with ok, and fails on them with --strict', async () => {
    const warned = join(dir, 'warned.json');
    await writeFile(warned, POLICY.replace('"minLength": 14', '"minLength": 6'));
    const warning = 'warning: tenants.school-a.passwordPolicy.minLength: 6 is below 8 characters\n';
    const r = await resultgate(['check', '--policy', warned]);
    expect(r).toEqual({
      code: 0,
      stdout: `${warning}ok: ${warned} (1 tenant, 2 zones, 1 user); 1 warning\n`,
      stderr: '',
    });
    const strict = await resultgate(['check', '--strict', '--policy', warned]);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toBe(`${warned}: 1 warning; --strict makes them fail\n`);
  });

  it('rejects an unknown flag with exit 2', async () => {
    const r = await resultgate(['check', '--polcy', policy]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Unknown option '--polcy'");
  });
});

describe('resultgate check: the mistakes an nginx operator makes (issue #17)', () => {
  it('names each with its JSON path and value: missing files, weak hash, host-as-network, typos', async () => {
    const mistaken = join(dir, 'mistaken.json');
    await writeFile(
      mistaken,
      POLICY.replace('var/tls/cert.pem', 'var/tls/missing.pem')
        .replace(HASH, 'scrypt$1024$1$1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2g=')
        .replace('"203.0.113.0/24"', '"192.0.2.1/24"')
        .replace(
          '"https": { "port": 8443,',
          '"https": { "port": 8443, "keyFile": "var/tls/key.pem", "sessions": {},',
        )
        .replace(', "keyFile": "var/tls/key.pem" }', ' }'),
    );
    const typos = await resultgate(['check', '--policy', mistaken]);
    expect(typos.code).toBe(1);
    expect(typos.stderr).toBe(
      `invalid policy ${mistaken}:\n  server.https.sessions: unknown key; allowed here: port, host, certFile, keyFile\n1 error\n`,
    );
    await writeFile(mistaken, (await readFile(mistaken, 'utf8')).replace(' "sessions": {},', ''));
    const r = await resultgate(['check', '--policy', mistaken]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      'warning: tenants.school-a.zones[0].ipAllow[0]: "192.0.2.1/24" is a host address written as a network: it means all of 192.0.2.0/24; write "192.0.2.0/24", or "192.0.2.1" for the one host\n',
    );
    expect(r.stderr).toBe(
      [
        `invalid policy ${mistaken}:`,
        `  server.https.certFile: "var/tls/missing.pem" does not exist (${join(dir, 'var/tls/missing.pem')})`,
        "  tenants.school-a.users.admin.passwordHash: scrypt N=1024, r=1, p=1 is weaker than hash-password's N=32768, r=8, p=1 (got scrypt$1024$1$1$…); set a new one: resultgate users passwd --tenant school-a --user admin",
        '2 errors',
        '',
      ].join('\n'),
    );
  });

  it('prints the version, and refuses logs export of an unknown tenant with exit 3', async () => {
    const version = await resultgate(['--version']);
    expect(version).toMatchObject({ code: 0, stdout: expect.stringMatching(/^\d+\.\d+\.\d+\n$/) });
    await writeFile(policy, POLICY);
    const r = await resultgate(['logs', 'export', '--tenant', 'nope', '--policy', policy]);
    expect(r).toEqual({
      code: 3,
      stdout: '',
      stderr: `resultgate logs export: no tenant "nope" in ${policy}\n`,
    });
  });
});

describe('resultgate hash-password', () => {
  it('prints a scrypt hash of a piped password', async () => {
    const r = await resultgate(['hash-password'], 'Correct-Horse-9\n');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+\n$/);
  });

  it("refuses a password that breaks the tenant's policy, with the reasons", async () => {
    await writeFile(policy, POLICY);
    // 13 characters: enough for the default policy (12), not for school-a's (14).
    const r = await resultgate(
      ['hash-password', '--tenant', 'school-a', '--policy', policy],
      'Correct-Horse\n',
    );
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'refused: the password breaks the password policy of tenant school-a:\n  - shorter than 14 characters\n',
    });
    expect((await resultgate(['hash-password'], 'Correct-Horse\n')).code).toBe(0);
  });

  it('says so when stdin is empty or the tenant unknown (exit 2)', async () => {
    const empty = await resultgate(['hash-password'], '');
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('no password on stdin');
    const unknown = await resultgate(
      ['hash-password', '--tenant', 'nope', '--policy', policy],
      'Correct-Horse-9\n',
    );
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toContain(`no tenant "nope" in ${policy}`);
  });
});

describe('resultgate users', () => {
  it('adds, lists and removes a user, editing only that line of the file', async () => {
    await writeFile(policy, POLICY);
    const base = ['--tenant', 'school-a', '--policy', policy];
    const add = await resultgate(
      ['users', 'add', ...base, '--user', 'sato', '--roles', 'admin, staff'],
      'Correct-Horse-99\n',
    );
    expect(add).toMatchObject({ code: 0, stdout: 'added sato to tenant school-a (roles: admin,staff)\n' });

    const text = await readFile(policy, 'utf8');
    const added = text.split('\n').filter((line) => !POLICY.split('\n').includes(line));
    expect(added).toHaveLength(2); // the old last user gains a comma; the new user's line
    expect(added[1]).toMatch(
      /^ {8}"sato": \{ "passwordHash": "scrypt\$32768\$[^"]+", "roles": \["admin", "staff"\] \}$/,
    );

    const list = await resultgate(['users', 'list', ...base]);
    expect(list).toEqual({ code: 0, stdout: 'USER   ROLES\nadmin  admin\nsato   admin,staff\n', stderr: '' });
    expect(list.stdout).not.toContain('scrypt');

    const again = await resultgate(['users', 'add', ...base, '--user', 'sato'], 'Correct-Horse-99\n');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('sato already exists in tenant school-a');

    const remove = await resultgate(['users', 'remove', ...base, '--user', 'sato']);
    expect(remove).toMatchObject({ code: 0, stdout: 'removed sato from tenant school-a\n' });
    expect(await readFile(policy, 'utf8')).toBe(POLICY);
    expect((await resultgate(['check', '--policy', policy])).code).toBe(0);
  });

  it('refuses a weak password and never touches the file', async () => {
    await writeFile(policy, POLICY);
    const r = await resultgate(
      ['users', 'add', '--tenant', 'school-a', '--policy', policy, '--user', 'ito'],
      'password\n',
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'refused: the password breaks the password policy of tenant school-a:\n' +
        '  - shorter than 14 characters\n' +
        '  - uses 1 of the 3 required character classes (lower, upper, digit, symbol)\n',
    );
    expect(await readFile(policy, 'utf8')).toBe(POLICY);
  });

  it.each([
    [['users'], 'add, passwd, remove, list, import or unlock?'],
    [['users', 'unlock', '--tenant', 'school-a'], 'users unlock needs a user name or --address IP'],
    [['users', 'unlock', '--tenant', 'school-a', 'ann', '--address', '10.0.0.1'], 'one of them'],
    [['users', 'unlock', '--tenant', 'school-a', '--address', '10.0.0.999'], 'is not an IP address'],
    [
      ['users', 'add', '--tenant', 'school-a', '--user', 'x', '--address', '10.0.0.1'],
      '--address goes with unlock',
    ],
    [['users', 'add', '--tenant', 'school-a'], 'users add needs --user'],
    [['users', 'list'], '--tenant is required'],
    [['users', 'add', '--tenant', 'school-a', '--user', 'a:b'], 'user names cannot contain ":"'],
    [['users', 'rename', '--tenant', 'school-a'], 'unknown action "rename"'],
  ])('%j is a usage error (exit 2)', async (args, message) => {
    const r = await resultgate([...args, '--policy', policy]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });
});

describe('resultgate --help and unknown commands', () => {
  it.each(['serve', 'check', 'hash-password', 'users', 'logs', 'report', 'tenants'])(
    '%s --help prints its usage and exits 0',
    async (name) => {
      const r = await resultgate([name, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^Usage:\\s+resultgate ${name}\\b`));
    },
  );

  it('lists the commands on --help', async () => {
    const r = await resultgate(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('  check           validate and lint the policy file\n');
  });

  it('exits 2 on an unknown command', async () => {
    const r = await resultgate(['chek']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^resultgate: unknown command "chek"/);
  });
});
