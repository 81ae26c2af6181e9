/**
 * End-to-end (issue #14): no request body can end the process or pin the shared upstream pool.
 * A client that aborts its body at every stage — before dispatch, while its request waits for an
 * upstream connection, mid-stream to the upstream, during the answer — leaves the gateway alive
 * and serving; a body that stops arriving ends in `408`; small bodies are read whole before an
 * upstream connection is taken; one client address cannot hold every upstream connection.
 */

import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';
import type { PolicyInput } from '@resultgate/gateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpsRequest, startTestGateway, type TestGateway } from './helpers/index.js';

const tenants: PolicyInput['tenants'] = {
  'school-a': {
    hosts: ['school-a.localhost'],
    zones: [{ name: 'api', path: '/api', auth: 'none' }],
  },
};

/** An upstream whose `/api/hang` never answers (until the test ends) and that counts what it got. */
interface Upstream {
  url: string;
  /** Requests received, by path. */
  seen: string[];
  /** Bodies received completely, by path → bytes. */
  bodies: Map<string, number>;
  /** Connections open right now. */
  open(): number;
  close(): Promise<void>;
}

async function startUpstream(): Promise<Upstream> {
  const seen: string[] = [];
  const bodies = new Map<string, number>();
  const hanging = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    seen.push(req.url ?? '');
    let bytes = 0;
    req.on('data', (c: Buffer) => {
      bytes += c.length;
    });
    req.on('end', () => {
      bodies.set(req.url ?? '', bytes);
      if (req.url?.startsWith('/api/hang')) {
        hanging.add(res);
        return;
      }
      if (req.url?.startsWith('/api/drip-answer')) {
        // Half an answer, then nothing: the client aborts while it streams.
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('x'.repeat(1024));
        hanging.add(res);
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ url: req.url, bytes }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  let open = 0;
  server.on('connection', (s) => {
    open++;
    s.on('close', () => open--);
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    bodies,
    open: () => open,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Opens a TLS connection to the gateway and writes `head` (and optionally part of a body). */
function rawTls(port: number, data: string, localAddress?: string): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const tcp = net.connect({ host: '127.0.0.1', port, localAddress });
    tcp.on('error', () => {});
    const socket = tls.connect(
      { socket: tcp, servername: 'school-a.localhost', rejectUnauthorized: false },
      () => {
        socket.write(data);
        resolve(socket);
      },
    );
    socket.on('error', () => {});
    socket.once('error', reject);
  });
}

/** Reads what the socket gets until it closes or `ms` pass. */
function readAll(socket: tls.TLSSocket, ms: number): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    socket.on('data', (c: Buffer) => {
      text += c.toString('latin1');
    });
    const t = setTimeout(() => {
      socket.destroy();
      resolve(text);
    }, ms);
    socket.on('close', () => {
      clearTimeout(t);
      resolve(text);
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function post(path: string, length: number, extra = ''): string {
  return `POST ${path} HTTP/1.1\r\nHost: school-a.localhost\r\nContent-Length: ${length}\r\n${extra}\r\n`;
}

/** Begins a large (streamed) upload from `address`: its head and 10 KB of 100 KB, then nothing. */
function beginUpload(port: number, path: string, address: string): Promise<tls.TLSSocket> {
  return rawTls(port, `${post(path, 100_000)}${'u'.repeat(10_000)}`, address);
}

/** The raw answer is `503 overloaded` with `Retry-After`. */
function expectOverloaded(text: string): void {
  expect(text).toMatch(/^HTTP\/1\.1 503 /);
  expect(text).toContain('"code":"overloaded"');
  expect(text.toLowerCase()).toContain('retry-after:');
}

describe('request bodies cannot crash the gateway or pin the upstream pool', () => {
  let up: Upstream;
  let gw: TestGateway;
  beforeAll(async () => {
    up = await startUpstream();
    gw = await startTestGateway({
      upstream: up.url,
      tenants,
      upstreamOptions: { connections: 2, timeout: '20s', maxBodySize: '1MiB', connectionsPerClient: 1 },
      server: { bodyTimeout: '1s', bufferBodySize: '8KiB' },
    });
  });
  afterAll(async () => {
    await gw?.close();
    await up?.close();
  });

  it('a body aborted at every stage (before dispatch, queued, mid-stream, during the answer) ends no process', async () => {
    for (let round = 0; round < 3; round++) {
      // Fill the two upstream connections with requests that never answer, from two other addresses.
      const holders = await Promise.all(
        ['127.0.0.21', '127.0.0.22'].map((addr) =>
          rawTls(gw.httpsPort, `GET /api/hang-${round} HTTP/1.1\r\nHost: school-a.localhost\r\n\r\n`, addr),
        ),
      );
      await sleep(200);
      // Before dispatch: headers, part of a small body, gone.
      const small = await Promise.all(
        [1, 2, 3].map((i) =>
          rawTls(gw.httpsPort, `${post(`/api/small-${i}`, 1000)}0123456789`, `127.0.0.${30 + i}`),
        ),
      );
      // Queued for a connection: a large (streamed) body, part sent, gone while the pool is full.
      const large = await Promise.all(
        [1, 2, 3].map((i) =>
          rawTls(
            gw.httpsPort,
            `${post(`/api/large-${i}`, 100_000)}${'y'.repeat(20_000)}`,
            `127.0.0.${40 + i}`,
          ),
        ),
      );
      await sleep(100);
      for (const s of [...small, ...large]) s.destroy();
      await sleep(300);
      for (const s of holders) s.destroy();
      await sleep(300);
      // Mid-stream to the upstream: the pool is free again; a large body starts, then the client goes.
      const mid = await rawTls(
        gw.httpsPort,
        `${post('/api/mid', 100_000)}${'z'.repeat(30_000)}`,
        '127.0.0.50',
      );
      await sleep(200);
      mid.destroy();
      // During the answer: the upstream sends half an answer; the client goes.
      const answer = await rawTls(
        gw.httpsPort,
        `GET /api/drip-answer-${round} HTTP/1.1\r\nHost: school-a.localhost\r\n\r\n`,
        '127.0.0.51',
      );
      await sleep(200);
      answer.destroy();
      await sleep(200);
    }
    // Alive and serving.
    const res = await httpsRequest({ port: gw.httpsPort, path: '/api/ok', method: 'POST', body: 'hello' });
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ url: '/api/ok', bytes: 5 });
    // No request of an aborted small body ever reached the upstream.
    expect(up.seen.filter((u) => u.startsWith('/api/small-'))).toEqual([]);
  });

  it('a body that stops arriving ends in 408 after server.bodyTimeout, with an access line', async () => {
    for (const [path, length] of [
      ['/api/slow-small', 1000],
      ['/api/slow-large', 100_000],
    ] as const) {
      const s = await rawTls(gw.httpsPort, `${post(path, length)}abc`, '127.0.0.60');
      const started = Date.now();
      const text = await readAll(s, 8_000);
      const took = Date.now() - started;
      expect(text).toMatch(/^HTTP\/1\.1 408 /);
      expect(text).toContain('"code":"request_timeout"');
      expect(took).toBeGreaterThanOrEqual(900);
      expect(took).toBeLessThan(6_000);
    }
    // The small one never took an upstream connection; the large one was cut at the upstream.
    expect(up.seen).not.toContain('/api/slow-small');
    await sleep(300);
    const day = new Date().toISOString().slice(0, 10);
    const lines = (await readFile(join(gw.dir, 'log', 'school-a', `access-${day}.jsonl`), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const timedOut = lines.filter((l) => l.status === 408);
    expect(timedOut.map((l) => l.path).sort()).toEqual(['/api/slow-large', '/api/slow-small']);
    expect(timedOut.every((l) => l.decision === 'request_timeout')).toBe(true);
  });

  it('slow small bodies from many clients do not take upstream connections; others are served', async () => {
    // 20 clients dripping small bodies; the pool has 2 connections.
    const drips = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        rawTls(gw.httpsPort, `${post(`/api/trickle-${i}`, 4000)}a`, `127.0.1.${i + 1}`),
      ),
    );
    try {
      await sleep(300);
      const started = Date.now();
      const res = await httpsRequest({
        port: gw.httpsPort,
        path: '/api/meanwhile',
        localAddress: '127.0.0.70',
      });
      expect(res.status).toBe(200);
      expect(Date.now() - started).toBeLessThan(900);
      expect(up.seen.filter((u) => u.startsWith('/api/trickle-'))).toEqual([]);
    } finally {
      for (const s of drips) s.destroy();
    }
  });

  it('one client address holds at most upstream.connectionsPerClient upstream connections', async () => {
    // Large bodies stream (they take a connection): one address, two of them.
    const first = await beginUpload(gw.httpsPort, '/api/hold-1', '127.0.0.80');
    await sleep(200);
    const second = await beginUpload(gw.httpsPort, '/api/hold-2', '127.0.0.80');
    try {
      expectOverloaded(await readAll(second, 3_000));
      // Another address still gets the second connection.
      const res = await httpsRequest({ port: gw.httpsPort, path: '/api/other', localAddress: '127.0.0.81' });
      expect(res.status).toBe(200);
    } finally {
      first.destroy();
      second.destroy();
    }
  });

  it('slow large bodies hold at most half the pool whatever their addresses; a bodiless request is served', async () => {
    // Two connections: streamed bodies may hold one. Each uploader its own address (the per-address
    // cap of 1 does not stop them), each sends part of a large body, then nothing.
    const first = await beginUpload(gw.httpsPort, '/api/upload-1', '127.0.0.90');
    await sleep(200);
    const second = await beginUpload(gw.httpsPort, '/api/upload-2', '127.0.0.91');
    try {
      const text = await readAll(second, 3_000);
      expectOverloaded(text);
      expect(text.toLowerCase()).toContain('connection: close');
      // The other connection is still there for everyone else, at once.
      const started = Date.now();
      const res = await httpsRequest({ port: gw.httpsPort, path: '/api/reader', localAddress: '127.0.0.92' });
      expect(res.status).toBe(200);
      expect(Date.now() - started).toBeLessThan(900);
      expect(up.seen).toContain('/api/upload-1');
      expect(up.seen).not.toContain('/api/upload-2');
    } finally {
      first.destroy();
      second.destroy();
    }
    // Once the first upload is gone, its place is free again: a large body goes through whole.
    await sleep(300);
    const res = await httpsRequest({
      port: gw.httpsPort,
      path: '/api/upload-3',
      method: 'POST',
      body: 'v'.repeat(50_000),
      localAddress: '127.0.0.93',
    });
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ url: '/api/upload-3', bytes: 50_000 });
  });

  // That a small body takes no connection while it arrives is the trickle test above; this one checks
  // that buffered, streamed and too-large chunked bodies each end as they should.
  it('a chunked body arrives whole whether buffered (small) or streamed (large); past maxBodySize, 413', async () => {
    for (const [path, bytes, status] of [
      ['/api/chunked-small', 3000, 200],
      ['/api/chunked-big', 200_000, 200],
      ['/api/chunked-too-big', 1_200_000, 413],
    ] as const) {
      const res = await httpsRequest({
        port: gw.httpsPort,
        path,
        method: 'POST',
        headers: { 'transfer-encoding': 'chunked' },
        body: 'k'.repeat(bytes),
      });
      expect(res.status).toBe(status);
      if (status === 200) expect(res.json()).toEqual({ url: path, bytes });
    }
  });
});

describe('the crash of issue #14, with the default buffering off', () => {
  it('129 POSTs aborted while queued behind a full pool leave the process alive', async () => {
    const up = await startUpstream();
    const gw = await startTestGateway({
      upstream: up.url,
      tenants,
      upstreamOptions: { connections: 2, timeout: '20s', connectionsPerClient: 1000 },
      // Bodies of any size stream (no buffering), and the per-address cap is off: the old setup.
      server: { bufferBodySize: 0 },
    });
    try {
      const holders = await Promise.all(
        [0, 1].map(() => rawTls(gw.httpsPort, 'GET /api/hang HTTP/1.1\r\nHost: school-a.localhost\r\n\r\n')),
      );
      await sleep(200);
      const posts = await Promise.all(
        [1, 2, 3].map((i) => rawTls(gw.httpsPort, `${post(`/api/q-${i}`, 100_000)}0123456789`)),
      );
      await sleep(100);
      for (const s of posts) s.destroy();
      await sleep(1500);
      for (const s of holders) s.destroy();
      await sleep(500);
      const res = await httpsRequest({ port: gw.httpsPort, path: '/api/after' });
      expect(res.status).toBe(200);
      expect(up.seen).not.toContain('/api/q-1');
    } finally {
      await gw.close();
      await up.close();
    }
  });
});
