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
  it.each(['import', 'send', 'status', 'errors', 'sendMany', 'node', 'webhooks'])(
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
