/**
 * The waiting room and the scheduled opening, end to end: the real gateway over TLS in front of a
 * slow echo upstream (one request at a time, so the order the upstream sees is the admission
 * order). The scheduled opening runs on an injected clock, not real minutes.
 */
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { admissionRooms, roomKey, TicketSigner } from '@resultgate/gateway/testing';
import { describe, expect, it } from 'vitest';
import {
  type EchoUpstream,
  httpsRequest,
  type RawResponse,
  startEchoUpstream,
  startTestGateway,
  type TestGateway,
} from './helpers/index.js';
import { BROWSER, room, ticketOf, ticketPlace, until, zoneTenants } from './helpers/waiting-room.js';

function placeOf(res: RawResponse): number {
  return Number(/data-place="(\d+)"/.exec(res.body)?.[1]);
}

function get(g: TestGateway, path: string, headers: Record<string, string> = {}, ticket?: string) {
  return httpsRequest({
    port: g.httpsPort,
    path,
    headers: { ...headers, ...(ticket ? { cookie: `__Host-rg-ticket=${ticket}` } : {}) },
    timeout: 20_000,
  });
}

/** An echo upstream that holds the answers to `held` paths until `release(path)`. */
async function holdingUpstream(held: string[]) {
  const waiting = new Map<string, (() => void)[]>();
  const echo = await startEchoUpstream({
    handle: (req, res) => {
      if (!held.includes(req.url ?? '')) return false;
      const list = waiting.get(req.url!) ?? [];
      list.push(() => res.end('{}'));
      waiting.set(req.url!, list);
      return true;
    },
  });
  return Object.assign(echo, {
    release: async (path: string) => {
      await until(() => (waiting.get(path)?.length ?? 0) > 0, `${path} to reach the upstream`);
      waiting.get(path)!.shift()!();
    },
  });
}

function order(echo: EchoUpstream): string[] {
  return echo.requests.map((r) => r.url);
}

describe('waiting room', () => {
  it('admits the queue in arrival order', async () => {
    // The first request is held at the upstream until every other one has queued behind it.
    const echo = await holdingUpstream(['/r/0']);
    const g = await startTestGateway({
      upstream: echo.url,
      tenants: zoneTenants({ maxConcurrent: 1, maxQueue: 10 }),
    });
    try {
      const first = get(g, '/r/0');
      await until(() => room(g).limiter!.active === 1, 'the first request to hold the slot');
      const rest: Promise<RawResponse>[] = [];
      for (let i = 1; i <= 6; i++) {
        rest.push(get(g, `/r/${i}`));
        await until(() => room(g).limiter!.queued === i, `request ${i} to queue`);
      }
      await echo.release('/r/0');
      const all = await Promise.all([first, ...rest]);
      expect(all.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200, 200]);
      expect(order(echo)).toEqual(['/r/0', '/r/1', '/r/2', '/r/3', '/r/4', '/r/5', '/r/6']);
    } finally {
      await g.close();
      await echo.close();
    }
  });

  it('past the queue: a waiting page and a ticket for a browser, 503 + Retry-After for an API client; a refresh keeps the place and beats a later arrival', async () => {
    const echo = await holdingUpstream(['/r/a', '/r/b']);
    const g = await startTestGateway({
      upstream: echo.url,
      tenants: zoneTenants({ maxConcurrent: 1, maxQueue: 1 }),
    });
    try {
      const a = get(g, '/r/a');
      await until(() => room(g).limiter!.active === 1, 'A to hold the slot');
      const b = get(g, '/r/b');
      await until(() => room(g).limiter!.queued === 1, 'B to queue');

      const api = await get(g, '/r/api', { accept: 'application/json' });
      expect(api.status).toBe(503);
      expect(api.json().error.code).toBe('overloaded');
      expect(Number(api.headers['retry-after'])).toBeGreaterThan(0);
      expect(ticketOf(api)).toBeUndefined();

      const d1 = await get(g, '/r/d', BROWSER);
      expect(d1.status).toBe(503);
      expect(d1.headers['content-type']).toContain('text/html');
      expect(d1.body).toMatch(/<meta http-equiv="refresh" content="\d+">/);
      expect(d1.body).not.toContain('<script');
      expect(d1.body).toContain('Your place in line');
      expect(Number(d1.headers['retry-after'])).toBeGreaterThan(0);
      const ticket = ticketOf(d1)!;
      expect(ticket).toBeDefined();
      expect(d1.headers['set-cookie']!.join(';')).toMatch(/Secure/);
      expect(d1.headers['set-cookie']!.join(';')).toMatch(/HttpOnly/);

      // A later browser gets a later place; the first one's refresh keeps its ticket and place.
      const e = await get(g, '/r/e', { ...BROWSER, 'accept-language': 'ja' });
      expect(e.body).toContain('あなたの順番');
      expect(placeOf(e)).toBeGreaterThan(placeOf(d1));
      const d2 = await get(g, '/r/d', BROWSER, ticket);
      expect(d2.status).toBe(503);
      expect(ticketPlace(ticketOf(d2)!)).toEqual(ticketPlace(ticket));
      expect(placeOf(d2)).toBeLessThanOrEqual(placeOf(d1));

      // A finishes and B takes the slot. A newcomer F does not queue ahead of the ticket holders
      // outside; E (a later ticket) refreshes and queues; D (an earlier one) takes E's place.
      await echo.release('/r/a');
      expect((await a).status).toBe(200);
      await until(() => room(g).limiter!.queued === 0, 'B to be admitted');
      const f = await get(g, '/r/f', BROWSER);
      expect(f.status).toBe(503);
      expect(f.body).toContain('Your place in line');
      expect(room(g).limiter!.queued).toBe(0);
      const e2 = get(g, '/r/e', BROWSER, ticketOf(e));
      await until(() => room(g).limiter!.queued === 1, 'E to queue');
      const d3 = get(g, '/r/d', BROWSER, ticketOf(d2));
      const e2Res = await e2;
      expect(e2Res.status).toBe(503);
      expect(ticketPlace(ticketOf(e2Res)!)).toEqual(ticketPlace(ticketOf(e)!));
      await echo.release('/r/b');
      expect((await b).status).toBe(200);
      const d3Res = await d3;
      expect(d3Res.status).toBe(200);
      expect(order(echo)).toEqual(['/r/a', '/r/b', '/r/d']);
    } finally {
      await g.close();
      await echo.close();
    }
  });

  it('a ticket keeps its place across a restart: the new process puts it ahead of a later arrival', async () => {
    const echo = await holdingUpstream(['/r/a', '/r/b', '/r/a2']);
    const tenants = zoneTenants({ maxConcurrent: 1, maxQueue: 1 });
    const g1 = await startTestGateway({ upstream: echo.url, tenants });
    // The restarted gateway reads the same session key (what the ticket is signed with); nothing
    // else of the first process's memory — its line, its tickets out — survives.
    const keyDir = await mkdtemp(join(tmpdir(), 'resultgate-restart-'));
    const secretFile = join(keyDir, 'session.key');
    await copyFile(join(g1.dir, 'session.key'), secretFile);
    let g2: TestGateway | undefined;
    try {
      const a = get(g1, '/r/a');
      await until(() => room(g1).limiter!.active === 1, 'A to hold the slot');
      const b = get(g1, '/r/b');
      await until(() => room(g1).limiter!.queued === 1, 'B to queue');
      const d1 = await get(g1, '/r/d', BROWSER);
      expect(d1.status).toBe(503);
      const ticket = ticketOf(d1)!;
      expect(ticket).toBeDefined();

      // The restart: a new process, then the old one goes (its answers finished first).
      g2 = await startTestGateway({ upstream: echo.url, tenants, extra: { sessions: { secretFile } } });
      await echo.release('/r/a');
      await echo.release('/r/b');
      expect((await a).status).toBe(200);
      expect((await b).status).toBe(200);
      await g1.close();

      // In the new process: A2 holds the slot, E (no ticket, arriving now) takes the one place in
      // line; D comes back with the ticket of the old process and takes E's place.
      const g = g2;
      const a2 = get(g, '/r/a2');
      await until(() => room(g).limiter!.active === 1, 'A2 to hold the slot');
      const e = get(g, '/r/e', BROWSER);
      await until(() => room(g).limiter!.queued === 1, 'E to queue');
      const d2 = get(g, '/r/d', BROWSER, ticket);
      const eRes = await e;
      expect(eRes.status).toBe(503);
      expect(eRes.body).toContain('Your place in line');
      await echo.release('/r/a2');
      expect((await a2).status).toBe(200);
      expect((await d2).status).toBe(200);
      expect(order(echo)).toEqual(['/r/a', '/r/b', '/r/a2', '/r/d']);
    } finally {
      await g2?.close();
      await g1.close().catch(() => {});
      await rm(keyDir, { recursive: true, force: true });
      await echo.close();
    }
  });

  it('refuses a forged ticket and a ticket of another zone or tenant: they count as no ticket', async () => {
    const echo = await holdingUpstream(['/o/hold', '/r/hold', '/r/a']);
    const tenants = zoneTenants({ maxConcurrent: 1, maxQueue: 1 });
    tenants['school-a']!.zones.push({
      name: 'other',
      path: '/o',
      auth: 'none',
      maxConcurrent: 1,
      maxQueue: 0,
    });
    tenants['school-b'] = {
      hosts: ['school-b.localhost'],
      zones: [{ name: 'recipient', path: '/r', auth: 'none', maxConcurrent: 1, maxQueue: 0 }],
    };
    const g = await startTestGateway({ upstream: echo.url, tenants });
    try {
      // Early tickets from the other zone and the other tenant (both full, no queue).
      const holdO = get(g, '/o/hold');
      const holdB = httpsRequest({ port: g.httpsPort, host: 'school-b.localhost', path: '/r/hold' });
      await until(
        () =>
          admissionRooms(g.deps).get(roomKey('school-a', 'other'))!.limiter!.active === 1 &&
          admissionRooms(g.deps).get(roomKey('school-b', 'recipient'))!.limiter!.active === 1,
        'both holds',
      );
      const otherZone = ticketOf(await get(g, '/o/x', BROWSER))!;
      const otherTenant = ticketOf(
        await httpsRequest({ port: g.httpsPort, host: 'school-b.localhost', path: '/r/x', headers: BROWSER }),
      )!;
      expect(otherZone).toBeDefined();
      expect(otherTenant).toBeDefined();

      // The recipient zone: A holds the slot, late arrival L holds the queue place.
      const a = get(g, '/r/a');
      await until(() => room(g).limiter!.active === 1, 'A');
      const late = get(g, '/r/late');
      await until(() => room(g).limiter!.queued === 1, 'L to queue');
      // A forged ticket: a real one with its sequence moved to the front.
      const real = ticketOf(await get(g, '/r/real', BROWSER))!;
      const parts = real.split('.');
      parts[1] = (0).toString(36);
      parts[2] = (0).toString(36);
      const forged = parts.join('.');

      for (const [name, value] of [
        ['forged', forged],
        ['other zone', otherZone],
        ['other tenant', otherTenant],
      ] as const) {
        const res = await get(g, `/r/${name.replace(' ', '-')}`, BROWSER, value);
        expect(res.status, name).toBe(503);
        const issued = ticketOf(res)!;
        // A new ticket at the back of the line, not the one presented.
        expect(issued, name).not.toBe(value);
        expect(ticketPlace(issued).seq, name).toBeGreaterThan(ticketPlace(real).seq);
        expect(room(g).limiter!.queued, name).toBe(1);
      }
      await echo.release('/r/a');
      expect((await a).status).toBe(200);
      expect((await late).status).toBe(200);
      await echo.release('/o/hold');
      await echo.release('/r/hold');
      await Promise.all([holdO, holdB]);
      expect(order(echo)).not.toContain('/r/forged');
      expect(order(echo)).toContain('/r/late');
    } finally {
      await g.close();
      await echo.close();
    }
  });

  it('a queued client that leaves frees its place', async () => {
    const echo = await holdingUpstream(['/r/a']);
    const g = await startTestGateway({
      upstream: echo.url,
      tenants: zoneTenants({ maxConcurrent: 1, maxQueue: 1 }),
    });
    try {
      const a = get(g, '/r/a');
      await until(() => room(g).limiter!.active === 1, 'A');
      const leaver = https.request({
        host: '127.0.0.1',
        port: g.httpsPort,
        path: '/r/leaver',
        servername: 'school-a.localhost',
        headers: { host: 'school-a.localhost' },
        rejectUnauthorized: false,
        agent: false,
      });
      leaver.on('error', () => {});
      leaver.end();
      await until(() => room(g).limiter!.queued === 1, 'the leaver to queue');
      leaver.destroy();
      await until(() => room(g).limiter!.queued === 0, 'the leaver to leave the queue');
      // Its place is free: the next one queues instead of being sent away.
      const c = get(g, '/r/c');
      await until(() => room(g).limiter!.queued === 1, 'C to queue');
      await echo.release('/r/a');
      expect((await a).status).toBe(200);
      expect((await c).status).toBe(200);
      expect(order(echo)).toEqual(['/r/a', '/r/c']);
    } finally {
      await g.close();
      await echo.close();
    }
  });
});

describe('limits shared out', () => {
  it('workers × replicas share maxConcurrent: one process of four admits a quarter', async () => {
    const echo = await holdingUpstream(['/r/a']);
    const g = await startTestGateway({
      upstream: echo.url,
      tenants: zoneTenants({ maxConcurrent: 8, maxQueue: 0 }),
      server: { replicas: 2 },
      deps: { workers: 2 },
    });
    try {
      expect(room(g).limiter!.options.maxConcurrent).toBe(2);
      const a = get(g, '/r/a');
      const b = get(g, '/r/a');
      await until(() => room(g).limiter!.active === 2, 'two in flight');
      const c = await get(g, '/r/c');
      expect(c.status).toBe(503);
      await echo.release('/r/a');
      await echo.release('/r/a');
      expect((await a).status).toBe(200);
      expect((await b).status).toBe(200);
    } finally {
      await g.close();
      await echo.close();
    }
  });
});

describe('scheduled opening (test clock)', () => {
  it('answers a countdown without touching the upstream, then admits the pre-opening tickets in the order of their draw, then later arrivals', async () => {
    const opensAt = Date.parse('2027-02-10T01:00:00Z');
    let clock = opensAt - 20 * 60_000;
    const echo = await startEchoUpstream({ delayMs: 30 });
    const g = await startTestGateway({
      upstream: echo.url,
      tenants: zoneTenants({
        maxConcurrent: 1,
        maxQueue: 20,
        opensAt: new Date(opensAt).toISOString(),
        ticketWindow: '10m',
      }),
      deps: { now: () => clock },
    });
    try {
      // 20 minutes before: a countdown, no ticket yet; an API client gets 503 until the opening.
      const early = await get(g, '/r/early', BROWSER);
      expect(early.status).toBe(503);
      expect(early.body).toContain(`data-opens-at="${new Date(opensAt).toISOString()}"`);
      expect(early.body).toMatch(/<meta http-equiv="refresh" content="\d+">/);
      expect(ticketOf(early)).toBeUndefined();
      const api = await get(g, '/r/api', { accept: 'application/json' });
      expect(api.status).toBe(503);
      expect(Number(api.headers['retry-after'])).toBe(20 * 60);

      // In the last 10 minutes: eight people open the page, each in turn, and get a ticket.
      const tickets: string[] = [];
      for (let i = 0; i < 8; i++) {
        clock = opensAt - (8 - i) * 60_000;
        const res = await get(g, `/r/p${i}`, { ...BROWSER, 'accept-language': i % 2 ? 'ja' : 'en' });
        expect(res.status).toBe(503);
        expect(res.body).toContain('data-opens-at');
        tickets.push(ticketOf(res)!);
      }
      expect(tickets.every(Boolean)).toBe(true);
      // Reloading the countdown keeps the same ticket.
      const again = await get(g, '/r/p0', BROWSER, tickets[0]);
      expect(ticketPlace(ticketOf(again)!)).toEqual(ticketPlace(tickets[0]!));
      expect(echo.requests).toHaveLength(0);

      // The opening: everyone reloads within the settling seconds (in arrival order), then a newcomer.
      clock = opensAt + 1000;
      const answers = tickets.map((t, i) => get(g, `/r/p${i}`, BROWSER, t));
      await until(() => room(g).limiter!.queued === 8, 'the ticket holders to queue');
      const newcomer = get(g, '/r/new', BROWSER);
      await until(() => room(g).limiter!.queued === 9, 'the newcomer to queue');
      expect(echo.requests).toHaveLength(0);
      clock = opensAt + 6000;
      const results = await Promise.all([...answers, newcomer]);
      expect(results.map((r) => r.status)).toEqual(Array(9).fill(200));

      const signer = new TicketSigner(g.deps.sessionKeys);
      const drawOrder = tickets
        .map((t, i) => {
          const { issued, seq } = ticketPlace(t);
          return { path: `/r/p${i}`, draw: signer.draw('school-a', 'recipient', issued, seq) };
        })
        .sort((x, y) => x.draw - y.draw)
        .map((x) => x.path);
      expect(order(echo)).toEqual([...drawOrder, '/r/new']);
    } finally {
      await g.close();
      await echo.close();
    }
  });
});
