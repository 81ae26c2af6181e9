/**
 * The fleet's state in a real `redis-server`: two `resultgate serve` processes with one policy
 * (each with its own state directory and logs, as two machines would have) — a lockout caused
 * through one is enforced by the other, a logout through one is honoured by the other; Redis
 * stopped mid-test: both keep serving and keep refusing the locked user; Redis back: shared again.
 */
import { join } from 'node:path';
import type { PolicyInput } from '@resultgate/gateway';
import { expect, it } from 'vitest';
import { httpRequest, httpsRequest, startEchoUpstream } from './helpers/index.js';
import { startRedis } from './helpers/redis.js';
import {
  basicHeader,
  cheapHash,
  formBrowser,
  type ServeProcess,
  serveDir,
  spawnServe,
} from './helpers/serve.js';

const names = ['admin', 'ann', 'bob', 'cy', 'dee', 'eve', 'fay'];
const password = (name: string) => `Pw-${name}-2026!`;
const tenants: PolicyInput['tenants'] = {
  'school-a': {
    hosts: ['school-a.localhost'],
    lockout: { maxFailures: 3, window: '15m', duration: '15m' },
    users: Object.fromEntries(
      names.map((n) => [n, { passwordHash: cheapHash(password(n)), roles: n === 'admin' ? ['admin'] : [] }]),
    ),
    zones: [
      { name: 'admin', path: '/admin', auth: 'form', roles: ['admin'] },
      { name: 'api', path: '/api', auth: 'basic' },
    ],
  },
};

async function sharedUp(gw: ServeProcess): Promise<number | undefined> {
  const res = await httpRequest({ port: gw.adminPort!, host: '127.0.0.1', path: '/metrics' });
  const m = /^resultgate_shared_state_up (\d)/m.exec(res.body);
  return m ? Number(m[1]) : undefined;
}

async function waitFor(what: string, check: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

it('shares lockouts and logouts between two gateways through Redis, and survives its outage', async () => {
  let redis = await startRedis();
  const echo = await startEchoUpstream();
  const dir = await serveDir({ upstream: echo.url, tenants });
  const gws: ServeProcess[] = [];
  try {
    // One policy; each process its own state directory and logs (two machines).
    const policyOf = (n: string): PolicyInput => ({
      ...dir.policy,
      logs: { dir: join(dir.dir, n, 'log') },
      sharedState: { dir: join(dir.dir, n, 'state'), redis: { url: redis.url } },
    });
    const files = ['a', 'b'].map((n) => join(dir.dir, `policy-${n}.json`));
    const { writeFile } = await import('node:fs/promises');
    for (const [i, n] of ['a', 'b'].entries())
      await writeFile(files[i]!, JSON.stringify(policyOf(n), null, 2));
    const a = await spawnServe(files[0]!);
    gws.push(a);
    const b = await spawnServe(files[1]!);
    gws.push(b);
    await waitFor(
      'both gateways on Redis',
      async () => (await sharedUp(a)) === 1 && (await sharedUp(b)) === 1,
    );
    const api = (gw: ServeProcess, user: string, pw = password(user)) =>
      httpsRequest({
        port: gw.httpsPort,
        path: '/api/x',
        headers: { accept: 'application/json', ...basicHeader(user, pw) },
      });

    // A lockout caused through A is enforced by B — also for a header B had already cached.
    expect((await api(b, 'ann')).status).toBe(200);
    for (let i = 0; i < 3; i++) await api(a, 'ann', `typo-${i}`);
    expect((await api(a, 'ann')).status).toBe(429);
    await waitFor('B refusing ann', async () => (await api(b, 'ann')).status === 429, 5000);
    for (let i = 0; i < 3; i++) await api(b, 'bob', `typo-${i}`);
    expect((await api(a, 'bob')).status).toBe(429);

    // A logout through A is honoured by B (the same session keys: one policy).
    const browser = formBrowser(() => a.httpsPort);
    expect((await browser.login('admin', password('admin'))).status).toBe(303);
    const cookie = [...browser.jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const onB = () =>
      httpsRequest({
        port: b.httpsPort,
        path: '/admin/home',
        headers: { accept: 'application/json', cookie },
      });
    expect((await onB()).status).toBe(200);
    expect((await browser.logout()).status).toBe(303);
    await waitFor('B refusing the ended session', async () => (await onB()).status === 401, 5000);

    // Redis stops: both keep serving, and keep refusing the locked users.
    await redis.stop();
    await waitFor(
      'both on their local store',
      async () => (await sharedUp(a)) === 0 && (await sharedUp(b)) === 0,
    );
    for (const gw of [a, b]) {
      expect((await api(gw, 'cy')).status).toBe(200);
      expect((await api(gw, 'ann')).status).toBe(429);
      expect((await api(gw, 'bob')).status).toBe(429);
    }
    expect((await onB()).status).toBe(401);
    expect(a.stderr()).toMatch(/shared state \(Redis\) unreachable/);
    // A lockout during the outage, through B only.
    for (let i = 0; i < 3; i++) await api(b, 'dee', `typo-${i}`);
    expect((await api(b, 'dee')).status).toBe(429);

    // Redis back (empty: it kept nothing on disk): shared again, nobody unlocked by the outage.
    redis = await startRedis(redis.port);
    await waitFor('both back on Redis', async () => (await sharedUp(a)) === 1 && (await sharedUp(b)) === 1);
    await waitFor(
      'A learning the lockout B made during the outage',
      async () => (await api(a, 'dee')).status === 429,
    );
    for (const gw of [a, b]) expect((await api(gw, 'ann')).status).toBe(429);
    for (let i = 0; i < 3; i++) await api(a, 'eve', `typo-${i}`);
    await waitFor('B refusing eve', async () => (await api(b, 'eve')).status === 429, 5000);
    expect((await api(b, 'fay')).status).toBe(200);
  } finally {
    await Promise.all(gws.map((g) => g.stop()));
    await redis.stop();
    await dir.remove();
    await echo.close();
  }
}, 180_000);
