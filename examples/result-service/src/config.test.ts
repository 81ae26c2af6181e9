import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { identityHeaders } from '@resultgate/gateway/identity';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadServiceConfig } from './config.js';
import { signWebhook } from './notify/webhooks.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rs-config-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const write = (name: string, content: unknown) => {
  const file = join(dir, name);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
};

describe('loadServiceConfig', () => {
  it('takes the listening address, public base URL and webhooks from the file, the environment winning', () => {
    write('hook.secret', 'whsec_ZmlsZS1zZWNyZXQ=\n');
    const file = write('service.json', {
      listen: { host: '127.0.0.1', port: 4000 },
      publicBaseUrl: 'https://{tenant}.results.example.jp/',
      tenants: {
        'school-a': { webhook: { url: 'https://sis.example/hooks', secretFile: 'hook.secret' } },
        'acme-hr': {
          publicBaseUrl: 'https://hr.example.com',
          notifyWebhook: { url: 'https://hr.example/notify', secret: 'whsec_aW5saW5l' },
        },
      },
    });
    const config = loadServiceConfig(file, {
      PORT: '0',
      WEBHOOK_URL: 'https://override.example/hooks',
      WEBHOOK_SECRET: 'whsec_ZW52',
      WEBHOOK_TENANTS: 'acme-hr',
    });
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 0,
      publicBaseUrl: 'https://{tenant}.results.example.jp',
      recipientUrls: { 'acme-hr': 'https://hr.example.com/r' },
      webhooks: {
        'school-a': { url: 'https://sis.example/hooks', secret: 'whsec_ZmlsZS1zZWNyZXQ=' },
        'acme-hr': { url: 'https://override.example/hooks', secret: 'whsec_ZW52' },
      },
      notifyWebhooks: { 'acme-hr': { url: 'https://hr.example/notify', secret: 'whsec_aW5saW5l' } },
    });
  });

  it('defaults without a file', () => {
    expect(loadServiceConfig(undefined, {})).toMatchObject({ host: '127.0.0.1', port: 3000, webhooks: {} });
  });

  it('lists every problem, one a line, with its path', () => {
    const file = write('bad.json', {
      listen: { port: 70000 },
      publicBaseUrl: 'ftp://x',
      tenants: { 'School A': {}, b: { webhook: { url: 'not a url', secret: 's', secretFile: 'f' } } },
      extra: 1,
    });
    expect(() => loadServiceConfig(file, { PORT: 'eighty' })).toThrow(
      [
        `invalid configuration (${file}):`,
        '  PORT: must be a port number (0-65535)',
        '  listen.port: must be a port number (0-65535)',
        '  publicBaseUrl: must be an http(s) URL',
        '  tenants.School A: Invalid key in record',
        '  tenants.b.webhook.url: must be an http(s) URL',
        '  tenants.b.webhook: give exactly one of secret and secretFile',
        '  extra: is not a known field',
      ].join('\n'),
    );
    expect(() => loadServiceConfig(undefined, { WEBHOOK_URL: 'https://hooks.example' })).toThrow(
      'WEBHOOK_TENANTS: name the tenants WEBHOOK_URL is for',
    );
  });
});

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

describe('the standalone service (main.ts) with a configuration file', () => {
  it('listens where configured, and sends status webhooks to the configured URL, signed with the configured secret', {
    timeout: 60_000,
  }, async () => {
    const got: { headers: Record<string, unknown>; body: string }[] = [];
    const receiver = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      got.push({ headers: req.headers, body: Buffer.concat(chunks).toString() });
      res.writeHead(204).end();
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/status`;
    const secret = 'whsec_Y29uZmlndXJlZC1zZWNyZXQ=';
    write('hook.secret', `${secret}\n`);
    write('identity.key', 'configured-identity-key-0123456789\n');
    const file = write('service.json', {
      listen: { host: '127.0.0.1', port: 0 },
      publicBaseUrl: 'https://{tenant}.results.example.jp',
      dbFile: 'results.db',
      identitySecretFile: join(dir, 'identity.key'),
      outboxDir: join(dir, 'outbox'),
      tenants: { 'school-a': { webhook: { url: hookUrl, secretFile: 'hook.secret' } } },
    });
    let child: ChildProcess | undefined;
    try {
      child = spawn(process.execPath, ['--conditions=source', '--import', TSX, MAIN, '--config', file], {
        cwd: dir,
        env: { PATH: process.env.PATH ?? '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout?.on('data', (d) => (out += d));
      child.stderr?.on('data', (d) => (out += d));
      const until = Date.now() + 30_000;
      // The status-webhooks line comes right after the listening line.
      while (!out.includes('status webhooks for') && Date.now() < until)
        await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 50));
      const base = /listening on (http:\S+)/.exec(out)?.[1];
      expect(base, out).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(out).toContain('status webhooks for school-a');
      const request = { method: 'POST', target: '/api/v1/results' };
      const identity = { tenant: 'school-a', user: 'hr-sync', roles: ['integration'], requestId: 'cfg-1' };
      const res = await fetch(`${base}${request.target}`, {
        method: 'POST',
        headers: {
          ...identityHeaders('configured-identity-key-0123456789', identity, request),
          'content-type': 'application/json',
        },
        body: JSON.stringify({
          externalId: 'cfg-1',
          recipient: { id: 'R-1', email: 'r1@example.jp' },
          title: 't',
          outcome: 'o',
        }),
      });
      expect(res.status).toBe(201);
      const published = () => got.find((h) => h.body.includes('"result.published"'));
      while (!published() && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      const hook = published();
      expect(JSON.parse(hook?.body ?? '{}')).toMatchObject({
        type: 'result.published',
        data: { externalId: 'cfg-1' },
      });
      const [id, ts] = [String(hook?.headers['webhook-id']), Number(hook?.headers['webhook-timestamp'])];
      expect(hook?.headers['webhook-signature']).toBe(signWebhook(secret, id, ts, hook?.body ?? ''));
      expect(readFileSync(join(dir, 'results.db')).length).toBeGreaterThan(0); // the configured file
      // The recipient's e-mail links to the configured public base URL.
      const outbox = join(dir, 'outbox', 'school-a');
      const mail = () =>
        existsSync(outbox) ? readdirSync(outbox).map((f) => readFileSync(join(outbox, f), 'utf8')) : [];
      const url = 'https://school-a.results.example.jp/r';
      while (!mail().join('').includes(url) && Date.now() < until)
        await new Promise((r) => setTimeout(r, 50));
      expect(mail().join('')).toContain(url);
    } finally {
      child?.kill('SIGTERM');
      await new Promise((r) => receiver.close(r));
    }
  });
});
