/**
 * In-process test harness for the result service's unit tests: a real SQLite file in a temp dir,
 * an injected clock, a recording mailer and requests signed like the gateway signs them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { identityHeaders } from '@resultgate/gateway/identity';
import { createResultApp } from './app.js';
import type { Mailer, Notification } from './notify/mailer.js';
import type { ResultAppOptions } from './types.js';

/** The identity key the harness signs with. */
export const TEST_SECRET = 'test-identity-secret-0123456789abcdef';

/** Options of one signed request. */
export interface CallOptions {
  body?: unknown;
  headers?: Record<string, string>;
  /** The authenticated user the gateway vouches for ('' = anonymous). @default 'hr-sync' */
  user?: string;
}

/**
 * A fresh service with its own database file and a clock starting at 2026-12-01T00:00:00Z.
 * @param options overrides of the app options
 */
export function testService(options: Partial<ResultAppOptions> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'result-service-'));
  let now = Date.parse('2026-12-01T00:00:00.000Z');
  const sent: Notification[] = [];
  let mailError: string | undefined;
  const mailer: Mailer = {
    name: 'test',
    async send(m) {
      if (mailError) throw new Error(mailError);
      sent.push(m);
    },
  };
  const service = createResultApp({
    dbFile: join(dir, 'results.db'),
    identitySecret: TEST_SECRET,
    now: () => now,
    mailer,
    ...options,
  });
  let seq = 0;
  /** Identity headers as the gateway signs them, bound to `method` and the raw `target`. */
  const signed = (tenant: string, method: string, target: string, user = 'hr-sync') =>
    identityHeaders(
      TEST_SECRET,
      { tenant, user, roles: user ? ['integration'] : [], requestId: `req-${++seq}` },
      { method, target },
      now,
    );

  return {
    ...service,
    dir,
    sent,
    /** The current fake time, in ms. */
    now: () => now,
    /** Moves the clock forward. */
    advance(ms: number) {
      now += ms;
    },
    /** Makes the recording mailer fail (or succeed again with undefined). */
    failMail(message: string | undefined) {
      mailError = message;
    },
    signed,
    /** A JSON API request as tenant `tenant`. */
    call(tenant: string, method: string, path: string, opts: CallOptions = {}) {
      return service.app.request(path, {
        method,
        headers: {
          ...signed(tenant, method, path, opts.user),
          ...(opts.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...opts.headers,
        },
        ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }),
      });
    },
    /**
     * A recipient form post to `/r` as tenant `tenant` (anonymous, like the gateway's none zone),
     * following the post/redirect/get to `/r/result` with the view cookie as a browser would.
     */
    async openResult(tenant: string, code: string, pin: string, lang = 'en') {
      const posted = await service.app.request('/r', {
        method: 'POST',
        headers: {
          ...signed(tenant, 'POST', '/r', ''),
          'content-type': 'application/x-www-form-urlencoded',
          'accept-language': lang,
        },
        body: new URLSearchParams({ code, pin }).toString(),
      });
      const location = posted.headers.get('location');
      if (posted.status !== 303 || !location) return posted;
      const cookie = (posted.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
      return service.app.request(location, {
        headers: { ...signed(tenant, 'GET', location, ''), cookie, 'accept-language': lang },
      });
    },
    /** Closes the database and removes the temp dir. */
    cleanup() {
      service.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A valid result body; fields can be overridden. */
export function sample(externalId: string, extra: Record<string, unknown> = {}) {
  return {
    externalId,
    recipient: { id: `R-${externalId}`, name: 'Hanako Yamada', email: 'hanako@example.com' },
    title: '2027 entrance exam',
    outcome: 'Passed',
    details: { examNumber: externalId, score: 87 },
    publishAt: '2026-12-01T03:00:00Z',
    expiresAt: '2027-01-01T00:00:00Z',
    ...extra,
  };
}
