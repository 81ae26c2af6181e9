import fc from 'fast-check';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { memoryDeps } from '../create-deps.js';
import { isGatewayError } from '../errors.js';
import { parseAddress } from '../net/cidr.js';
import { rq } from '../request-state.js';
import { from, testPolicy } from '../testing/access-app.js';
import { nodeRequest } from '../testing/node-request.js';
import type { GatewayEnv } from '../types.js';
import { clientIp } from './index.js';

const tenants = { t: { hosts: ['t.localhost'], zones: [{ name: 'all', path: '/', auth: 'none' }] } };

function app(trustedProxies: string[] = []) {
  const policy = testPolicy({ trustedProxies, tenants });
  const ctx = { policy, deps: memoryDeps() };
  const a = new Hono<GatewayEnv>();
  a.onError((err, c) => c.json({ code: isGatewayError(err) ? err.code : 'internal_error' }, 400));
  a.use(clientIp(ctx));
  a.get('*', (c) => c.json({ ip: rq(c).clientIp, trusted: rq(c).peerTrusted }));
  return a;
}

async function ask(a: Hono<GatewayEnv>, peer: string | null, xff?: string) {
  const headers = xff === undefined ? undefined : { 'x-forwarded-for': xff };
  const res = await nodeRequest(
    a,
    'https://t.localhost/',
    { headers },
    peer === null ? undefined : from(peer),
  );
  return {
    status: res.status,
    body: (await res.json()) as { ip?: string; trusted?: boolean; code?: string },
  };
}

describe('client address without trusted proxies', () => {
  const a = app();

  it('is the socket peer, and X-Forwarded-For from an untrusted peer is ignored', async () => {
    expect((await ask(a, '203.0.113.7', '198.51.100.1')).body).toEqual({ ip: '203.0.113.7', trusted: false });
  });

  it('unmaps IPv4-mapped IPv6 peers', async () => {
    expect((await ask(a, '::ffff:203.0.113.7')).body.ip).toBe('203.0.113.7');
    expect((await ask(a, '2001:db8::1')).body.ip).toBe('2001:db8::1');
  });

  it('is empty when there is no socket', async () => {
    expect((await ask(a, null)).body.ip).toBe('');
  });
});

describe('client address behind trusted proxies', () => {
  const a = app(['10.0.0.0/8', '2001:db8:ffff::/48']);

  it('takes the rightmost untrusted hop of X-Forwarded-For', async () => {
    const res = await ask(a, '10.0.0.2', '198.51.100.9, 203.0.113.7, 10.0.0.5');
    expect(res.body).toEqual({ ip: '203.0.113.7', trusted: true });
  });

  it('uses the peer when the trusted proxy sent no X-Forwarded-For', async () => {
    expect((await ask(a, '10.0.0.2')).body.ip).toBe('10.0.0.2');
  });

  it('takes the leftmost hop when every hop is trusted', async () => {
    expect((await ask(a, '10.0.0.2', '10.1.1.1, 10.0.0.5')).body.ip).toBe('10.1.1.1');
  });

  it('unmaps ::ffff: hops and trusts IPv6 proxies', async () => {
    expect((await ask(a, '::ffff:10.0.0.2', '::ffff:203.0.113.7')).body.ip).toBe('203.0.113.7');
    expect((await ask(a, '2001:db8:ffff::1', '2001:DB8:0:0::7')).body.ip).toBe('2001:db8::7');
  });

  it('answers 400 to a malformed hop it has to read, never a guess', async () => {
    for (const bad of ['203.0.113.7:4711', 'unknown', '127.1', '', '10.0.0.5,, 10.0.0.6']) {
      expect((await ask(a, '10.0.0.2', `${bad}, 10.0.0.5`)).body.code).toBe('bad_request');
    }
  });

  it('ignores garbage left of the client, which the client wrote itself', async () => {
    expect((await ask(a, '10.0.0.2', 'garbage, 203.0.113.7')).body.ip).toBe('203.0.113.7');
  });

  it('does not believe X-Forwarded-For from an untrusted peer', async () => {
    expect((await ask(a, '192.0.2.1', '203.0.113.7')).body).toEqual({ ip: '192.0.2.1', trusted: false });
  });

  it('never crashes on any header value', async () => {
    const chars = fc.constantFrom(...'0123456789abcdef.:,[] %f\t');
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: chars, maxLength: 60 }), async (xff) => {
        const res = await ask(a, '10.0.0.2', xff);
        expect([200, 400]).toContain(res.status);
        if (res.status === 200) expect(parseAddress(res.body.ip!)).not.toBeNull();
      }),
      { numRuns: 200 },
    );
  });
});
