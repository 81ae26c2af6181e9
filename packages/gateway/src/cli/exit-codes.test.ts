/**
 * Every command's exit codes, as each `--help` documents them, run in-process: 0 ok, 1 failed or
 * refused, 2 usage error, 3 no such tenant or user, 4 nothing found.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { generate } from 'selfsigned';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hashPassword } from '../credentials/password.js';
import { validPolicy } from '../testing/policy-fixture.js';
import { runCliInProcess } from '../testing/run-cli.js';
import type { CliIo } from './command.js';
import { main } from './main.js';

let root: string;
let strongHash: string;
let cert: { cert: string; key: string };

/** Runs the CLI in-process in the test's directory, `input` on stdin. */
const run = (argv: string[], input = '') => runCliInProcess(main, argv, root, input);

function policy() {
  const p = validPolicy();
  p.server.https = { port: 0, host: '127.0.0.1', certFile: 'cert.pem', keyFile: 'key.pem' };
  p.sessions = { secretFile: 'session.key' };
  p.identity = { secretFile: 'identity.key' };
  p.logs = { dir: 'log' };
  p.tenants['school-a'].users.admin.passwordHash = strongHash;
  p.tenants.empty = { hosts: ['empty.localhost'], zones: [{ name: 'all', path: '/', auth: 'none' }] };
  return p;
}

const write = (name: string, value: unknown) =>
  writeFile(join(root, name), typeof value === 'string' ? value : `${JSON.stringify(value, null, 2)}\n`);

beforeAll(async () => {
  strongHash = await hashPassword('Correct-Horse-99');
  const pems = await generate([{ name: 'commonName', value: 'school-a.localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    extensions: [
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'school-a.localhost' },
          { type: 2, value: 'empty.localhost' },
        ],
      },
    ],
  });
  cert = { cert: pems.cert, key: pems.private };
});

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'rg-exit-'));
  await write('cert.pem', cert.cert);
  await write('key.pem', cert.key);
  await write('session.key', 'a-session-key-of-32-characters-xx\n');
  await write('identity.key', 'an-identity-key-of-32-characters-\n');
  await mkdir(join(root, 'log'));
  await write('policy.json', policy());
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe('resultgate (no command)', () => {
  it('prints the version from package.json with --version (0)', async () => {
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8'));
    expect(await run(['--version'])).toEqual({ code: 0, out: `${pkg.version}\n`, err: '' });
    expect((await run(['-V'])).out).toBe(`${pkg.version}\n`);
  });

  it('exits 2 without a command or with an unknown one, 0 on --help', async () => {
    expect((await run([])).code).toBe(2);
    expect((await run(['chek'])).code).toBe(2);
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.out).toContain('3 no such tenant or user, 4 nothing found');
  });

  it.each(['serve', 'check', 'hash-password', 'users', 'logs', 'report', 'tenants'])(
    '%s --help documents its exit codes',
    async (name) => {
      const { code, out } = await run([name, '--help']);
      expect(code).toBe(0);
      expect(out).toMatch(/\nExit codes:\n {2}0 {2}/);
    },
  );
});

describe('check', () => {
  it('0 for a policy that can be served, 1 on errors, 1 on warnings with --strict, 2 on a bad flag', async () => {
    expect(await run(['check'])).toMatchObject({
      code: 0,
      out: 'ok: policy.json (2 tenants, 3 zones, 1 user)\n',
    });
    const p = policy();
    p.server.https.certFile = 'missing.pem';
    await write('broken.json', p);
    const broken = await run(['check', '--policy', 'broken.json']);
    expect(broken.code).toBe(1);
    expect(broken.err).toBe(
      `invalid policy broken.json:\n  server.https.certFile: "missing.pem" does not exist (${join(root, 'missing.pem')})\n1 error\n`,
    );
    const w = policy();
    w.tenants['school-a'].ipAllow = ['203.0.113.7/24'];
    await write('warned.json', w);
    expect((await run(['check', '--policy', 'warned.json'])).code).toBe(0);
    expect((await run(['check', '--strict', '--policy', 'warned.json'])).code).toBe(1);
    expect((await run(['check', '--polcy', 'x'])).code).toBe(2);
  });
});

describe('serve', () => {
  it('1 when a check fails, before any port is opened; 2 on an unknown option', async () => {
    const p = policy();
    p.tenants['school-a'].users.admin.passwordHash =
      'scrypt$1024$1$1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2g=';
    await write('weak.json', p);
    const r = await run(['serve', '--policy', join(root, 'weak.json')]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(
      "tenants.school-a.users.admin.passwordHash: scrypt N=1024, r=1, p=1 is weaker than hash-password's",
    );
    expect(r.err).toContain('not started');
    expect(r.out).toBe('');
    expect((await run(['serve', '--port', '1'])).code).toBe(2);
  });

  it('0 after SIGTERM has drained it', { timeout: 20_000 }, async () => {
    const p = policy();
    // serve reads the files from the process's working directory: absolute paths here.
    p.server.https = {
      port: 0,
      host: '127.0.0.1',
      certFile: join(root, 'cert.pem'),
      keyFile: join(root, 'key.pem'),
    };
    p.sessions = { secretFile: join(root, 'session.key') };
    p.identity = { secretFile: join(root, 'identity.key') };
    p.logs = { dir: join(root, 'log') };
    p.server.http = undefined;
    p.server.admin = { port: 0, host: '127.0.0.1' };
    await write('policy.json', p);
    const stdout = new PassThrough();
    let out = '';
    stdout.on('data', (d) => (out += d));
    const io = { stdin: new PassThrough(), stdout, stderr: new PassThrough(), env: {}, cwd: root };
    const running = main(['serve', '--policy', join(root, 'policy.json')], io as unknown as CliIo);
    for (let i = 0; i < 200 && !out.includes('resultgate: serving'); i++)
      await new Promise((r) => setTimeout(r, 25));
    expect(out).toContain('resultgate: serving');
    process.emit('SIGTERM');
    expect(await running).toBe(0);
  });
});

describe('hash-password', () => {
  it('0 hashed, 1 against the policy, 2 without a password, 3 for an unknown tenant', async () => {
    expect((await run(['hash-password'], 'Correct-Horse-99\n')).code).toBe(0);
    expect((await run(['hash-password'], 'short\n')).code).toBe(1);
    expect((await run(['hash-password'], '')).code).toBe(2);
    const r = await run(['hash-password', '--tenant', 'nope'], 'Correct-Horse-99\n');
    expect(r).toEqual({
      code: 3,
      out: '',
      err: 'resultgate hash-password: no tenant "nope" in policy.json\n',
    });
  });
});

describe('users', () => {
  it('add: 0, 1 when the user exists, 3 for an unknown tenant; passwd: 0, 3 for an unknown user', async () => {
    expect(
      (await run(['users', 'add', '--tenant', 'school-a', '--user', 'sato'], 'Correct-Horse-99\n')).code,
    ).toBe(0);
    expect(
      (await run(['users', 'add', '--tenant', 'school-a', '--user', 'sato'], 'Correct-Horse-99\n')).code,
    ).toBe(1);
    expect(
      (await run(['users', 'add', '--tenant', 'nope', '--user', 'sato'], 'Correct-Horse-99\n')).code,
    ).toBe(3);
    const before = JSON.parse(await readFile(join(root, 'policy.json'), 'utf8')).tenants['school-a'].users
      .sato;
    const passwd = await run(
      ['users', 'passwd', '--tenant', 'school-a', '--user', 'sato'],
      'Battery-Staple-77\n',
    );
    expect(passwd).toEqual({ code: 0, out: 'changed the password of sato in tenant school-a\n', err: '' });
    const after = JSON.parse(await readFile(join(root, 'policy.json'), 'utf8')).tenants['school-a'].users
      .sato;
    expect(after.passwordHash).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(after.passwordHash).not.toBe(before.passwordHash);
    expect(after.roles).toEqual(before.roles);
    const audit = await readFile(
      join(root, 'log', 'school-a', `audit-${new Date().toISOString().slice(0, 10)}.jsonl`),
      'utf8',
    );
    expect(audit).toContain('"type":"user_password_changed"');
    expect(audit).not.toContain('scrypt');
    expect(
      (await run(['users', 'passwd', '--tenant', 'school-a', '--user', 'ghost'], 'Battery-Staple-77\n')).code,
    ).toBe(3);
    expect((await run(['users', 'passwd', '--tenant', 'school-a', '--user', 'sato'], 'weak\n')).code).toBe(1);
  });

  it('remove: 0, 3 for an unknown user; list: 0, 4 for a tenant without users, 3 for an unknown one; 2 on usage', async () => {
    expect((await run(['users', 'remove', '--tenant', 'school-a', '--user', 'ghost'])).code).toBe(3);
    expect((await run(['users', 'list', '--tenant', 'school-a'])).code).toBe(0);
    expect(await run(['users', 'list', '--tenant', 'empty'])).toEqual({
      code: 4,
      out: '',
      err: 'resultgate users: tenant empty has no users\n',
    });
    expect((await run(['users', 'list', '--tenant', 'nope'])).code).toBe(3);
    expect((await run(['users', 'remove', '--tenant', 'school-a', '--user', 'admin'])).code).toBe(0);
    expect((await run(['users', 'frobnicate', '--tenant', 'school-a'])).code).toBe(2);
    expect((await run(['users', 'import', '--tenant', 'school-a'])).code).toBe(2);
  });
});

describe('logs', () => {
  it('export: 3 for an unknown tenant, 4 when no line is in the range (no CSV header either), 0 with lines', async () => {
    expect(await run(['logs', 'export', '--tenant', 'nope'])).toEqual({
      code: 3,
      out: '',
      err: 'resultgate logs export: no tenant "nope" in policy.json\n',
    });
    const empty = await run([
      'logs',
      'export',
      '--tenant',
      'school-a',
      '--format',
      'csv',
      '--from',
      '2026-01-01',
    ]);
    expect(empty.code).toBe(4);
    expect(empty.out).toBe('');
    expect(empty.err).toBe(
      'resultgate logs export: no access lines of tenant school-a from 2026-01-01T00:00:00.000Z to 2026-01-01T23:59:59.999Z\n',
    );
    // A user change writes an audit line today: then there is something to export.
    await run(['users', 'add', '--tenant', 'school-a', '--user', 'ito'], 'Correct-Horse-99\n');
    const audit = await run(['logs', 'export', '--tenant', 'school-a', '--kind', 'audit']);
    expect(audit.code).toBe(0);
    expect(audit.out).toContain('"user_added"');
    expect((await run(['logs', 'export'])).code).toBe(2);
  });

  it('verify: 0 for an intact chain, 1 for none, 2 on usage', async () => {
    await run(['users', 'add', '--tenant', 'school-a', '--user', 'ito'], 'Correct-Horse-99\n');
    expect((await run(['logs', 'verify', 'log'])).code).toBe(0);
    await mkdir(join(root, 'nothing'));
    expect((await run(['logs', 'verify', 'nothing'])).code).toBe(1);
    expect((await run(['logs', 'verify'])).code).toBe(2);
  });
});

describe('report', () => {
  it('0 printed, 1 invalid policy, 2 bad format, 4 no tenant', async () => {
    expect((await run(['report'])).code).toBe(0);
    expect((await run(['report', '--format', 'pdf'])).code).toBe(2);
    await write('invalid.json', '{"version": 2}');
    expect((await run(['report', '--policy', 'invalid.json'])).code).toBe(1);
    await write('none.json', { ...policy(), tenants: {} });
    expect(await run(['report', '--policy', 'none.json'])).toEqual({
      code: 4,
      out: '',
      err: 'resultgate report: the policy has no tenant\n',
    });
  });
});

describe('tenants purge', () => {
  it('2 without --yes, 3 for an unknown tenant, 0 purged', async () => {
    expect((await run(['tenants', 'purge', 'empty'])).code).toBe(2);
    expect((await run(['tenants', 'purge', 'nope', '--yes'])).code).toBe(3);
    expect((await run(['tenants', 'purge', 'empty', '--yes'])).code).toBe(0);
  });
});
