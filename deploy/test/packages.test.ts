/**
 * The packages as a user gets them: `npm pack` both (their `prepack` builds dist/), install the
 * tarballs into an empty folder outside the workspace with production dependencies only (from
 * the npm registry), then run what was installed — the SDK from ESM and from CommonJS against the
 * installed gateway's `resultgate serve` in front of the reference result service, and the CLI
 * started every way a user starts it (bin symlink, npx, `node …/dist/cli.js`).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { seedDemo, startResultService } from '@resultgate/example-result-service';
import { hashPassword } from '@resultgate/gateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoSecrets } from '../../scripts/demo-secrets.js';
import { REPO } from './docker.js';
import { cleanEnv, run, sleep } from './run.js';

const VERSION = JSON.parse(await readFile(join(REPO, 'packages/gateway/package.json'), 'utf8')).version;
const PASSWORD = 'Packed-Sync-2026!';
/** Node 24 first on PATH: the bin's `#!/usr/bin/env node` and npm's children run on it. */
const env = cleanEnv({ PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH}` });

let dir: string;
let app: string;
let packed: { name: string; filename: string; files: { path: string }[] }[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rg-packages-'));
  const pack = await run(
    'npm',
    ['pack', '-w', '@resultgate/gateway', '-w', '@resultgate/sdk', '--pack-destination', dir, '--json'],
    { cwd: REPO, env, timeoutMs: 600_000 },
  );
  // prepack's build output comes first on stdout; the JSON report is the last thing printed.
  packed = JSON.parse(pack.stdout.slice(pack.stdout.lastIndexOf('\n[')));
  app = join(dir, 'app');
  await mkdir(app);
  await writeFile(join(app, 'package.json'), '{ "name": "try-resultgate", "private": true }\n');
  await run(
    'npm',
    ['install', '--omit=dev', '--no-audit', '--no-fund', ...packed.map((p) => join(dir, p.filename))],
    { cwd: app, env, timeoutMs: 600_000 },
  );
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const cli = (args: string[], node = process.execPath) =>
  run(node, [join(app, 'node_modules/@resultgate/gateway/dist/cli.js'), ...args], {
    cwd: app,
    env,
    allowFailure: true,
  });

describe('the packed packages', () => {
  it('hold their built files and the metadata a registry needs, no sources or tests', async () => {
    const byName = Object.fromEntries(packed.map((p) => [p.name, p]));
    const gatewayFiles = byName['@resultgate/gateway']!.files.map((f) => f.path);
    const sdkFiles = byName['@resultgate/sdk']!.files.map((f) => f.path);
    expect(gatewayFiles).toEqual(
      expect.arrayContaining([
        'dist/cli.js',
        'dist/index.js',
        'dist/index.d.ts',
        'dist/testing.js',
        'dist/testing.d.ts',
        'policy.schema.json',
      ]),
    );
    expect(sdkFiles).toEqual(
      expect.arrayContaining(['dist/index.js', 'dist/index.cjs', 'dist/index.d.cts', 'README.md']),
    );
    for (const f of [...gatewayFiles, ...sdkFiles]) expect(f).not.toMatch(/^src\/|\.test\.|tsup\.config/);
    for (const name of ['gateway', 'sdk']) {
      const pkg = JSON.parse(
        await readFile(join(app, 'node_modules/@resultgate', name, 'package.json'), 'utf8'),
      );
      expect(pkg.version).toBe(VERSION);
      expect(pkg.license).toBe('MIT');
      expect(pkg.repository).toMatchObject({ type: 'git', directory: `packages/${name}` });
      expect(pkg.publishConfig).toEqual({ access: 'public' });
      expect(pkg.engines.node).toMatch(/^>=\d+/);
    }
  });

  it('install with production dependencies only', () => {
    expect(existsSync(join(app, 'node_modules/hono/package.json'))).toBe(true);
    expect(existsSync(join(app, 'node_modules/ky/package.json'))).toBe(true);
    for (const dev of ['fast-check', 'tsup', 'vitest', 'typescript', 'tsx']) {
      expect(existsSync(join(app, 'node_modules', dev)), dev).toBe(false);
    }
  });

  it('resultgate --version however it is started: bin symlink, npx, node dist/cli.js', async () => {
    const bin = await run(join(app, 'node_modules/.bin/resultgate'), ['--version'], { cwd: app, env });
    expect(bin.stdout).toBe(`${VERSION}\n`);
    const npx = await run('npx', ['--no-install', 'resultgate', '--version'], { cwd: app, env });
    expect(npx.stdout).toBe(`${VERSION}\n`);
    const direct = await cli(['--version']);
    expect(direct.stdout).toBe(`${VERSION}\n`);
    // And a command through the symlink does its work (the old entry check printed nothing here).
    const help = await run(join(app, 'node_modules/.bin/resultgate'), ['--help'], { cwd: app, env });
    expect(help.stdout).toMatch(/^Usage: resultgate <command>/);
  });

  it('refuses a Node older than 24 with one line', async (ctx) => {
    const old = ['/usr/bin/node', '/usr/local/bin/node'].find((n) => existsSync(n));
    const version = old ? (await run(old, ['--version'])).stdout.trim() : '';
    if (!old || Number(version.slice(1).split('.')[0]) >= 24) ctx.skip(); // no older Node on this machine
    const ran = await cli(['--version'], old);
    expect(ran.code).toBe(1);
    expect(ran.stdout).toBe('');
    expect(ran.stderr).toBe(
      `resultgate: needs Node 24 or newer; this is Node ${version.slice(1)} (${old})\n`,
    );
  });

  it('check, then serve in front of the result service, used by the SDK from ESM and CommonJS', async () => {
    // The reference result service (from the workspace), and the installed gateway in front.
    await demoSecrets(join(app, 'etc'));
    const identity = (await readFile(join(app, 'etc/keys/identity.key'), 'utf8')).trim();
    const service = await startResultService({
      dbFile: ':memory:',
      port: 0,
      host: '127.0.0.1',
      identitySecret: Buffer.from(identity),
    });
    seedDemo(service, ['school-a']);
    let serve: ChildProcess | undefined;
    try {
      const policy = {
        version: 1,
        server: {
          https: { port: 0, host: '127.0.0.1', certFile: 'etc/tls/cert.pem', keyFile: 'etc/tls/key.pem' },
          admin: { port: 0, host: '127.0.0.1' },
          upstream: { url: service.url },
        },
        sessions: { secretFile: 'etc/keys/session.key' },
        identity: { secretFile: 'etc/keys/identity.key' },
        logs: { dir: 'log' },
        tenants: {
          'school-a': {
            hosts: ['school-a.localhost'],
            users: { 'school-sync': { passwordHash: await hashPassword(PASSWORD), roles: ['integration'] } },
            zones: [{ name: 'api', path: '/api', auth: 'basic', roles: ['integration'] }],
          },
        },
      };
      await writeFile(join(app, 'policy.json'), JSON.stringify(policy, null, 2));
      const check = await run(join(app, 'node_modules/.bin/resultgate'), ['check'], {
        cwd: app,
        env,
        allowFailure: true,
      });
      expect(check.code, check.stdout + check.stderr).toBe(0);
      await writeFile(join(app, 'broken.json'), '{ "version": 1 }');
      const broken = await run(
        join(app, 'node_modules/.bin/resultgate'),
        ['check', '--policy', 'broken.json'],
        {
          cwd: app,
          env,
          allowFailure: true,
        },
      );
      expect(broken.code).toBe(1);

      serve = spawn(join(app, 'node_modules/.bin/resultgate'), ['serve'], {
        cwd: app,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      serve.stdout!.on('data', (d) => (out += d));
      serve.stderr!.on('data', (d) => (out += d));
      const exited = new Promise<number | null>((resolve) => serve!.on('exit', (code) => resolve(code)));
      for (let waited = 0; !/admin 127\.0\.0\.1:\d+/.test(out) && waited < 30_000; waited += 100)
        await sleep(100);
      const httpsPort = Number(/https 127\.0\.0\.1:(\d+)/.exec(out)?.[1]);
      expect(httpsPort, out).toBeGreaterThan(0);

      const sdkEnv = {
        ...env,
        BASE_URL: `https://school-a.localhost:${httpsPort}`,
        PASSWORD,
        CA_FILE: join(app, 'etc/tls/cert.pem'),
      };
      await writeFile(join(app, 'esm.mjs'), ESM_SCRIPT);
      await writeFile(join(app, 'cjs.cjs'), CJS_SCRIPT);
      for (const script of ['esm.mjs', 'cjs.cjs']) {
        const ran = await run(process.execPath, [script], { cwd: app, env: sdkEnv, allowFailure: true });
        expect(ran.stderr, script).toBe('');
        expect(JSON.parse(ran.stdout), script).toEqual({
          results: ['demo-001', 'demo-002', 'demo-003'],
          webhookVerified: true,
          wrongPassword: 'AuthenticationError',
        });
      }

      serve.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(out).toMatch(/draining…[\s\S]*stopped/);
    } finally {
      serve?.kill('SIGKILL');
      await service.close();
    }
  });
});

// The same program twice: as an ES module and as CommonJS (require of the packages' CJS builds).
const SDK_BODY = `
  const fetch = createNodeFetch({ resolve: LOCALHOST_RESOLVE, ca: readFileSync(process.env.CA_FILE, 'utf8') });
  const client = new ResultClient({ baseUrl: process.env.BASE_URL, username: 'school-sync', password: process.env.PASSWORD, fetch });
  const results = [];
  for await (const r of client.results.list()) results.push(r.externalId);
  const wrong = new ResultClient({ baseUrl: process.env.BASE_URL, username: 'school-sync', password: 'wrong-password-1', fetch });
  let wrongPassword = 'no error';
  try { await wrong.results.list(); } catch (err) { wrongPassword = err.constructor.name; }
  const body = JSON.stringify({ type: 'result.viewed' });
  const secret = 'whsec_' + btoa('packed-webhook-secret-2026');
  const ts = Math.floor(Date.now() / 1000);
  const signature = await signWebhook(secret, 'msg_1', ts, body);
  const headers = { 'webhook-id': 'msg_1', 'webhook-timestamp': String(ts), 'webhook-signature': signature };
  const webhookVerified = (await verifyWebhook(body, headers, secret)).id === 'msg_1';
  console.log(JSON.stringify({ results: results.sort(), webhookVerified, wrongPassword }));
`;
const ESM_SCRIPT = `import { readFileSync } from 'node:fs';
import { ResultClient } from '@resultgate/sdk';
import { createNodeFetch, LOCALHOST_RESOLVE } from '@resultgate/sdk/node';
import { signWebhook, verifyWebhook } from '@resultgate/sdk/webhooks';
${SDK_BODY}`;
const CJS_SCRIPT = `const { readFileSync } = require('node:fs');
const { ResultClient } = require('@resultgate/sdk');
const { createNodeFetch, LOCALHOST_RESOLVE } = require('@resultgate/sdk/node');
const { signWebhook, verifyWebhook } = require('@resultgate/sdk/webhooks');
(async () => {${SDK_BODY}})().catch((err) => { console.error(err); process.exitCode = 1; });`;
