/**
 * Upgrade on sign-in under `resultgate serve --workers 2`: users imported from htpasswd sign in
 * at once, through both workers; each worker writes its users' new scrypt hashes into the one
 * policy file. Every upgrade must be in the file afterwards — none dropped by another worker's
 * edit made at the same moment — and audited once. (Here the edits rarely meet within the few
 * milliseconds that decide it; the race itself is shown deterministically in policy/edit.test.ts,
 * where twelve edits at once kept one before edits took `<file>.lock`.)
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PolicyInput } from '@resultgate/gateway';
import { expect, it } from 'vitest';
import { httpsRequest, startEchoUpstream } from './helpers/index.js';
import { basicHeader, type ServeProcess, serveDir, spawnServe } from './helpers/serve.js';

// What `openssl passwd -apr1 -salt 12345678 secret` (and so htpasswd -m) writes for "secret".
const APR1_SECRET = '$apr1$12345678$0lqb/6VUFP8JY/s/jTrIk0';
const NAMES = Array.from({ length: 8 }, (_, i) => `imported-${i}`);

it('keeps every worker’s upgrade when several users sign in at once', async () => {
  const echo = await startEchoUpstream();
  const tenants: PolicyInput['tenants'] = {
    'school-a': {
      hosts: ['school-a.localhost'],
      users: Object.fromEntries(NAMES.map((n) => [n, { passwordHash: APR1_SECRET, roles: [] }])),
      zones: [{ name: 'api', path: '/api', auth: 'basic' }],
    },
  };
  const dir = await serveDir({ upstream: echo.url, tenants });
  let gw: ServeProcess | undefined;
  try {
    gw = await spawnServe(dir.policyFile, ['--workers', '2']);
    const port = gw.httpsPort;
    // Each request on a new TLS connection: the primary spreads them over both workers.
    const answers = await Promise.all(
      NAMES.map((n) =>
        httpsRequest({
          port,
          path: '/api/x',
          headers: { accept: 'application/json', ...basicHeader(n, 'secret') },
        }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(NAMES.map(() => 200));

    const hashes = async () => {
      const file = JSON.parse(await readFile(dir.policyFile, 'utf8')) as PolicyInput;
      const users = file.tenants['school-a']!.users!;
      // The hash's kind: `$apr1$…` as imported, `scrypt$…` once upgraded.
      return NAMES.map((n) => /^\$?([a-z0-9]+)\$/.exec(users[n]!.passwordHash)?.[1]);
    };
    const deadline = Date.now() + 30_000;
    while ((await hashes()).some((h) => h === 'apr1') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 200));
    expect(await hashes()).toEqual(NAMES.map(() => 'scrypt'));
    // The upgraded users still sign in, through either worker, with the same password.
    for (const n of NAMES.slice(0, 4)) {
      const again = await httpsRequest({
        port,
        path: '/api/x',
        headers: { accept: 'application/json', ...basicHeader(n, 'secret') },
      });
      expect(again.status).toBe(200);
    }
    const code = await gw.stop();
    gw = undefined;
    expect(code).toBe(0);

    const logDir = join(dir.dir, 'log', 'school-a');
    const audit = (
      await Promise.all(
        (
          await readdir(logDir)
        )
          .filter((f) => /^audit-\d{4}/.test(f))
          .map((f) => readFile(join(logDir, f), 'utf8')),
      )
    )
      .join('')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; user?: string; result?: string; to?: string });
    const upgraded = audit.filter((e) => e.type === 'password_upgraded');
    expect(upgraded.filter((e) => e.result === 'failed')).toEqual([]);
    expect(upgraded.map((e) => e.user).sort()).toEqual([...NAMES].sort());
  } finally {
    await gw?.stop();
    await dir.remove();
    await echo.close();
  }
}, 180_000);
