/**
 * `resultgate serve --workers 2` as a real process tree: connections are spread over the workers
 * (a new TLS connection per request), and each of these must hold whichever worker answers — a
 * lockout (also for a header every worker had cached), a logout, a reload; every access line is
 * a whole line; the audit chain is one chain (`logs verify`, seq without gaps or repeats); SIGTERM
 * lets an in-flight request finish and stops every worker.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PolicyInput } from '@resultgate/gateway';
import { expect, it } from 'vitest';
import { httpsRequest, startEchoUpstream } from './helpers/index.js';
import {
  basicHeader,
  cheapHash,
  formBrowser,
  runCli,
  type ServeProcess,
  serveDir,
  spawnServe,
} from './helpers/serve.js';

const password = (name: string) => `Pw-${name}-2026!`;
const user = (name: string, roles: string[] = []) => ({ passwordHash: cheapHash(password(name)), roles });

it('shares lockouts, logouts and reloads across workers, keeps one audit chain, and drains all on SIGTERM', async () => {
  const echo = await startEchoUpstream({
    handle: (req, res) => {
      if (req.url !== '/api/slow') return false;
      setTimeout(() => res.end('slow done'), 1500);
      return true;
    },
  });
  const tenants: PolicyInput['tenants'] = {
    'school-a': {
      hosts: ['school-a.localhost'],
      lockout: { maxFailures: 3, window: '15m', duration: '15m' },
      users: { admin: user('admin', ['admin']), ann: user('ann'), bob: user('bob') },
      zones: [
        { name: 'admin', path: '/admin', auth: 'form', roles: ['admin'] },
        { name: 'api', path: '/api', auth: 'basic' },
      ],
    },
  };
  const dir = await serveDir({ upstream: echo.url, tenants });
  let gw: ServeProcess | undefined;
  let requests = 0;
  try {
    gw = await spawnServe(dir.policyFile, ['--workers', '2']);
    const api = (name: string, pw = password(name), path = '/api/x') => {
      requests++;
      return httpsRequest({
        port: gw!.httpsPort,
        path,
        headers: { accept: 'application/json', ...basicHeader(name, pw) },
      });
    };
    const statuses = async (n: number, call: () => ReturnType<typeof api>) => {
      const out = new Set<number>();
      for (let i = 0; i < n; i++) out.add((await call()).status);
      return [...out];
    };

    // Every worker caches ann's header, then ann is locked through whichever workers answer.
    expect(await statuses(10, () => api('ann'))).toEqual([200]);
    for (let i = 0; i < 3; i++) await api('ann', `typo-${i}`);
    expect(await statuses(10, () => api('ann'))).toEqual([429]);
    expect(await statuses(6, () => api('bob'))).toEqual([200]);

    // A logout on one worker is honoured by all.
    const b = formBrowser(() => gw!.httpsPort);
    requests += 2;
    expect((await b.login('admin', password('admin'))).status).toBe(303);
    const cookie = [...b.jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const admin = () => {
      requests++;
      return httpsRequest({
        port: gw!.httpsPort,
        path: '/admin/home',
        headers: { accept: 'application/json', cookie },
      });
    };
    expect(await statuses(6, admin)).toEqual([200]);
    requests += 2;
    expect((await b.logout()).status).toBe(303);
    expect(await statuses(10, admin)).toEqual([401]);

    // One reload reaches every worker.
    const next = structuredClone(dir.policy);
    next.tenants['school-a']!.users!.cy = user('cy');
    await dir.writePolicy(next);
    const deadline = Date.now() + 15_000;
    while (!gw.stdout().includes('policy reloaded') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 500)); // the workers build their apps
    expect(await statuses(10, () => api('cy'))).toEqual([200]);

    // SIGTERM: the in-flight request finishes, every worker stops, the primary exits 0.
    const slow = api('bob', password('bob'), '/api/slow');
    await new Promise((r) => setTimeout(r, 300));
    const code = await gw.stop();
    expect((await slow).body).toBe('slow done');
    expect(code).toBe(0);
    expect(gw.stdout()).toContain('resultgate: stopped');
    gw = undefined;

    // Access lines: whole, one per request, from both workers into one file per tenant and day.
    const logDir = join(dir.dir, 'log', 'school-a');
    const files = await readdir(logDir);
    let access: Array<Record<string, unknown>> = [];
    for (const f of files.filter((f) => f.startsWith('access-')))
      access = access.concat(
        (await readFile(join(logDir, f), 'utf8'))
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l)),
      );
    expect(access.length).toBeGreaterThanOrEqual(requests);
    // The audit chain: one chain, seq 1..n, one reload line, verified by the CLI.
    const audit = (
      await Promise.all(
        files
          .filter((f) => /^audit-\d{4}/.test(f))
          .sort()
          .map((f) => readFile(join(logDir, f), 'utf8')),
      )
    )
      .join('')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(audit.map((e) => e.seq)).toEqual(audit.map((_, i) => i + 1));
    expect(audit.filter((e) => e.type === 'lockout')).toHaveLength(1);
    expect(audit.filter((e) => e.type === 'logout')).toHaveLength(1);
    const gatewayAudit = (await readdir(join(dir.dir, 'log', '_gateway'))).filter((f) =>
      /^audit-\d{4}/.test(f),
    );
    const reloads = (
      await Promise.all(gatewayAudit.map((f) => readFile(join(dir.dir, 'log', '_gateway', f), 'utf8')))
    )
      .join('')
      .split('\n')
      .filter((l) => l.includes('"policy_reload"'));
    expect(reloads).toHaveLength(1);
    const verify = await runCli(['logs', 'verify', join(dir.dir, 'log')]);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  } finally {
    await gw?.stop();
    await dir.remove();
    await echo.close();
  }
}, 180_000);
