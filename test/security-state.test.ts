/**
 * Fair lockouts and state that survives a restart, with real `resultgate serve` processes over
 * real TLS: 30 users behind one address (one locked, 29 let in), a spray over 60 names from one
 * address stopped, a logout and a lockout that both outlive a restart, and `users unlock`.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PolicyInput } from '@resultgate/gateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EchoUpstream, httpsRequest, startEchoUpstream } from './helpers/index.js';
import {
  basicHeader,
  cheapHash,
  formBrowser,
  runCli,
  type ServeDir,
  type ServeProcess,
  serveDir,
  spawnServe,
} from './helpers/serve.js';

const names = Array.from({ length: 30 }, (_, i) => `staff${String(i + 1).padStart(2, '0')}`);
const password = (name: string) => `Pw-${name}-2026!`;
const users = Object.fromEntries(
  names.map((n, i) => [n, { passwordHash: cheapHash(password(n)), roles: i === 0 ? ['admin'] : ['staff'] }]),
);
const tenant = (host: string): PolicyInput['tenants'][string] => ({
  hosts: [host],
  // One person's typos lock that person; the address has its own, higher threshold (default 50).
  lockout: { maxFailures: 3, window: '15m', duration: '15m' },
  users,
  zones: [
    { name: 'admin', path: '/admin', auth: 'form', roles: ['admin'] },
    { name: 'api', path: '/api', auth: 'basic' },
  ],
});

let echo: EchoUpstream;
let dir: ServeDir;
let gw: ServeProcess | undefined;

beforeAll(async () => {
  echo = await startEchoUpstream();
  dir = await serveDir({
    upstream: echo.url,
    tenants: { 'school-a': tenant('school-a.localhost'), 'school-b': tenant('school-b.localhost') },
  });
  gw = await spawnServe(dir.policyFile);
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  await dir?.remove();
  await echo?.close();
});

const api = (host: string, headers: Record<string, string>) =>
  httpsRequest({
    port: gw!.httpsPort,
    host,
    path: '/api/v1/results',
    headers: { accept: 'application/json', ...headers },
  });

describe('fair lockouts (one address, many people)', () => {
  it('locks the one of 30 users behind one address who mistyped, and lets the other 29 in', async () => {
    const host = 'school-a.localhost';
    const victim = 'staff07';
    const answers: number[] = [];
    for (let i = 0; i < 8; i++) answers.push((await api(host, basicHeader(victim, `typo-${i}`))).status);
    // Two wrong guesses, the third locks; the guesses after it are refused unverified and uncounted.
    expect(answers).toEqual([401, 401, 429, 429, 429, 429, 429, 429]);
    const locked = await api(host, basicHeader(victim, password(victim)));
    expect(locked.status).toBe(429);
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(800);
    expect(locked.json().error.message).toMatch(/Locked until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/);
    for (const name of names.filter((n) => n !== victim)) {
      const res = await api(host, basicHeader(name, password(name)));
      expect(res.status, name).toBe(200);
    }
  }, 120_000);

  it('stops a password spray over 60 user names from one address at addressMaxFailures', async () => {
    const host = 'school-b.localhost';
    const statuses: number[] = [];
    for (let i = 0; i < 60; i++)
      statuses.push((await api(host, basicHeader(`guess${i}`, 'Spring2026!'))).status);
    expect(statuses.slice(0, 49).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(49).every((s) => s === 429)).toBe(true);
    // The spraying address gets no further guesses, not even a real user's right password.
    expect((await api(host, basicHeader('staff02', password('staff02')))).status).toBe(429);
    // The audit writer appends asynchronously (hash chain, then fsync): wait for the line, bounded.
    const readAudit = async () =>
      readFile(join(dir.dir, 'log', 'school-b', (await auditFiles('school-b'))[0]!), 'utf8');
    const deadline = Date.now() + 10_000;
    let audit = await readAudit();
    while (!audit.includes('"scope":"address"') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      audit = await readAudit();
    }
    expect(audit).toContain('"scope":"address"');
  }, 120_000);
});

async function auditFiles(tenantId: string): Promise<string[]> {
  return (await readdir(join(dir.dir, 'log', tenantId)))
    .filter((f) => /^audit-\d{4}-\d\d-\d\d\.jsonl$/.test(f))
    .sort();
}

describe('state that survives a restart', () => {
  it('keeps a logout and a lockout across a restart; users unlock ends the lockout at once', async () => {
    const host = 'school-a.localhost';
    const b = formBrowser(() => gw!.httpsPort, host);
    expect((await b.login('staff01', password('staff01'))).status).toBe(303);
    expect((await b.get('/admin/home')).status).toBe(200);
    const oldCookie = [...b.jar].map(([k, v]) => `${k}=${v}`).join('; ');
    expect((await b.logout()).status).toBe(303);
    const replay = () =>
      httpsRequest({
        port: gw!.httpsPort,
        host,
        path: '/admin/home',
        headers: { accept: 'application/json', cookie: oldCookie },
      });
    expect((await replay()).status).toBe(401);
    // A lockout of staff09 through the login form (the same counters as Basic auth).
    for (let i = 0; i < 3; i++) await b.login('staff09', `typo-${i}`);
    expect((await api(host, basicHeader('staff09', password('staff09')))).status).toBe(429);

    expect(await gw!.stop()).toBe(0);
    gw = await spawnServe(dir.policyFile);

    expect((await replay()).status).toBe(401);
    expect((await api(host, basicHeader('staff09', password('staff09')))).status).toBe(429);
    expect((await api(host, basicHeader('staff07', password('staff07')))).status).toBe(429);
    expect((await api(host, basicHeader('staff10', password('staff10')))).status).toBe(200);

    // The operator unlocks staff09 while the gateway runs: the next request is let in.
    const unlocked = await runCli([
      'users',
      'unlock',
      '--tenant',
      'school-a',
      'staff09',
      '--policy',
      dir.policyFile,
    ]);
    expect(unlocked.stdout).toContain('unlocked user staff09 in tenant school-a');
    expect(unlocked.code).toBe(0);
    expect((await api(host, basicHeader('staff09', password('staff09')))).status).toBe(200);
    const address = await runCli([
      'users',
      'unlock',
      '--tenant',
      'school-b',
      '--address',
      '127.0.0.1',
      '--policy',
      dir.policyFile,
    ]);
    expect(address.stdout).toContain('unlocked address 127.0.0.1 in tenant school-b');
    expect((await api('school-b.localhost', basicHeader('staff02', password('staff02')))).status).toBe(200);
    const files = await auditFiles('school-a');
    const lines = (await readFile(join(dir.dir, 'log', 'school-a', files.at(-1)!), 'utf8'))
      .trim()
      .split('\n');
    expect(lines.map((l) => JSON.parse(l)).filter((e) => e.type === 'unlock')).toMatchObject([
      { user: 'staff09', reason: 'cli', wasLocked: true },
    ]);
    const verify = await runCli(['logs', 'verify', join(dir.dir, 'log')]);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  }, 180_000);
});
