import { createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { devCertificate } from '../../../scripts/dev-cert.js';
import { ResultClient } from './client.js';
import { createNodeFetch, LOCALHOST_RESOLVE, resolveFromMap } from './node.js';
import { envelope, type Stub, startStub } from './test-stub.js';

let stub: Stub | undefined;
afterEach(async () => {
  await stub?.close();
  stub = undefined;
});

const upcoming = { start: '2099-12-01T01:00:00Z', end: '2099-12-01T03:00:00Z', message: '定期メンテナンス' };

describe('diagnose', () => {
  it('answers every question when all is well (plain http flagged)', async () => {
    stub = await startStub((req) =>
      req.url.startsWith('/.gateway') ? { body: { notices: [upcoming] } } : { body: { data: [] } },
    );
    const d = await new ResultClient({ baseUrl: stub.url, username: 'u', password: 'p' }).diagnose();
    expect(d).toMatchObject({
      reachable: { ok: true },
      tls: { ok: false },
      credentials: { ok: true },
      addressAllowed: { ok: true },
      maintenance: { ok: true, upcoming: [upcoming], active: [] },
      ok: false,
    });
    expect(d.maintenance.detail).toContain('2099-12-01T01:00:00Z');
    expect(d.requestIds).toEqual(['req-2']);
  });

  it('tells wrong credentials from a refused address', async () => {
    stub = await startStub((req) =>
      req.url.startsWith('/.gateway') ? { body: [] } : { status: 401, body: envelope('unauthorized') },
    );
    const d = await new ResultClient({ baseUrl: stub.url, username: 'u', password: 'bad' }).diagnose();
    expect(d.credentials).toMatchObject({ ok: false, detail: expect.stringContaining('rejected') });
    expect(d.addressAllowed.ok).toBe(true);

    stub.handle(() => ({ status: 403, body: envelope('ip_not_allowed') }));
    const d2 = await new ResultClient({ baseUrl: stub.url, username: 'u', password: 'p' }).diagnose();
    expect(d2.addressAllowed.ok).toBe(false);
    expect(d2.credentials.ok).toBeNull();
  });

  it('reports an unreachable gateway without throwing', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const { port } = closed.address() as AddressInfo;
    await new Promise((r) => closed.close(r));
    const d = await new ResultClient({ baseUrl: `http://127.0.0.1:${port}`, retry: 0 }).diagnose();
    expect(d.ok).toBe(false);
    expect(d.reachable.ok).toBe(false);
    expect(d.reachable.detail).toContain('ECONNREFUSED');
  });

  it('tells an untrusted certificate from an unreachable host, and passes with the CA given', async () => {
    const { cert, key } = await devCertificate();
    const server = createHttpsServer({ cert, key }, (req, res) => {
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(req.url?.startsWith('/.gateway') ? '[]' : '{"data":[]}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const fetch = createNodeFetch({ resolve: LOCALHOST_RESOLVE, ca: cert });
    try {
      const base = { baseUrl: `https://school-a.localhost:${port}`, username: 'u', password: 'p', retry: 0 };
      const untrusted = await new ResultClient({
        ...base,
        fetch: createNodeFetch({ resolve: LOCALHOST_RESOLVE }),
      }).diagnose();
      expect(untrusted.reachable.ok).toBe(true);
      expect(untrusted.tls).toMatchObject({ ok: false, detail: expect.stringMatching(/CERT|SIGNED/) });
      expect(untrusted.credentials.ok).toBeNull();
      const trusted = await new ResultClient({ ...base, fetch }).diagnose();
      expect(trusted).toMatchObject({ ok: true, tls: { ok: true }, credentials: { ok: true } });
    } finally {
      await fetch.dispatcher.close();
      server.close();
    }
  });

  it('reports maintenance in progress', async () => {
    stub = await startStub(() => ({
      status: 503,
      headers: { 'retry-after': '600' },
      body: envelope('maintenance'),
    }));
    const d = await new ResultClient({ baseUrl: stub.url, username: 'u', password: 'p' }).diagnose();
    expect(d.maintenance).toMatchObject({ ok: false, detail: expect.stringContaining('600') });
  });
});

describe('@resultgate/sdk/node', () => {
  it('maps names like curl --resolve, wildcards included', () => {
    expect(resolveFromMap(LOCALHOST_RESOLVE, 'School-A.localhost')).toBe('127.0.0.1');
    expect(resolveFromMap(LOCALHOST_RESOLVE, 'localhost')).toBe('127.0.0.1');
    expect(resolveFromMap(LOCALHOST_RESOLVE, 'example.com')).toBeUndefined();
  });

  it('connects a *.localhost URL to 127.0.0.1 and keeps its Host header', async () => {
    let host: string | undefined;
    const server = createServer((req, res) => {
      host = req.headers.host;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"id":"r_1"}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const fetch = createNodeFetch({ resolve: LOCALHOST_RESOLVE });
    try {
      const client = new ResultClient({ baseUrl: `http://school-a.localhost:${port}`, fetch, retry: 0 });
      await expect(client.results.get('r_1')).resolves.toEqual({ id: 'r_1' });
      expect(host).toBe(`school-a.localhost:${port}`);
    } finally {
      await fetch.dispatcher.close();
      server.close();
    }
  });
});
