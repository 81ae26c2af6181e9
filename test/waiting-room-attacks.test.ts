/**
 * The waiting room tried from outside, as an attacker or an unlucky applicant would: slow uploads
 * that try to hold a zone's slots, clients that leave at each stage, a ticket passed around.
 * The real gateway over TLS in front of a real upstream; every loop bounded in count and time.
 */
import tls from 'node:tls';
import type { PolicyInput } from '@resultgate/gateway';
import { admissionRooms, type Room, roomKey } from '@resultgate/gateway/testing';
import { describe, expect, it } from 'vitest';
import { httpsRequest, startEchoUpstream, startTestGateway, type TestGateway } from './helpers/index.js';
import { type ServeProcess, serveDir, spawnServe } from './helpers/serve.js';

function zoneTenants(zone: Record<string, unknown>): PolicyInput['tenants'] {
  return {
    'school-a': {
      hosts: ['school-a.localhost'],
      zones: [{ name: 'recipient', path: '/r', auth: 'none', ...zone }],
    },
  } as PolicyInput['tenants'];
}

function room(g: TestGateway): Room {
  return admissionRooms(g.deps).get(roomKey('school-a', 'recipient'))!;
}

/** Waits (bounded) until `check` holds. */
async function until(check: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A TLS connection that sends a request head and `sent` bytes of a `length`-byte body, then stalls. */
function slowUpload(port: number, path: string, length: number, sent: string) {
  const socket = tls.connect({
    host: '127.0.0.1',
    port,
    servername: 'school-a.localhost',
    rejectUnauthorized: false,
  });
  let answer = '';
  socket.on('data', (d: Buffer) => {
    answer += d.toString('latin1');
  });
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.write(
    `POST ${path} HTTP/1.1\r\nHost: school-a.localhost\r\nContent-Type: application/x-www-form-urlencoded\r\n` +
      `Content-Length: ${length}\r\nConnection: close\r\n\r\n${sent}`,
  );
  return { socket, closed, answer: () => answer };
}

describe('slow uploads', () => {
  it('a body still arriving holds no slot: maxConcurrent trickling uploads do not shut the zone', async () => {
    const echo = await startEchoUpstream();
    const g = await startTestGateway({
      upstream: echo.url,
      tenants: zoneTenants({ maxConcurrent: 2, maxQueue: 5, queueTimeout: '4s' }),
    });
    const uploads: ReturnType<typeof slowUpload>[] = [];
    try {
      // Four uploads (twice maxConcurrent) send 1 byte of 100 and stall; bodyTimeout is 30 s.
      for (let i = 0; i < 4; i++) uploads.push(slowUpload(g.httpsPort, `/r/slow${i}`, 100, 'a'));
      await new Promise((r) => setTimeout(r, 500));
      expect(room(g).limiter!.active).toBe(0);
      expect(room(g).limiter!.queued).toBe(0);

      // Applicants are served at once, not after queueTimeout (they used to get 503 after 4 s).
      const started = Date.now();
      const answers = await Promise.all(
        [0, 1, 2].map((i) =>
          httpsRequest({ port: g.httpsPort, path: `/r/legit${i}`, headers: { accept: 'application/json' } }),
        ),
      );
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
      expect(Date.now() - started).toBeLessThan(3000);

      // One upload completes: it is admitted and reaches the upstream whole.
      uploads[0]!.socket.write('b'.repeat(99));
      await until(() => uploads[0]!.answer().includes('\r\n\r\n'), 'the completed upload to be answered');
      expect(uploads[0]!.answer()).toMatch(/^HTTP\/1\.1 200/);
      const seen = echo.requests.find((r) => r.url === '/r/slow0');
      expect(seen?.bodyBytes).toBe(100);
      // The others leave mid-body: logged as gone, never forwarded, no slot held.
      for (const u of uploads.slice(1)) u.socket.destroy();
      await Promise.all(uploads.map((u) => u.closed));
      await until(() => room(g).limiter!.active === 0, 'every slot to be free');
      expect(echo.requests.map((r) => r.url).filter((u) => /slow[123]/.test(u))).toEqual([]);
    } finally {
      for (const u of uploads) u.socket.destroy();
      await g.close();
      await echo.close();
    }
  });
});

/** An upstream that holds every answer `holdMs` and records the most requests it had at once, by first segment. */
async function countingUpstream(holdMs: number) {
  const now = new Map<string, number>();
  const most = new Map<string, number>();
  const echo = await startEchoUpstream({
    handle: (req, res) => {
      const zone = (req.url ?? '').split('/')[1] ?? '';
      const n = (now.get(zone) ?? 0) + 1;
      now.set(zone, n);
      most.set(zone, Math.max(most.get(zone) ?? 0, n));
      setTimeout(() => {
        now.set(zone, (now.get(zone) ?? 1) - 1);
        res.end('{}');
      }, holdMs);
      return true;
    },
  });
  return Object.assign(echo, { most: (zone: string) => most.get(zone) ?? 0 });
}

describe('serve --workers 2 (real processes)', () => {
  it("shares out the zone's maxConcurrent and upstream.connectionsPerClient: the upstream never sees more than either", async () => {
    const echo = await countingUpstream(1500);
    const dir = await serveDir({
      upstream: echo.url,
      tenants: {
        'school-a': {
          hosts: ['school-a.localhost'],
          zones: [
            {
              name: 'recipient',
              path: '/r',
              auth: 'none',
              maxConcurrent: 4,
              maxQueue: 20,
              queueTimeout: '20s',
            },
            { name: 'api', path: '/c', auth: 'none' },
          ],
        },
      },
    });
    const policy = structuredClone(dir.policy);
    policy.server.upstream.connectionsPerClient = 2;
    await dir.writePolicy(policy);
    let gw: ServeProcess | undefined;
    try {
      gw = await spawnServe(dir.policyFile, ['--workers', '2']);
      const port = gw.httpsPort;
      // Every request on its own connection, so the primary spreads them over both workers.
      const burst = (prefix: string, n: number, manyAddresses: boolean) =>
        Promise.all(
          Array.from({ length: n }, (_, i) =>
            httpsRequest({
              port,
              path: `${prefix}/${i}`,
              headers: { accept: 'application/json' },
              localAddress: manyAddresses ? `127.0.0.${10 + i}` : '127.0.0.1',
              timeout: 30_000,
            }),
          ),
        );

      // 12 applicants (each from its own address) at once into a zone of maxConcurrent 4: all
      // served (the rest queue), never more than 4 at the upstream.
      const zone = await burst('/r', 12, true);
      expect(zone.map((r) => r.status)).toEqual(Array(12).fill(200));
      expect(echo.most('r')).toBeGreaterThan(0);
      expect(echo.most('r')).toBeLessThanOrEqual(4);

      // 8 at once from one address with connectionsPerClient 2: one worker's share is 1, so never
      // more than 2 upstream (each worker used to allow 2: 4); the rest get 503 with Retry-After.
      const api = await burst('/c', 8, false);
      expect(echo.most('c')).toBeGreaterThan(0);
      expect(echo.most('c')).toBeLessThanOrEqual(2);
      const refused = api.filter((r) => r.status === 503);
      expect(refused.length).toBeGreaterThanOrEqual(6);
      expect(api.filter((r) => r.status === 200).length).toBe(8 - refused.length);
      for (const r of refused) {
        expect(r.json().error.code).toBe('overloaded');
        expect(r.headers['retry-after']).toBe('1');
      }
    } finally {
      await gw?.stop();
      await dir.remove();
      await echo.close();
    }
  }, 90_000);
});
