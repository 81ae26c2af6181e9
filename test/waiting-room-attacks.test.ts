/**
 * The waiting room tried from outside, as an attacker or an unlucky applicant would: slow uploads
 * that try to hold a zone's slots, clients that leave at each stage, a ticket passed around.
 * The real gateway over TLS in front of a real upstream; every loop bounded in count and time.
 */
import tls from 'node:tls';
import { admissionRooms, ROOM_DEFAULTS } from '@resultgate/gateway/testing';
import { describe, expect, it } from 'vitest';
import {
  httpsRequest,
  type RawResponse,
  startEchoUpstream,
  startTestGateway,
  type TestGateway,
} from './helpers/index.js';
import { type ServeProcess, serveDir, spawnServe } from './helpers/serve.js';
import { BROWSER, room, ticketFields, ticketOf, until, zoneTenants } from './helpers/waiting-room.js';

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

function get(
  g: TestGateway,
  path: string,
  headers: Record<string, string> = {},
  ticket?: string,
  method = 'GET',
) {
  return httpsRequest({
    port: g.httpsPort,
    path,
    method,
    body: method === 'POST' || method === 'PUT' ? 'a=1' : undefined,
    headers: { ...headers, ...(ticket ? { cookie: `__Host-rg-ticket=${ticket}` } : {}) },
    timeout: 40_000,
  });
}

/**
 * An upstream that holds the answers to `held` paths until `release(path)`, answers the others
 * after `delayMs`, and calls `arrived(url)` as each request comes in.
 */
async function pacedUpstream(held: string[], delayMs: number, arrived: (url: string) => void = () => {}) {
  const waiting = new Map<string, () => void>();
  const echo = await startEchoUpstream({
    handle: (req, res) => {
      const url = req.url ?? '';
      arrived(url);
      // A cacheable answer, as a static result page might be.
      res.setHeader('cache-control', 'public, max-age=3600');
      if (held.includes(url)) waiting.set(url, () => res.end('{}'));
      else setTimeout(() => res.end('{}'), delayMs);
      return true;
    },
  });
  return Object.assign(echo, {
    release: async (path: string) => {
      await until(() => waiting.has(path), `${path} to reach the upstream`);
      waiting.get(path)!();
    },
    order: () => echo.requests.map((r) => r.url),
  });
}

describe('a ticket passed around', () => {
  it('a pass admits at most passUses requests ahead of the line, and being let in again does not extend it', async () => {
    let sharer = 0;
    let next = (_url: string) => {};
    const echo = await pacedUpstream(['/r/h1', '/r/h2'], 100, (url) => next(url));
    const g = await startTestGateway({
      upstream: echo.url,
      tenants: zoneTenants({ maxConcurrent: 1, maxQueue: 1, queueTimeout: '40s' }),
    });
    try {
      // A queues behind a held request and a waiter, gets the waiting page and a ticket, then is
      // let in with it: its answer carries the pass.
      const h1 = get(g, '/r/h1');
      await until(() => room(g).limiter!.active === 1, 'h1 to hold the slot');
      const q1 = get(g, '/r/q1');
      await until(() => room(g).limiter!.queued === 1, 'q1 to queue');
      const waiting = await get(g, '/r/a', BROWSER);
      expect(waiting.status).toBe(503);
      const ticket = ticketOf(waiting)!;
      await echo.release('/r/h1');
      expect((await h1).status).toBe(200);
      expect((await q1).status).toBe(200);
      const admitted = await get(g, '/r/a', BROWSER, ticket);
      expect(admitted.status).toBe(200);
      const pass = ticketOf(admitted)!;
      expect(ticketFields(pass).until - Date.now()).toBeGreaterThan(500_000);
      // An answer carrying a ticket is never cacheable, whatever the upstream said.
      expect(admitted.headers['cache-control']).toBe('no-store');

      // Room for a crowd now: five applicants queue behind a held request.
      const input = structuredClone(g.policyInput);
      Object.assign(input.tenants['school-a']!.zones[0]!, { maxQueue: 10 });
      await g.writePolicy(input);
      await g.reload();
      const h2 = get(g, '/r/h2');
      await until(() => room(g).limiter!.active === 1, 'h2 to hold the slot');
      const crowd: Promise<RawResponse>[] = [];
      for (let i = 1; i <= 5; i++) {
        crowd.push(get(g, `/r/c${i}`));
        await until(() => room(g).limiter!.queued === i, `c${i} to queue`);
      }

      // The pass handed round: as each sharer reaches the upstream the next one queues, so one
      // is always waiting at the pass's early place. Bounded: 30 sharers.
      const sharers: Promise<RawResponse>[] = [];
      const share = () => {
        if (sharer >= 30) return;
        sharers.push(get(g, `/r/s${sharer++}`, { accept: 'application/json' }, pass));
      };
      next = (url) => {
        if (/^\/r\/(s\d+|h2)$/.test(url)) share();
      };
      share();
      await until(() => room(g).limiter!.queued === 6, 'the first sharer to queue');
      await echo.release('/r/h2');
      expect((await h2).status).toBe(200);
      const crowdAnswers = await Promise.all(crowd);
      expect(crowdAnswers.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
      await until(() => sharer === 30, 'every sharer to have been sent', 20_000);
      const sharerAnswers = await Promise.all(sharers);

      // Before the crowd's first: at most passUses admissions with the pass (A's own included).
      const order = echo.order();
      const ahead = order.slice(0, order.indexOf('/r/c1')).filter((u) => /^\/r\/s\d+$/.test(u));
      expect(ROOM_DEFAULTS.passUses).toBeLessThan(30);
      expect(ahead.length).toBeLessThanOrEqual(ROOM_DEFAULTS.passUses - 1);
      expect(ahead.length).toBeGreaterThan(0);
      // Past its budget the pass counts as no ticket: the last sharers came after the crowd.
      expect(order.indexOf('/r/s29')).toBeGreaterThan(order.indexOf('/r/c5'));
      // Each let-in sharer got the pass back with the same end, never a later one.
      const renewed = sharerAnswers.map(ticketOf).filter((t): t is string => t !== undefined);
      const same = renewed.filter((t) => ticketFields(t).issued === ticketFields(pass).issued);
      expect(same.length).toBeGreaterThan(0);
      for (const t of same) expect(ticketFields(t).until).toBe(ticketFields(pass).until);
    } finally {
      next = () => {};
      await g.close();
      await echo.close();
    }
  });
});

/** An upstream that holds every answer `holdMs` and records the most requests it had at once, by first segment. */
async function countingUpstream(
  holdMs: number,
  arrived: (url: string) => void = () => {},
  holdFor: (url: string) => number = () => holdMs,
) {
  const now = new Map<string, number>();
  const most = new Map<string, number>();
  const echo = await startEchoUpstream({
    handle: (req, res) => {
      arrived(req.url ?? '');
      const zone = (req.url ?? '').split('/')[1] ?? '';
      const n = (now.get(zone) ?? 0) + 1;
      now.set(zone, n);
      most.set(zone, Math.max(most.get(zone) ?? 0, n));
      setTimeout(
        () => {
          now.set(zone, (now.get(zone) ?? 1) - 1);
          res.end('{}');
        },
        holdFor(req.url ?? ''),
      );
      return true;
    },
  });
  return Object.assign(echo, { most: (zone: string) => most.get(zone) ?? 0 });
}

describe('serve --workers 2 (real processes)', () => {
  it("shares out the zone's maxConcurrent and upstream.connectionsPerClient (the upstream never sees more than either); a ticket from one worker keeps its place at the other", async () => {
    const echo = await countingUpstream(1500, undefined, (url) => (url.startsWith('/w/hold') ? 6000 : 1500));
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
            { name: 'wait', path: '/w', auth: 'none', maxConcurrent: 2, maxQueue: 0 },
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

      // Both workers' share of /w (1 each) taken by long requests, then a browser gets a ticket
      // from one worker and presents it on new connections, which the primary spreads over both:
      // every one keeps the same place (a ticket refused would come back as a new one).
      const holds = [0, 1, 2, 3].map((i) =>
        httpsRequest({ port, path: `/w/hold${i}`, localAddress: `127.0.0.${50 + i}`, timeout: 30_000 }),
      );
      await until(() => echo.most('w') >= 2, 'both workers to hold their /w slot', 10_000);
      const browser = (ticket: string | undefined, i: number) =>
        httpsRequest({
          port,
          path: '/w/page',
          localAddress: `127.0.0.${60 + i}`,
          headers: { ...BROWSER, ...(ticket ? { cookie: `__Host-rg-ticket=${ticket}` } : {}) },
        });
      const first = await browser(undefined, 0);
      expect(first.status).toBe(503);
      const ticket = ticketOf(first)!;
      expect(ticket).toBeDefined();
      for (let i = 1; i <= 6; i++) {
        const again = await browser(ticket, i);
        expect(again.status).toBe(503);
        expect(again.body).toContain('Your place in line');
        const { issued, seq } = ticketFields(ticketOf(again)!);
        expect({ issued, seq }).toEqual({
          issued: ticketFields(ticket).issued,
          seq: ticketFields(ticket).seq,
        });
      }
      await Promise.all(holds);
      expect(echo.most('w')).toBe(2);
    } finally {
      await gw?.stop();
      await dir.remove();
      await echo.close();
    }
  }, 90_000);
});

describe('scheduled opening (test clock)', () => {
  it('a reload during the seconds after the opening does not strand the ticket holders queued for the draw', async () => {
    const opensAt = Date.parse('2027-02-10T01:00:00Z');
    let clock = opensAt - 60_000;
    const echo = await startEchoUpstream();
    const g = await startTestGateway({
      upstream: echo.url,
      tenants: zoneTenants({
        maxConcurrent: 1,
        maxQueue: 10,
        queueTimeout: '30s',
        opensAt: new Date(opensAt).toISOString(),
      }),
      deps: { now: () => clock },
    });
    try {
      const tickets: string[] = [];
      for (let i = 0; i < 3; i++) tickets.push(ticketOf(await get(g, `/r/p${i}`, BROWSER))!);
      clock = opensAt + 1000;
      const answers = tickets.map((t, i) => get(g, `/r/p${i}`, BROWSER, t));
      await until(() => room(g).limiter!.queued === 3, 'the ticket holders to queue for the draw');
      // An operator edits the policy meanwhile (the same opening, a longer queue).
      const input = structuredClone(g.policyInput);
      Object.assign(input.tenants['school-a']!.zones[0]!, { maxQueue: 20 });
      await g.writePolicy(input);
      await g.reload();
      expect(room(g).limiter!.queued).toBe(3);
      // The settling seconds end with no new arrival to notice: the draw still lets them in.
      clock = opensAt + 6000;
      const started = Date.now();
      expect((await Promise.all(answers)).map((r) => r.status)).toEqual([200, 200, 200]);
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      await g.close();
      await echo.close();
    }
  });
});

describe('every method at a full zone', () => {
  it('HEAD, OPTIONS, POST, an API client and a browser: the right answer, never cacheable, and HEAD proxied without a server error', async () => {
    const echo = await pacedUpstream(['/r/hold'], 0);
    const g = await startTestGateway({
      upstream: echo.url,
      tenants: zoneTenants({ maxConcurrent: 1, maxQueue: 0 }),
    });
    const errors: unknown[][] = [];
    const consoleError = console.error;
    console.error = (...args: unknown[]) => {
      errors.push(args);
    };
    try {
      // Free: a HEAD is proxied like a GET, and the server writes its answer once.
      const head = await get(g, '/r/x', {}, undefined, 'HEAD');
      expect(head.status).toBe(200);
      expect(head.body).toBe('');
      expect(errors).toEqual([]);

      const hold = get(g, '/r/hold');
      await until(() => room(g).limiter!.active === 1, 'the slot to be taken');
      for (const method of ['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'DELETE']) {
        for (const accept of ['application/json', 'text/html']) {
          const res = await get(g, '/r/x', { ...BROWSER, accept }, undefined, method);
          const what = `${method} ${accept}`;
          expect(res.status, what).toBe(503);
          expect(res.headers['cache-control'], what).toBe('no-store');
          expect(Number(res.headers['retry-after']), what).toBeGreaterThan(0);
          expect(res.headers['x-request-id'], what).toBeTruthy();
          const page = accept === 'text/html' && (method === 'GET' || method === 'HEAD');
          // A ticket only for a browser navigating (it can come back by the page's refresh).
          expect(ticketOf(res) !== undefined, what).toBe(page);
          if (method === 'HEAD') expect(res.body, what).toBe('');
          else if (page) expect(res.body, what).toContain('Your place in line');
          else if (accept === 'application/json') {
            expect(res.json().error.code, what).toBe('overloaded');
            expect(res.json().error.requestId, what).toBe(res.headers['x-request-id']);
          }
        }
      }
      await echo.release('/r/hold');
      expect((await hold).status).toBe(200);
      expect(echo.order()).toEqual(['/r/x', '/r/hold']);
      expect(errors).toEqual([]);
    } finally {
      console.error = consoleError;
      await g.close();
      await echo.close();
    }
  });
});

describe('a client that stops reading', () => {
  const BIG = Buffer.alloc(32 << 20, 97);

  /** An echo upstream answering `/r/big…` with 32 MB. */
  function bigAnswerUpstream() {
    return startEchoUpstream({
      handle: (req, res) => {
        if (!req.url?.startsWith('/r/big')) return false;
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': BIG.length });
        res.end(BIG);
        return true;
      },
    });
  }

  /** A client that asks for `/r/big` and reads none of it: what it got, and when it was cut. */
  function stalledReader(port: number) {
    const socket = tls.connect({
      host: '127.0.0.1',
      port,
      servername: 'school-a.localhost',
      rejectUnauthorized: false,
    });
    socket.on('error', () => {});
    let got = 0;
    socket.on('data', (d: Buffer) => {
      got += d.length;
    });
    const cut = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.write('GET /r/big HTTP/1.1\r\nHost: school-a.localhost\r\n\r\n');
    socket.pause();
    return { socket, cut, got: () => got };
  }

  it('an answer nobody reads for bodyTimeout is cut and frees its slot; a slow reader is not cut', async () => {
    const echo = await bigAnswerUpstream();
    const g = await startTestGateway({
      upstream: echo.url,
      server: { bodyTimeout: '2s' },
      tenants: zoneTenants({ maxConcurrent: 1, maxQueue: 5, queueTimeout: '20s' }),
    });
    // The attacker asks for a large answer and never reads it.
    const stalled = stalledReader(g.httpsPort);
    try {
      await until(() => room(g).limiter!.active === 1, 'the stalled answer to hold the slot');
      await new Promise((r) => setTimeout(r, 500));

      // The next applicant is let in once the stalled answer is cut (it used to wait out
      // queueTimeout and get 503: the slot was held for as long as the client kept the socket).
      const started = Date.now();
      const next = await httpsRequest({ port: g.httpsPort, path: '/r/next', timeout: 25_000 });
      expect(next.status).toBe(200);
      expect(Date.now() - started).toBeLessThan(12_000);
      // Its connection was cut: reading now, it gets what was in flight, then the end.
      stalled.socket.resume();
      await stalled.cut;
      expect(stalled.got()).toBeLessThan(BIG.length);

      // A client that reads slowly but steadily (a pause of 1 s between reads, under bodyTimeout)
      // gets the whole answer.
      const slow = tls.connect({
        host: '127.0.0.1',
        port: g.httpsPort,
        servername: 'school-a.localhost',
        rejectUnauthorized: false,
      });
      let got = 0;
      const done = new Promise<void>((resolve, reject) => {
        slow.on('error', reject);
        slow.on('close', () => resolve());
      });
      slow.on('data', (d: Buffer) => {
        got += d.length;
        if (got > 4 << 20 && got - d.length <= 4 << 20) {
          slow.pause();
          setTimeout(() => slow.resume(), 1000);
        }
      });
      slow.write('GET /r/big2 HTTP/1.1\r\nHost: school-a.localhost\r\nConnection: close\r\n\r\n');
      await done;
      expect(got).toBeGreaterThan(BIG.length);
      await until(() => room(g).limiter!.active === 0, 'the slot to be free');
    } finally {
      stalled.socket.destroy();
      await g.close();
      await echo.close();
    }
  }, 60_000);

  it('outside a limited zone, an answer nobody reads is cut too, and its upstream connection serves others', async () => {
    const echo = await bigAnswerUpstream();
    // One upstream connection for everyone: the stalled answer holds it while its hop is paused.
    const g = await startTestGateway({
      upstream: echo.url,
      upstreamOptions: { connections: 1, connectionsPerClient: 2, timeout: '30s' },
      server: { bodyTimeout: '2s' },
      tenants: zoneTenants({}),
    });
    const stalled = stalledReader(g.httpsPort);
    try {
      await until(() => stalled.got() > 0 || echo.requests.length > 0, 'the big answer to start', 10_000);
      await new Promise((r) => setTimeout(r, 500));

      // The next recipient gets the connection once the stalled answer is cut (it used to wait
      // for the upstream's timeout: undici's body timeout does not run while the hop is paused).
      const started = Date.now();
      const next = await httpsRequest({ port: g.httpsPort, path: '/r/next', timeout: 25_000 });
      expect(next.status).toBe(200);
      expect(Date.now() - started).toBeLessThan(12_000);
      stalled.socket.resume();
      await stalled.cut;
      expect(stalled.got()).toBeLessThan(BIG.length);
    } finally {
      stalled.socket.destroy();
      await g.close();
      await echo.close();
    }
  }, 60_000);
});

describe('reloads', () => {
  it("a reload that lifts the zone's limit lets its queued requests go on at once", async () => {
    const echo = await pacedUpstream(['/r/hold'], 0);
    const g = await startTestGateway({
      upstream: echo.url,
      tenants: zoneTenants({ maxConcurrent: 1, maxQueue: 5, queueTimeout: '20s' }),
    });
    try {
      const hold = get(g, '/r/hold');
      await until(() => room(g).limiter!.active === 1, 'the slot to be taken');
      const queued = [get(g, '/r/q1'), get(g, '/r/q2')];
      await until(() => room(g).limiter!.queued === 2, 'two to queue');
      const input = structuredClone(g.policyInput);
      const zone = input.tenants['school-a']!.zones[0]! as Record<string, unknown>;
      delete zone.maxConcurrent;
      delete zone.maxQueue;
      delete zone.queueTimeout;
      await g.writePolicy(input);
      await g.reload();
      expect(admissionRooms(g.deps).size).toBe(0);
      const started = Date.now();
      expect((await Promise.all(queued)).map((r) => r.status)).toEqual([200, 200]);
      expect(Date.now() - started).toBeLessThan(5000);
      await echo.release('/r/hold');
      expect((await hold).status).toBe(200);
    } finally {
      await g.close();
      await echo.close();
    }
  });
});

describe('clients that leave', () => {
  it('a client that leaves as soon as its request reaches the upstream keeps its slot until the upstream is done: leaving cannot turn the room into a firehose', async () => {
    const sockets = new Map<string, tls.TLSSocket>();
    // Each client hangs up the moment the upstream has its request; the upstream takes 500 ms.
    const echo = await countingUpstream(500, (url) => sockets.get(url)?.destroy());
    const g = await startTestGateway({
      upstream: echo.url,
      tenants: zoneTenants({ maxConcurrent: 2, maxQueue: 50, queueTimeout: '20s' }),
    });
    try {
      const closed: Promise<void>[] = [];
      for (let i = 0; i < 12; i++) {
        const s = tls.connect({
          host: '127.0.0.1',
          port: g.httpsPort,
          servername: 'school-a.localhost',
          rejectUnauthorized: false,
        });
        s.on('error', () => {});
        closed.push(new Promise((resolve) => s.once('close', () => resolve())));
        sockets.set(`/r/${i}`, s);
        s.write(`GET /r/${i} HTTP/1.1\r\nHost: school-a.localhost\r\n\r\n`);
      }
      await Promise.all(closed.slice(0, 4));
      await until(
        () => room(g).limiter!.active === 0 && room(g).limiter!.queued === 0,
        'the line to drain',
        20_000,
      );
      // Each freed its slot only when the upstream had answered (aborting freed it at once, and
      // the upstream had all 12 at the same time).
      expect(echo.most('r')).toBe(2);
    } finally {
      for (const s of sockets.values()) s.destroy();
      await g.close();
      await echo.close();
    }
  });

  it('at every stage (mid-head, mid-body, queued, admitted, mid-answer) leak no slot; the upstream never sees more than maxConcurrent', async () => {
    const echo = await countingUpstream(200);
    const g = await startTestGateway({
      upstream: echo.url,
      tenants: zoneTenants({ maxConcurrent: 2, maxQueue: 50, queueTimeout: '20s' }),
    });
    try {
      // 60 connections, each cut after 50 ms to 1.5 s: some before their head is complete, some
      // mid-body, queued, just admitted, or while their answer comes.
      const heads = [
        (i: number) => `GET /r/${i} HTTP/1.1\r\nHost: school-a.loc`,
        (i: number) => `POST /r/${i} HTTP/1.1\r\nHost: school-a.localhost\r\nContent-Length: 10\r\n\r\nabc`,
        (i: number) => `GET /r/${i} HTTP/1.1\r\nHost: school-a.localhost\r\nAccept: text/html\r\n\r\n`,
        (i: number) => `GET /r/${i} HTTP/1.1\r\nHost: school-a.localhost\r\n\r\n`,
      ];
      await Promise.all(
        Array.from(
          { length: 60 },
          (_, i) =>
            new Promise<void>((resolve) => {
              const s = tls.connect({
                host: '127.0.0.1',
                port: g.httpsPort,
                servername: 'school-a.localhost',
                rejectUnauthorized: false,
              });
              s.on('error', () => {});
              s.on('close', () => resolve());
              s.write(heads[i % 4]!(i));
              setTimeout(() => s.destroy(), 50 + ((i * 137) % 1500));
            }),
        ),
      );
      await until(
        () => room(g).limiter!.active === 0 && room(g).limiter!.queued === 0,
        'every slot and place to be free',
        10_000,
      );
      // Both slots are still there: two requests run at once, the third waits.
      const after = await Promise.all([0, 1, 2].map((i) => get(g, `/r/after${i}`)));
      expect(after.map((r) => r.status)).toEqual([200, 200, 200]);
      expect(echo.most('r')).toBe(2);
    } finally {
      await g.close();
      await echo.close();
    }
  });
});
