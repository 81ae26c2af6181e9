import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ResultClient } from './client.js';
import * as snippets from './readme-snippets.js';
import { envelope, type Stub, startStub } from './test-stub.js';
import { signWebhook } from './webhooks.js';

const source = readFileSync(new URL('./readme-snippets.ts', import.meta.url), 'utf8');
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

/** The dedented body of `// #region name`. */
function region(name: string): string {
  const match = new RegExp(`// #region ${name}\\n([\\s\\S]*?)\\n\\s*// #endregion ${name}`).exec(source);
  if (!match?.[1]) throw new Error(`no region ${name}`);
  const lines = match[1].split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => /^ */.exec(l)?.[0].length ?? 0));
  return lines.map((l) => l.slice(indent)).join('\n');
}

let stub: Stub | undefined;
afterEach(async () => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
  await stub?.close();
  stub = undefined;
});

describe('README snippets', () => {
  const regions = [...source.matchAll(/\/\/ #region (\S+)/g)].map((m) => m[1]!);

  it('every TypeScript block of the README is a region here (so each one is compiled)', () => {
    const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)\n```/g)].map((m) => m[1]!);
    expect(blocks.length).toBeGreaterThanOrEqual(8);
    const bodies = regions.map(region);
    for (const block of blocks) expect(bodies, block.split('\n')[0]).toContain(block);
  });

  it.each(['import', 'send', 'status', 'errors', 'sendMany', 'diagnose', 'node', 'webhooks'])(
    'README shows region %s verbatim',
    (name) => {
      expect(readme).toContain(region(name));
    },
  );

  it('the five-line send runs', async () => {
    vi.spyOn(console, 'log').mockImplementation(() => {});
    stub = await startStub(() => ({
      status: 201,
      body: { id: 'r_1', status: 'scheduled', accessCode: 'A', pin: '1' },
    }));
    const real = globalThis.fetch;
    const url = stub.url;
    // Send the README's https://school-a.example.jp to the stub.
    vi.stubGlobal('fetch', (input: Request) =>
      real(new Request(input.url.replace('https://school-a.example.jp', url), input)),
    );
    expect(await snippets.sendOne()).toBe('r_1');
    expect(stub.requests[0]?.headers['idempotency-key']).toMatch(/^rg1-/);
  });

  it('reading statuses and errors run', async () => {
    vi.spyOn(console, 'log').mockImplementation(() => {});
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    stub = await startStub((req) => {
      if (req.url.endsWith('/status'))
        return { body: { id: 'r_1', status: 'viewed', steps: [{ status: 'viewed', at: 'x' }] } };
      if (req.method === 'POST')
        return {
          status: 422,
          body: envelope('validation_failed', { issues: [{ path: 'title', message: 'must not be empty' }] }),
        };
      return { body: { data: [{ id: 'r_1', externalId: 'E-1' }], nextCursor: null } };
    });
    const client = new ResultClient({ baseUrl: stub.url, username: 'u', password: 'p' });
    expect(await snippets.readStatuses(client, 'r_1')).toEqual(['E-1']);
    const item = { externalId: 'E-2', recipient: { id: 'A' }, title: '', outcome: '合格' };
    expect(await snippets.handleErrors(client, item)).toBe('validation_failed');
    expect(errors).toHaveBeenCalledWith('title: must not be empty');
  });

  it('sendMany with a report file runs', async () => {
    vi.spyOn(console, 'log').mockImplementation(() => {});
    stub = await startStub(() => ({
      body: { items: [{ index: 0, outcome: 'accepted', result: { id: 'r_1' } }] },
    }));
    const dir = await mkdtemp(join(tmpdir(), 'sdk-readme-'));
    try {
      const client = new ResultClient({ baseUrl: stub.url });
      const cohort = [{ externalId: 'E-1', recipient: { id: 'A' }, title: 't', outcome: 'o' }];
      const report = await snippets.sendCohort(client, cohort, join(dir, 'report.json'));
      expect(report.complete).toBe(true);
      const again = await snippets.sendCohort(client, cohort, join(dir, 'report.json'));
      expect(again.counts.resumed).toBe(1);
      expect(stub.requests).toHaveLength(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('diagnose runs and answers every field its README comment names', async () => {
    stub = await startStub((req) =>
      req.url.startsWith('/.gateway') ? { body: { notices: [] } } : { body: { data: [], nextCursor: null } },
    );
    const client = new ResultClient({ baseUrl: stub.url, username: 'u', password: 'p' });
    const d = await snippets.diagnoseOnce(client);
    expect(d.reachable.ok).toBe(true);
    expect(d.credentials.ok).toBe(true);
    const comment = /\/\/ \{ (.*) \}$/m.exec(region('diagnose'))![1]!;
    const named = comment
      .replace(/\{[^}]*\}/g, '')
      .split(/[,:]\s*/)
      .filter(Boolean);
    expect(named).toContain('addressAllowed');
    for (const key of named) expect(d, key).toHaveProperty(key);
    expect(d.maintenance).toMatchObject({ active: [], upcoming: [] });
  });

  it('the node client and the webhook handler run', async () => {
    vi.spyOn(console, 'log').mockImplementation(() => {});
    expect(snippets.demoClient('').baseUrl).toBe('https://school-a.localhost:8443/');
    const secret = `whsec_${btoa('0123456789abcdef0123456789abcdef')}`;
    const body = JSON.stringify({ type: 'result.viewed', data: { externalId: 'E-1' } });
    const ts = Math.floor(Date.now() / 1000);
    const headers = new Headers({
      'webhook-id': 'msg_1',
      'webhook-timestamp': String(ts),
      'webhook-signature': await signWebhook(secret, 'msg_1', ts, body),
    });
    expect(await snippets.onWebhook(body, headers, secret)).toBe('result.viewed');
  });
});
