/**
 * End-to-end: the proxy-core rules of issue 2 that test/proxy-core.test.ts leaves out, over real
 * TLS — bodies stream both ways (a chunk passes before its message ends), a slow reader gets a
 * large answer whole (backpressure), an upstream's interim 103 never becomes the answer, upstream
 * connections are kept alive and reused, control characters in the path are refused, the longest
 * zone prefix wins whatever the order of the zones, and `X-Request-Id` is kept only from a trusted
 * proxy.
 */

import { readFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { PolicyInput } from '@resultgate/gateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpsRequest, startTestGateway, type TestGateway } from './helpers/index.js';

const PROXY = '127.0.0.10';
const tenants: PolicyInput['tenants'] = {
  'school-a': {
    hosts: ['school-a.localhost'],
    zones: [
      // Shorter prefix first: the match must still pick the longest one.
      { name: 'api', path: '/api', auth: 'none' },
      { name: 'api-admin', path: '/api/admin', auth: 'none', ipAllow: ['192.0.2.0/24'] },
      { name: 'single', path: '/single', auth: 'none', maxConcurrent: 1, maxQueue: 0 },
    ],
  },
};

/** What the upstream saw of each request: path, client port, id, and when its body began/ended. */
interface Seen {
  url: string;
  remotePort: number;
  requestId: string | undefined;
}

let upstream: http.Server;
let gw: TestGateway;
const seen: Seen[] = [];
/** Resolved by a test to let the upstream finish a streamed answer. */
let releaseResponse: () => void = () => {};
/** Set when the upstream got the first request-body chunk of /api/upload. */
let firstBodyChunk: (() => void) | undefined;
/** Upstream answers to /single/slow and /api/slow cut before they finished (the client went away). */
let upstreamAborted = 0;
/** /single/slow and /api/slow answers the upstream finished. */
let upstreamFinished = 0;

beforeAll(async () => {
  upstream = http.createServer((req, res) => {
    seen.push({
      url: req.url ?? '',
      remotePort: req.socket.remotePort ?? 0,
      requestId: req.headers['x-request-id'] as string | undefined,
    });
    if (req.url === '/api/stream') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first chunk\n');
      // The rest only once the client got the first chunk (or after 5 s, so nothing hangs).
      const done = () => res.end('last chunk\n');
      const t = setTimeout(done, 5_000);
      releaseResponse = () => {
        clearTimeout(t);
        done();
      };
      return;
    }
    if (req.url === '/api/large') {
      // 16 MB in 64 KB writes, each after the last drained: far more than any socket buffer.
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      let left = 256;
      const more = () => {
        while (left > 0) {
          left--;
          if (left === 0) return void res.end(chunk);
          if (!res.write(chunk)) return void res.once('drain', more);
        }
      };
      more();
      return;
    }
    if (req.url === '/api/early-hints') {
      // An interim 103 before the real answer: only the final answer may reach the client.
      res.writeEarlyHints({ link: '</style.css>; rel=preload; as=style' });
      setTimeout(() => res.writeHead(200, { 'content-type': 'text/plain' }).end('final'), 20);
      return;
    }
    if (req.url === '/single/slow' || req.url === '/api/slow') {
      const t = setTimeout(() => res.end('late'), 2_000);
      res.on('close', () => {
        clearTimeout(t);
        if (!res.writableFinished) upstreamAborted++;
        else upstreamFinished++;
      });
      return;
    }
    let bytes = 0;
    req.on('data', (c: Buffer) => {
      bytes += c.length;
      firstBodyChunk?.();
      firstBodyChunk = undefined;
    });
    req.on('end', () =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ bytes })),
    );
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const { port } = upstream.address() as AddressInfo;
  gw = await startTestGateway({
    upstream: `http://127.0.0.1:${port}`,
    tenants,
    server: { trustedProxies: [PROXY] },
  });
});

afterAll(async () => {
  releaseResponse();
  await gw?.close();
  upstream?.closeAllConnections();
  await new Promise((r) => upstream?.close(r));
});

/** Opens a request to the gateway without sending a body yet. */
function open(path: string, method = 'GET', headers: Record<string, string> = {}) {
  return https.request({
    host: '127.0.0.1',
    port: gw.httpsPort,
    path,
    method,
    servername: 'school-a.localhost',
    rejectUnauthorized: false,
    agent: false,
    headers: { host: 'school-a.localhost', ...headers },
  });
}

/** The tenant's access-log lines of today, after a flush. */
async function accessLines(): Promise<{ path: string; status: number; bytes: number; decision: string }[]> {
  await gw.logs?.flush();
  const day = new Date().toISOString().slice(0, 10);
  const text = await readFile(join(gw.dir, 'log', 'school-a', `access-${day}.jsonl`), 'utf8');
  return text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
}

const within = <T>(ms: number, p: Promise<T>, what: string) =>
  Promise.race([
    p,
    new Promise<never>((_, no) => setTimeout(() => no(new Error(`${what}: not within ${ms} ms`)), ms)),
  ]);

describe('streaming', () => {
  it('passes the first response chunk on before the upstream has finished', async () => {
    const req = open('/api/stream');
    const first = new Promise<{ chunk: string; rest: Promise<string> }>((resolve, reject) => {
      req.on('response', (res) => {
        res.setEncoding('utf8');
        let rest = '';
        const ended = new Promise<string>((r) => res.on('end', () => r(rest)));
        res.once('data', (chunk: string) => {
          res.on('data', (c: string) => (rest += c));
          resolve({ chunk, rest: ended });
        });
      });
      req.on('error', reject);
    });
    req.end();
    // The upstream holds the rest back for 5 s: the first chunk must come well before that.
    const { chunk, rest } = await within(2_000, first, 'first chunk');
    expect(chunk).toBe('first chunk\n');
    releaseResponse();
    expect(await within(2_000, rest, 'rest')).toBe('last chunk\n');
  });

  // A body up to server.bufferBodySize (64 KiB) is read whole first; a larger one streams.
  it('passes the first chunk of a large request body on before the client has finished sending', async () => {
    const req = open('/api/upload', 'POST', { 'transfer-encoding': 'chunked' });
    const reached = new Promise<void>((r) => {
      firstBodyChunk = r;
    });
    const answer = new Promise<string>((resolve, reject) => {
      req.on('response', (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve(body));
      });
      req.on('error', reject);
    });
    req.write('a'.repeat(70_000));
    await within(2_000, reached, 'first body chunk upstream');
    req.end('b'.repeat(50));
    expect(JSON.parse(await answer)).toEqual({ bytes: 70_050 });
  });
});

describe('backpressure', () => {
  it('delivers a 16 MB answer whole to a client that reads slowly', async () => {
    const req = open('/api/large');
    const received = new Promise<number>((resolve, reject) => {
      req.on('response', (res) => {
        let bytes = 0;
        // Read in bursts with pauses, so the gateway's writes fill up and must wait for 'drain'.
        res.on('data', (c: Buffer) => {
          bytes += c.length;
          res.pause();
          setTimeout(() => res.resume(), 1);
        });
        res.on('end', () => resolve(bytes));
        res.on('error', reject);
      });
      req.on('error', reject);
    });
    req.end();
    expect(await within(20_000, received, 'the whole answer')).toBe(16 * 1024 * 1024);
    // No Content-Length upstream (chunked): the access log counts the body bytes streamed.
    const line = (await accessLines()).find((l) => l.path === '/api/large');
    expect(line).toMatchObject({ status: 200, bytes: 16 * 1024 * 1024 });
  });
});

describe('interim answers', () => {
  it('passes the final answer on after an upstream 103 Early Hints', async () => {
    const res = await httpsRequest({ port: gw.httpsPort, path: '/api/early-hints' });
    expect(res.status).toBe(200);
    expect(res.body).toBe('final');
  });
});

describe('the upstream pool', () => {
  it('keeps upstream connections alive across client connections', async () => {
    const before = seen.length;
    for (let i = 0; i < 6; i++)
      expect((await httpsRequest({ port: gw.httpsPort, path: `/api/ka${i}` })).status).toBe(200);
    const ports = new Set(seen.slice(before).map((s) => s.remotePort));
    // Six client connections (agent: false) one after another: a pool reuses its sockets.
    expect(ports.size).toBeLessThanOrEqual(2);
  });
});

describe('paths and zones', () => {
  it.each(['/api/a%0Ab', '/api/a%0Db', '/api/%01', '/api/x%1B[31m', '/api/%7F'])(
    '%s (a control character) is 400 bad_request, never forwarded',
    async (path) => {
      const before = seen.length;
      const res = await httpsRequest({ port: gw.httpsPort, path });
      expect([res.status, res.json().error.code]).toEqual([400, 'bad_request']);
      expect(seen.length).toBe(before);
    },
  );

  it('picks the longest prefix on segment boundaries, whatever the zone order', async () => {
    for (const path of ['/api/admin', '/api/admin/x', '/api/./admin/', '/api//admin']) {
      const res = await httpsRequest({ port: gw.httpsPort, path });
      expect([path, res.status, res.json().error?.code]).toEqual([path, 403, 'ip_not_allowed']);
    }
    for (const path of ['/api/adminx', '/api/admins/x', '/api/x/admin']) {
      expect([path, (await httpsRequest({ port: gw.httpsPort, path })).status]).toEqual([path, 200]);
    }
  });
});

describe('X-Request-Id', () => {
  it('is kept from a trusted proxy and replaced from anyone else', async () => {
    const trusted = await httpsRequest({
      port: gw.httpsPort,
      path: '/api/id',
      localAddress: PROXY,
      headers: { 'x-request-id': 'lb-7f3a2c' },
    });
    expect(trusted.headers['x-request-id']).toBe('lb-7f3a2c');
    expect(seen.at(-1)?.requestId).toBe('lb-7f3a2c');
    const untrusted = await httpsRequest({
      port: gw.httpsPort,
      path: '/api/id',
      localAddress: '127.0.0.2',
      headers: { 'x-request-id': 'lb-7f3a2c' },
    });
    expect(untrusted.headers['x-request-id']).toMatch(/\S/);
    expect(untrusted.headers['x-request-id']).not.toBe('lb-7f3a2c');
    expect(seen.at(-1)?.requestId).toBe(untrusted.headers['x-request-id']);
  });
});

describe('a client that goes away', () => {
  // Outside a limited zone the proxy hop aborts its upstream request when the client closes: the
  // upstream connection is free at once.
  it('frees its upstream request at once, logged as 499 client_closed', async () => {
    const before = upstreamAborted;
    const req = open('/api/slow');
    req.on('error', () => {});
    req.end();
    await new Promise((r) => setTimeout(r, 300));
    req.destroy();
    await new Promise((r) => setTimeout(r, 300));
    expect(upstreamAborted).toBe(before + 1);
    const lines = await accessLines();
    expect(lines.find((l) => l.path === '/api/slow')).toMatchObject({
      status: 499,
      decision: 'client_closed',
    });
  });

  // In a zone with maxConcurrent the upstream goes on working on a request whether or not its
  // connection is cut; freeing the slot at once let clients that hang up just after dispatch give
  // the upstream many times maxConcurrent (issue #21). The hop waits for the answer to begin (the
  // upstream's work done), then cuts it; the slot is held until then.
  it('in a zone with maxConcurrent: holds the slot until the upstream has answered, logged as 499', async () => {
    const aborted = upstreamAborted;
    const finished = upstreamFinished;
    const req = open('/single/slow');
    req.on('error', () => {});
    req.end();
    await new Promise((r) => setTimeout(r, 300));
    req.destroy();
    await new Promise((r) => setTimeout(r, 300));
    // Still at the upstream: the zone is full (maxQueue 0).
    expect(upstreamAborted).toBe(aborted);
    expect((await httpsRequest({ port: gw.httpsPort, path: '/single/busy' })).status).toBe(503);
    const deadline = Date.now() + 10_000;
    while (upstreamFinished === finished && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    expect(upstreamFinished).toBe(finished + 1);
    // The slot is free once the hop has read that answer (a moment after the upstream sent it).
    let next = await httpsRequest({ port: gw.httpsPort, path: '/single/next' });
    for (let i = 0; i < 20 && next.status === 503; i++) {
      await new Promise((r) => setTimeout(r, 100));
      next = await httpsRequest({ port: gw.httpsPort, path: '/single/next' });
    }
    expect(next.status).toBe(200);
    const lines = await accessLines();
    expect(lines.find((l) => l.path === '/single/slow')).toMatchObject({
      status: 499,
      decision: 'client_closed',
    });
  });
});
