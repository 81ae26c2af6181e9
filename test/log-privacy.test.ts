/**
 * End-to-end: nothing secret reaches a log file. Through the real gateway over TLS, with its real
 * log files (startGateway opens policy.logs), a mix of form logins (wrong password, a password
 * typed into the user-name field, the right one), a session, a logout, Basic auth (right, wrong,
 * unknown user), recipient pages with the access code and PIN in the query and in the body, and
 * extra cookies. Then every file under the log dir is searched for each password, `Basic `, each
 * credential token, each cookie value and each query value, and the tenant admin's
 * `/.gateway/logs` answer is searched too.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PolicyInput } from '@resultgate/gateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EchoUpstream, TestGateway } from './helpers/index.js';
import {
  cheapHash,
  httpsRequest,
  type RawResponse,
  startEchoUpstream,
  startTestGateway,
} from './helpers/index.js';

const basic = (user: string, password: string) => Buffer.from(`${user}:${password}`).toString('base64');

const P = {
  admin: 'Admin-Form-Pass-1',
  formWrong: 'Wrong-Form-Pass-2',
  typedAsUser: 'Typed-Into-User-3',
  sync: 'Sync-Basic-Pass-4',
  basicWrong: 'Wrong-Basic-Pass-5',
  basicTypedAsUser: 'Basic-Typed-User-6',
};
const QUERY = ['EXAMNO5555', 'ACCESS1234', 'PIN987654', 'QTOKEN777'];
const COOKIE = 'TRACKCOOKIE321';

const tenants: PolicyInput['tenants'] = {
  'school-a': {
    name: 'School A',
    hosts: ['school-a.localhost'],
    users: {
      admin: { passwordHash: cheapHash(P.admin), roles: ['admin'] },
      'hr-sync': { passwordHash: cheapHash(P.sync), roles: ['integration'] },
    },
    zones: [
      { name: 'admin', path: '/admin', auth: 'form', roles: ['admin'] },
      { name: 'api', path: '/api', auth: 'basic', roles: ['integration'] },
      { name: 'recipient', path: '/r', auth: 'none' },
    ],
  },
};

let echo: EchoUpstream;
let gw: TestGateway;
/** Every secret value the traffic carried: credentials tokens, cookies, CSRF tokens. */
const carried: string[] = [];
let logsAnswer = '';

const jar = new Map<string, string>();
const cookieHeader = () => [...[...jar].map(([k, v]) => `${k}=${v}`), `tracking=${COOKIE}`].join('; ');
function keep(res: RawResponse): RawResponse {
  for (const line of res.headers['set-cookie'] ?? []) {
    const [pair] = line.split(';');
    const eq = pair!.indexOf('=');
    const value = pair!.slice(eq + 1);
    if (value) carried.push(value);
    jar.set(pair!.slice(0, eq), value);
  }
  return res;
}
const get = async (path: string, headers: Record<string, string> = {}) =>
  keep(await httpsRequest({ port: gw.httpsPort, path, headers: { cookie: cookieHeader(), ...headers } }));
async function post(path: string, form: Record<string, string>) {
  return keep(
    await httpsRequest({
      port: gw.httpsPort,
      path,
      method: 'POST',
      headers: {
        origin: 'https://school-a.localhost',
        cookie: cookieHeader(),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams(form).toString(),
    }),
  );
}
async function csrf(path: string): Promise<string> {
  const token = /name="csrf" value="([^"]+)"/.exec((await get(path, { accept: 'text/html' })).body)![1]!;
  carried.push(token);
  return token;
}

beforeAll(async () => {
  echo = await startEchoUpstream();
  gw = await startTestGateway({ upstream: echo.url, tenants });
  const login = (username: string, password: string) =>
    csrf('/.gateway/login').then((token) => post('/.gateway/login', { csrf: token, username, password }));
  expect((await login('admin', P.formWrong)).status).toBe(401);
  expect((await login(P.typedAsUser, 'x')).status).toBe(401);
  expect((await login('admin', P.admin)).status).toBe(303);
  expect((await get(`/admin/results?exam=${QUERY[0]}`, { accept: 'application/json' })).status).toBe(200);
  expect((await post('/.gateway/logout', { csrf: await csrf('/.gateway/logout') })).status).toBe(303);

  for (const [user, password, status] of [
    ['hr-sync', P.sync, 200],
    ['hr-sync', P.basicWrong, 401],
    [P.basicTypedAsUser, 'x', 401],
  ] as const) {
    const token = basic(user, password);
    carried.push(token);
    const res = await get(`/api/v1/results?token=${QUERY[3]}`, { authorization: `Basic ${token}` });
    expect(res.status).toBe(status);
  }
  expect((await get(`/r?code=${QUERY[1]}&pin=${QUERY[2]}`)).status).toBe(200);
  expect((await post('/r', { code: QUERY[1]!, pin: QUERY[2]! })).status).toBe(200);
  const adminToken = basic('admin', P.admin);
  carried.push(adminToken);
  await gw.logs!.flush();
  logsAnswer = (await get('/.gateway/logs?kind=audit', { authorization: `Basic ${adminToken}` })).body;
  await gw.logs!.flush();
});

afterAll(async () => {
  await gw?.close();
  await echo?.close();
});

async function allLogFiles(): Promise<Map<string, string>> {
  const dir = join(gw.dir, 'log');
  const files = new Map<string, string>();
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true }))
    if (entry.isFile()) files.set(entry.name, await readFile(join(entry.parentPath, entry.name), 'utf8'));
  return files;
}

describe('log privacy end to end', () => {
  it('wrote the traffic: access lines for every request, audit lines for each failure', async () => {
    const files = await allLogFiles();
    const text = [...files.values()].join('');
    const lines = text
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    const access = lines.filter((l) => 'decision' in l);
    expect(access.length).toBeGreaterThanOrEqual(12);
    expect(access.every((l) => !String(l.path).includes('?'))).toBe(true);
    const audit = lines.filter((l) => 'seq' in l).map((l) => [l.type, l.reason ?? null]);
    expect(audit).toEqual(
      expect.arrayContaining([
        ['auth_failure', 'bad_password'],
        ['auth_failure', 'unknown_user'],
        ['login', null],
        ['logout', null],
      ]),
    );
  });

  it('holds no password, Basic header, credential token, cookie value or query value', async () => {
    const files = await allLogFiles();
    expect(carried.length).toBeGreaterThanOrEqual(8);
    for (const [name, text] of files) {
      for (const secret of [...Object.values(P), 'Basic ', ...carried, COOKIE, ...QUERY]) {
        expect(text.includes(secret), `${name} contains ${secret}`).toBe(false);
      }
    }
  });

  it('gives the tenant admin audit lines that hold none of them either', () => {
    expect(logsAnswer).toContain('"auth_failure"');
    for (const secret of [...Object.values(P), 'Basic ', ...carried, COOKIE, ...QUERY])
      expect(logsAnswer.includes(secret), secret).toBe(false);
  });
});
