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
