/**
 * The path off htpasswd, end to end: an nginx operator's htpasswd file (an `$apr1$` user as
 * `htpasswd -m` writes it, a bcrypt `$2y$` user as `htpasswd -B` does) is imported with the real
 * CLI into the policy of a running gateway; each user signs in with the old password (Basic auth;
 * the login form), and the policy file then holds scrypt for that user — written atomically,
 * audited — while `resultgate check` names the users still on a legacy hash.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type EchoUpstream,
  httpRequest,
  httpsRequest,
  type RawResponse,
  startEchoUpstream,
  startTestGateway,
  type TestGateway,
} from './helpers/index.js';
import { runCli } from './helpers/serve.js';

const resultgate = (args: string[], cwd: string) => runCli(args, { cwd });

// What `openssl passwd -apr1 -salt 12345678 secret` (and so htpasswd -m) writes for "secret".
const APR1_SECRET = '$apr1$12345678$0lqb/6VUFP8JY/s/jTrIk0';
const BCRYPT_PASSWORD = 'Brücke-Passwort-7';

let echo: EchoUpstream;
let gw: TestGateway;

beforeAll(async () => {
  echo = await startEchoUpstream();
  gw = await startTestGateway({
    upstream: echo.url,
    watch: true,
    tenants: {
      'school-a': {
        hosts: ['school-a.localhost'],
        zones: [
          { name: 'api', path: '/api', auth: 'basic', roles: ['staff'] },
          { name: 'admin', path: '/admin', auth: 'form', roles: ['staff'] },
          { name: 'recipient', path: '/', auth: 'none' },
        ],
      },
    },
  });
  const bcryptHash = bcrypt.hashSync(BCRYPT_PASSWORD, 5).replace(/^\$2b\$/, '$2y$');
  const htpasswd = join(gw.dir, '.htpasswd');
  await writeFile(htpasswd, `# from nginx\nnginx-user:${APR1_SECRET}\nbcrypt-user:${bcryptHash}\n`);
  const imported = await resultgate(
    [
      'users',
      'import',
      '--tenant',
      'school-a',
      '--htpasswd',
      htpasswd,
      '--roles',
      'staff',
      '--policy',
      gw.policyFile,
    ],
    gw.dir,
  );
  expect(imported.stderr).toBe('');
  expect(imported.code).toBe(0);
  expect(imported.stdout).toContain('imported nginx-user (apr1) into tenant school-a');
  expect(imported.stdout).toContain('imported bcrypt-user (bcrypt) into tenant school-a');
  // The watching gateway reloads the imported users.
  for (let i = 0; i < 200 && Object.keys(gw.policy().tenants['school-a']!.users).length < 2; i++) {
    await new Promise((r) => setTimeout(r, 50));
  }
  expect(Object.keys(gw.policy().tenants['school-a']!.users)).toEqual(['nginx-user', 'bcrypt-user']);
});

afterAll(async () => {
  await gw?.close();
  await echo?.close();
});

const basic = (user: string, password: string) => ({
  authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
});
const fileUsers = async () =>
  JSON.parse(await readFile(gw.policyFile, 'utf8')).tenants['school-a'].users as Record<
    string,
    { passwordHash: string; roles: string[] }
  >;
const auditLines = async () => {
  const day = new Date().toISOString().slice(0, 10);
  const text = await readFile(join(gw.dir, 'log', 'school-a', `audit-${day}.jsonl`), 'utf8');
  return text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
};

describe('users imported from htpasswd', () => {
  it('are listed by resultgate check as still on a legacy hash', async () => {
    const r = await resultgate(['check', '--policy', gw.policyFile], gw.dir);
    expect(r.stdout).toContain(
      "warning: tenants.school-a.users.nginx-user.passwordHash: still a legacy $apr1$ (Apache MD5) hash from htpasswd; it becomes scrypt at nginx-user's next sign-in",
    );
    expect(r.stdout).toContain(
      'warning: tenants.school-a.users.bcrypt-user.passwordHash: still a legacy bcrypt ($2y$) hash',
    );
  });

  it('sign in through Basic auth with the old password; the policy file then holds scrypt', async () => {
    const wrong = await httpsRequest({
      port: gw.httpsPort,
      path: '/api/x',
      headers: basic('nginx-user', 'Secret'),
    });
    expect(wrong.status).toBe(401);
    expect((await fileUsers())['nginx-user']!.passwordHash).toBe(APR1_SECRET);

    const ok = await httpsRequest({
      port: gw.httpsPort,
      path: '/api/x',
      headers: basic('nginx-user', 'secret'),
    });
    expect(ok.status).toBe(200);
    const user = (await fileUsers())['nginx-user']!;
    expect(user.passwordHash).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(user.roles).toEqual(['staff']);
    // The serving policy is the upgraded one, and the same password still works against it.
    expect(gw.policy().tenants['school-a']!.users['nginx-user']!.passwordHash).toBe(user.passwordHash);
    const again = await httpsRequest({
      port: gw.httpsPort,
      path: '/api/y',
      headers: { ...basic('nginx-user', 'secret'), 'x-new-connection': '1' },
    });
    expect(again.status).toBe(200);
    const upgradedLines = async () => (await auditLines()).filter((e) => e.type === 'password_upgraded');
    for (let i = 0; i < 100 && (await upgradedLines()).length < 1; i++)
      await new Promise((r) => setTimeout(r, 50));
    const upgraded = await upgradedLines();
    expect(upgraded).toEqual([
      expect.objectContaining({ tenant: 'school-a', user: 'nginx-user', from: 'apr1', to: 'scrypt' }),
    ]);
    expect(JSON.stringify(upgraded)).not.toContain('secret');
    const check = await resultgate(['check', '--policy', gw.policyFile], gw.dir);
    expect(check.stdout).not.toContain('users.nginx-user.passwordHash');
  });

  it('sign in through the login form with the old bcrypt password, stay signed in, and get scrypt', async () => {
    const jar = new Map<string, string>();
    const keep = (res: RawResponse) => {
      for (const line of res.headers['set-cookie'] ?? []) {
        const [pair] = line.split(';');
        const eq = pair!.indexOf('=');
        jar.set(pair!.slice(0, eq), pair!.slice(eq + 1));
      }
      return res;
    };
    const cookie = () =>
      [...jar]
        .filter(([, v]) => v)
        .map(([k, v]) => `${k}=${v}`)
        .join('; ');
    const page = keep(
      await httpsRequest({ port: gw.httpsPort, path: '/.gateway/login', headers: { accept: 'text/html' } }),
    );
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)![1]!;
    const login = keep(
      await httpsRequest({
        port: gw.httpsPort,
        path: '/.gateway/login',
        method: 'POST',
        headers: {
          origin: 'https://school-a.localhost',
          cookie: cookie(),
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ csrf, username: 'bcrypt-user', password: BCRYPT_PASSWORD }).toString(),
      }),
    );
    expect(login.status).toBe(303);
    expect((await fileUsers())['bcrypt-user']!.passwordHash).toMatch(/^scrypt\$32768\$8\$1\$/);
    // The session was bound to the new hash: the upgrade does not sign the user out.
    const admin = await httpsRequest({
      port: gw.httpsPort,
      path: '/admin/home',
      headers: { cookie: cookie(), accept: 'application/json' },
    });
    expect(admin.status).toBe(200);
    // The sign-in is in the metrics: one form login and one active session.
    const metrics = (await httpRequest({ port: gw.adminPort!, host: '127.0.0.1', path: '/metrics' })).body;
    expect(metrics).toContain('resultgate_logins_total{tenant="school-a",via="form"} 1');
    // Two Basic checks ran a hash: the first sign-in, and the first after the upgrade reloaded (a new cache).
    expect(metrics).toContain('resultgate_logins_total{tenant="school-a",via="basic"} 2');
    expect(metrics).toContain('resultgate_sessions_active{tenant="school-a"} 1');
    // Audit lines are written in batches: wait for this one.
    const upgradedUsers = async () =>
      (await auditLines()).filter((e) => e.type === 'password_upgraded').map((e) => e.user);
    for (let i = 0; i < 100 && (await upgradedUsers()).length < 2; i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(await upgradedUsers()).toEqual(['nginx-user', 'bcrypt-user']);
  });
});
