import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { Pool } from 'undici';
import { describe, expect, it } from 'vitest';
import { type GatewayEnv, rq } from '../request-state.js';
import { testPolicy } from '../testing/access-app.js';
import { nodeRequest } from '../testing/node-request.js';
import { parseIPv4 } from './cidr.js';
import { peerTrusted, trustedProxies } from './peer.js';

const tenants = { t: { hosts: ['t.localhost'], zones: [{ name: 'all', path: '/', auth: 'none' }] } };

/**
 * An app whose handler asks three times, as the request id, client address and TLS steps do; after
 * the first answer the socket's address is replaced by a getter that counts its reads.
 */
function app(trustedList: string[]) {
  const trusted = trustedProxies(testPolicy({ trustedProxies: trustedList, tenants }));
  const a = new Hono<GatewayEnv>();
  a.get('*', (c) => {
    const first = peerTrusted(c, trusted);
    let reads = 0;
    Object.defineProperty(c.env.incoming.socket, 'remoteAddress', {
      configurable: true,
      get: () => {
        reads++;
        return '192.0.2.99';
      },
    });
    const answers = [first, peerTrusted(c, trusted), peerTrusted(c, trusted)];
    const { peer, peerAddr } = rq(c);
    return c.json({
      answers,
      reads,
      peer,
      peerAddr: typeof peerAddr === 'number' ? peerAddr : String(peerAddr),
    });
  });
  return a;
}

async function ask(a: Hono<GatewayEnv>, remoteAddress: string | undefined) {
  const res = await nodeRequest(a, 'https://t.localhost/', {}, { remoteAddress });
  return (await res.json()) as { answers: boolean[]; reads: number; peer: string; peerAddr: unknown };
}

describe('the peer, decided once per request', () => {
  const a = app(['10.0.0.0/8', '2001:db8:ffff::/48']);

  it('is read from the socket once, however many steps ask, and kept in the request state', async () => {
    expect(await ask(a, '10.0.0.2')).toEqual({
      answers: [true, true, true],
      reads: 0,
      peer: '10.0.0.2',
      peerAddr: parseIPv4('10.0.0.2'),
    });
  });

  it('unmaps a dual-stack socket’s IPv4 peer and writes IPv6 in its canonical form', async () => {
    expect(await ask(a, '::ffff:10.0.0.2')).toMatchObject({ answers: [true, true, true], peer: '10.0.0.2' });
    expect(await ask(a, '2001:DB8:FFFF:0::1')).toMatchObject({
      answers: [true, true, true],
      peer: '2001:db8:ffff::1',
    });
    expect(await ask(a, '192.0.2.1')).toMatchObject({ answers: [false, false, false], peer: '192.0.2.1' });
  });

  it('is unknown and untrusted without a socket address', async () => {
    expect(await ask(a, undefined)).toMatchObject({
      answers: [false, false, false],
      peer: '',
      peerAddr: 'null',
    });
  });

  it('trusts nobody when server.trustedProxies is empty', async () => {
    expect(await ask(app([]), '10.0.0.2')).toMatchObject({
      answers: [false, false, false],
      peer: '10.0.0.2',
    });
  });

  it('compiles one set per policy list and shares it', () => {
    const policy = testPolicy({ trustedProxies: ['10.0.0.0/8'], tenants });
    expect(trustedProxies(policy)).toBe(trustedProxies(policy));
    expect(trustedProxies(policy).hasText('10.1.2.3')).toBe(true);
  });

  it('is decided once per connection: the next request on it reuses the answer, a reload decides again', async () => {
    const before = trustedProxies(testPolicy({ trustedProxies: ['127.0.0.0/8'], tenants }));
    const after = trustedProxies(testPolicy({ trustedProxies: ['10.0.0.0/8'], tenants }));
    let trusted = before;
    const a = new Hono<GatewayEnv>();
    a.get('*', (c) => {
      const answer = peerTrusted(c, trusted);
      const socket = c.env.incoming.socket;
      // From now on the connection's address reads differently: only a fresh decision sees it.
      Object.defineProperty(socket, 'remoteAddress', { configurable: true, get: () => '10.9.9.9' });
      return c.json({ answer, peer: rq(c).peer, port: socket.remotePort });
    });
    let server: ReturnType<typeof serve> | undefined;
    const port = await new Promise<number>((resolve) => {
      server = serve({ fetch: a.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) =>
        resolve(info.port),
      );
    });
    const pool = new Pool(`http://127.0.0.1:${port}`, { connections: 1 });
    try {
      const get = async () =>
        (await (await pool.request({ path: '/', method: 'GET' })).body.json()) as object;
      const first = (await get()) as { port: number };
      expect(first).toMatchObject({ answer: true, peer: '127.0.0.1' });
      expect(await get()).toEqual({ answer: true, peer: '127.0.0.1', port: first.port });
      trusted = after;
      expect(await get()).toEqual({ answer: true, peer: '10.9.9.9', port: first.port });
    } finally {
      await pool.close();
      await new Promise((resolve) => server?.close(resolve));
    }
  });
});
