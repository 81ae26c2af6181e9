import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { identityHeaders } from '@resultgate/gateway/identity';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from './db.js';
import { seedDemo } from './seed.js';
import { startResultService } from './service.js';
import { TEST_SECRET } from './test-kit.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'result-service-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('startResultService', () => {
  it('listens on loopback, refuses unsigned requests, serves signed ones and closes', async () => {
    const service = await startResultService({
      port: 0,
      dbFile: join(dir, 'r.db'),
      identitySecret: TEST_SECRET,
    });
    try {
      expect(service.url).toBe(`http://127.0.0.1:${service.port}`);
      const direct = await fetch(`${service.url}/api/v1/results`);
      expect(direct.status).toBe(401);
      expect((await direct.json()).error.code).toBe('unauthorized');
      const headers = identityHeaders(
        TEST_SECRET,
        { tenant: 'a', user: 'u', roles: [], requestId: 'r-1' },
        { method: 'GET', target: '/api/v1/results' },
      );
      const signed = await fetch(`${service.url}/api/v1/results`, { headers });
      expect(signed.status).toBe(200);
      expect(await signed.json()).toEqual({ data: [], nextCursor: null });
    } finally {
      await service.close();
    }
    await expect(fetch(`${service.url}/api/v1/results`)).rejects.toThrow();
  });

  it('checks the signature against the raw target Node received, not a normalised URL', async () => {
    const service = await startResultService({
      port: 0,
      dbFile: join(dir, 'r.db'),
      identitySecret: TEST_SECRET,
      schedulerIntervalMs: 0,
    });
    /** Sends `target` byte for byte (fetch would normalise it) with headers signed for `signedFor`. */
    const send = (method: string, target: string, signedFor: { method: string; target: string }) =>
      new Promise<number>((resolve, reject) => {
        const headers = identityHeaders(
          TEST_SECRET,
          { tenant: 'a', user: 'u', roles: [], requestId: `r-${signedFor.method}` },
          signedFor,
        );
        const req = http.request(
          { host: '127.0.0.1', port: service.port, method, path: target, headers, agent: false },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        req.on('error', reject);
        req.end();
      });
    try {
      // Percent-encoding and a query: verified (200/404 from the API, not 401).
      const encoded = '/api/v1/results/%E5%85%88%20x?view=1&q=a%2Fb';
      expect(await send('GET', encoded, { method: 'GET', target: encoded })).toBe(404);
      const list = '/api/v1/results?status=published&limit=5';
      expect(await send('GET', list, { method: 'GET', target: list })).toBe(200);
      // `new URL()` would turn `/api/v1/./results` into `/api/v1/results`: the raw bytes are checked.
      expect(await send('GET', '/api/v1/./results', { method: 'GET', target: '/api/v1/results' })).toBe(401);
      expect(await send('GET', '/api/v1/./results', { method: 'GET', target: '/api/v1/./results' })).toBe(
        200,
      );
      // Another method, path or query than the one signed.
      expect(await send('POST', list, { method: 'GET', target: list })).toBe(401);
      expect(await send('GET', '/api/v1/results?status=published', { method: 'GET', target: list })).toBe(
        401,
      );
      expect(await send('GET', '/admin', { method: 'GET', target: list })).toBe(401);
    } finally {
      await service.close();
    }
  });

  it('refuses to start without an identity secret', async () => {
    await expect(
      startResultService({ port: 0, dbFile: join(dir, 'r.db'), identitySecret: '' }),
    ).rejects.toThrow(/identitySecret is required/);
  });
});

describe('migrations', () => {
  it('applies each version once and records it', () => {
    const file = join(dir, 'm.db');
    openDatabase(file, () => 1000).close();
    openDatabase(file, () => 2000).close();
    const db = new DatabaseSync(file);
    expect(db.prepare('SELECT version, applied_at FROM migrations ORDER BY version').all()).toEqual([
      { version: 1, applied_at: 1000 },
      { version: 2, applied_at: 1000 },
      { version: 3, applied_at: 1000 },
      { version: 4, applied_at: 1000 },
    ]);
    db.close();
  });
});

describe('seedDemo', () => {
  it('seeds three results per tenant, the first openable now, and issues fresh PINs on a re-run', async () => {
    const service = await startResultService({
      port: 0,
      dbFile: join(dir, 'r.db'),
      identitySecret: TEST_SECRET,
      schedulerIntervalMs: 0,
    });
    try {
      const first = seedDemo(service, ['school-a', 'acme']);
      expect(first.map((d) => `${d.tenant}/${d.externalId}/${d.status}`)).toEqual([
        'school-a/demo-001/published',
        'school-a/demo-002/scheduled',
        'school-a/demo-003/viewed',
        'acme/demo-001/published',
        'acme/demo-002/scheduled',
        'acme/demo-003/viewed',
      ]);
      const again = seedDemo(service, ['school-a']);
      expect(again[0]?.resultId).toBe(first[0]?.resultId);
      const demo = again[0] as (typeof again)[number];
      const open = (pin: string) =>
        fetch(`${service.url}/r`, {
          method: 'POST',
          headers: {
            ...identityHeaders(
              TEST_SECRET,
              { tenant: 'school-a', user: '', roles: [], requestId: `r-${pin}` },
              { method: 'POST', target: '/r' },
            ),
            'content-type': 'application/x-www-form-urlencoded',
          },
          body: new URLSearchParams({ code: demo.accessCode, pin }),
          redirect: 'manual',
        });
      expect((await open(demo.pin)).status).toBe(303); // post/redirect/get to /r/result
      if (first[0]?.pin !== demo.pin) expect((await open(first[0]?.pin as string)).status).toBe(401);
      expect(service.context.store.counts('school-a')).toMatchObject({ scheduled: 1, viewed: 2 });
    } finally {
      await service.close();
    }
  });
});
