/**
 * End-to-end: the proxy core's operations over real TLS — upstream failures (502 within a second,
 * 504 at the policy timeout), admission control, draining on close, and policy reloads.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type EchoUpstream,
  httpsRequest,
  proxyTenants,
  startEchoUpstream,
  startTestGateway,
} from './helpers/index.js';

const tenants = proxyTenants();

let echo: EchoUpstream;
beforeAll(async () => {
  echo = await startEchoUpstream();
});
afterAll(async () => {
  await echo?.close();
});

describe('upstream failures', () => {
  it('answers 502 upstream_unavailable within a second when nothing listens', async () => {
    const dead = await startEchoUpstream();
    await dead.close(); // a port that was just free: connection refused
    const g = await startTestGateway({ upstream: dead.url, tenants });
    try {
      const t0 = Date.now();
      const res = await httpsRequest({ port: g.httpsPort, path: '/api/x' });
      expect(res.status).toBe(502);
      expect(res.json().error.code).toBe('upstream_unavailable');
      expect(Date.now() - t0).toBeLessThan(1000);
    } finally {
      await g.close();
    }
  });

  it('answers 504 upstream_timeout at the policy timeout', async () => {
    // The upstream would answer after 20 s: an answer well before that is the gateway's timeout, with
    // room for a loaded CI machine (a 3 s upstream and a 2 s bound failed once under load).
    const slow = await startEchoUpstream({ delayMs: 20_000 });
    const g = await startTestGateway({ upstream: slow.url, tenants, upstreamOptions: { timeout: '300ms' } });
    try {
      const t0 = Date.now();
      const res = await httpsRequest({ port: g.httpsPort, path: '/api/x' });
      const elapsed = Date.now() - t0;
      expect(res.status).toBe(504);
      expect(res.json().error.code).toBe('upstream_timeout');
      expect(elapsed).toBeGreaterThanOrEqual(250);
      expect(elapsed).toBeLessThan(10_000);
    } finally {
      await g.close();
      await slow.close();
    }
  });
});

describe('admission and shutdown', () => {
  it('answers 503 overloaded past maxConcurrent + maxQueue, and frees the slot when the answer ends', async () => {
    const slow = await startEchoUpstream({ delayMs: 400 });
    const g = await startTestGateway({
      upstream: slow.url,
      tenants: {
        'school-a': {
          hosts: ['school-a.localhost'],
          zones: [{ name: 'api', path: '/api', auth: 'none', maxConcurrent: 1, maxQueue: 0 }],
        },
      },
    });
    try {
      const first = httpsRequest({ port: g.httpsPort, path: '/api/slow' });
      await new Promise((r) => setTimeout(r, 100));
      const second = await httpsRequest({ port: g.httpsPort, path: '/api/other' });
      expect(second.status).toBe(503);
      expect(second.json().error.code).toBe('overloaded');
      expect(Number(second.headers['retry-after'])).toBeGreaterThan(0);
      expect((await first).status).toBe(200);
      expect((await httpsRequest({ port: g.httpsPort, path: '/api/again' })).status).toBe(200);
    } finally {
      await g.close();
      await slow.close();
    }
  });

  it('drains an in-flight request on close, then refuses new connections', async () => {
    const slow = await startEchoUpstream({ delayMs: 300 });
    const g = await startTestGateway({ upstream: slow.url, tenants });
    try {
      const inFlight = httpsRequest({ port: g.httpsPort, path: '/api/slow' });
      await new Promise((r) => setTimeout(r, 100));
      const closed = g.close();
      expect((await inFlight).status).toBe(200);
      await closed;
      await expect(httpsRequest({ port: g.httpsPort, path: '/api/x', timeout: 2000 })).rejects.toThrow();
    } finally {
      await g.close();
      await slow.close();
    }
  });

  /** A gateway whose audit events are kept, and its policy with `/api` replaced by `/r`. */
  async function auditedGateway() {
    const events: { type: string }[] = [];
    const g = await startTestGateway({
      upstream: echo.url,
      tenants,
      deps: { audit: { write: (e) => events.push(e) } },
    });
    const next = structuredClone(g.policyInput);
    next.tenants['school-a']!.zones = [{ name: 'recipient', path: '/r', auth: 'none' }];
    return { g, events, next };
  }

  it('reloads a valid policy and records it in the audit log', async () => {
    const { g, events, next } = await auditedGateway();
    try {
      expect((await httpsRequest({ port: g.httpsPort, path: '/api/x' })).status).toBe(200);
      await g.writePolicy(next);
      await g.reload();
      expect((await httpsRequest({ port: g.httpsPort, path: '/api/x' })).status).toBe(404);
      expect(events.map((e) => e.type)).toEqual(['policy_reload']);
      await g.writePolicy({ ...next, version: 2 as 1 });
      await expect(g.reload()).rejects.toThrow();
      expect(events.map((e) => e.type)).toEqual(['policy_reload', 'policy_reload_refused']);
    } finally {
      await g.close();
    }
  });

  it('coalesces reloads asked for while one runs into one more, which sees the last write', async () => {
    const { g, events, next } = await auditedGateway();
    try {
      const first = g.reload();
      // Written after the first reload began: the calls made meanwhile must still load it.
      await g.writePolicy(next);
      const rest = Array.from({ length: 8 }, () => g.reload());
      await Promise.all([first, ...rest]);
      expect(events.map((e) => e.type)).toEqual(['policy_reload', 'policy_reload']);
      expect((await httpsRequest({ port: g.httpsPort, path: '/api/x' })).status).toBe(404);
      expect((await httpsRequest({ port: g.httpsPort, path: '/r/x' })).status).toBe(200);
      // Alone, a reload is one reload.
      await g.reload();
      expect(events).toHaveLength(3);
    } finally {
      await g.close();
    }
  });

  it('reloads when the policy file changes on disk', async () => {
    const g = await startTestGateway({ upstream: echo.url, tenants, watch: true });
    try {
      expect((await httpsRequest({ port: g.httpsPort, path: '/api/x' })).status).toBe(200);
      const next = structuredClone(g.policyInput);
      next.tenants['school-a']!.zones = [{ name: 'recipient', path: '/r', auth: 'none' }];
      await g.writePolicy(next);
      let status = 200;
      for (let i = 0; i < 50 && status === 200; i++) {
        await new Promise((r) => setTimeout(r, 100));
        status = (await httpsRequest({ port: g.httpsPort, path: '/api/x' })).status;
      }
      expect(status).toBe(404);
    } finally {
      await g.close();
    }
  });

  it('refuses to start on a port in use, releasing what it had bound', async () => {
    const g = await startTestGateway({ upstream: echo.url, tenants });
    try {
      await expect(
        startTestGateway({
          upstream: echo.url,
          tenants,
          server: { http: { port: g.httpPort!, host: '127.0.0.1' } },
        }),
      ).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await g.close();
    }
  });
});
