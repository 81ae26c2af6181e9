/**
 * End-to-end: every SDK error class provoked for real through the real gateway over TLS, each by a
 * request that carries the password, a recipient's name, e-mail, outcome and details in its body
 * and a query string — and every rendering a log aggregator could receive (`util.inspect` at any
 * depth with hidden fields, `JSON.stringify`, `toString`, the stack, everything reachable from the
 * error) searched for them. What must be there instead: code, status, method, URL path, request
 * id and the issues.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import type { RunningResultService } from '@resultgate/example-result-service';
import type { PolicyInput } from '@resultgate/gateway';
import {
  AuthenticationError,
  type ClientOptions,
  ConflictError,
  IpNotAllowedError,
  MaintenanceError,
  NetworkError,
  NotFoundError,
  OverloadedError,
  PermissionError,
  RateLimitError,
  ResultClient,
  ResultGateError,
  type ResultInput,
  TimeoutError,
  UpstreamError,
  ValidationError,
} from '@resultgate/sdk';
import { createNodeFetch, LOCALHOST_RESOLVE } from '@resultgate/sdk/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cheapHash,
  type EchoUpstream,
  httpsRequest,
  startEchoUpstream,
  startTestGateway,
  type TestGateway,
  testCertificate,
} from './helpers/index.js';
import { startTestResultService, type TestResultService } from './helpers/result-service.js';

const PASSWORD = 'Redact-Me-Pa55word';
const WRONG = 'Wrong-Pa55word-Zz';
const b64 = (user: string, password: string) => Buffer.from(`${user}:${password}`).toString('base64');
const users = () => ({
  'hr-sync': { passwordHash: cheapHash(PASSWORD), roles: ['integration'] },
  viewer: { passwordHash: cheapHash(PASSWORD), roles: ['viewer'] },
});
const zones = [{ name: 'api', path: '/api', auth: 'basic' as const, roles: ['integration'] }];
const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();
const tenant = (host: string, extra: Partial<PolicyInput['tenants'][string]> = {}) => ({
  hosts: [host],
  users: users(),
  zones,
  ...extra,
});

/** Strings that must appear in no rendering of any error. */
const FORBIDDEN = [
  PASSWORD,
  WRONG,
  b64('hr-sync', PASSWORD),
  b64('hr-sync', WRONG),
  b64('viewer', PASSWORD),
  'Basic ',
  'Yamada Hanako',
  'hanako@example.jp',
  'OUTCOME-合格-7731',
  'DETAIL-SCORE-9871',
  'QUERY-MARK',
  'dryRun=true',
];

const person = (externalId: string, extra: Partial<ResultInput> = {}): ResultInput => ({
  externalId,
  recipient: { id: `R-${externalId}`, name: 'Yamada Hanako', email: 'hanako@example.jp' },
  title: '2027年度 入学試験',
  outcome: 'OUTCOME-合格-7731',
  details: { score: 'DETAIL-SCORE-9871' },
  ...extra,
});

let results: TestResultService;
let service: RunningResultService;
let slow: EchoUpstream;
let html: EchoUpstream;
const gw: Record<string, TestGateway> = {};
let ca: string;
let deadPort: number;
const timers = new Set<NodeJS.Timeout>();

/** Holds `/api/hold` and `/api/slow/…` for 1.2 s (the admission slot, the client timeout). */
function slowHandler(req: IncomingMessage, res: ServerResponse): boolean {
  if (!req.url?.startsWith('/api/hold') && !req.url?.startsWith('/api/slow/')) return false;
  const t = setTimeout(() => {
    timers.delete(t);
    if (!res.destroyed) res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  }, 1_200);
  timers.add(t);
  return true;
}

beforeAll(async () => {
  results = await startTestResultService('sdk-redaction-', { schedulerIntervalMs: 0 });
  service = results.service;
  const { identitySecret } = results;
  const deps = { identitySecret };
  const up = service.url;
  gw.main = await startTestGateway({ upstream: up, tenants: { a: tenant('school-a.localhost') }, deps });
  gw.walled = await startTestGateway({
    upstream: up,
    tenants: { w: tenant('acme-hr.localhost', { ipAllow: ['203.0.113.0/24'] }) },
    deps,
  });
  gw.locky = await startTestGateway({
    upstream: up,
    tenants: {
      l: tenant('acme-hr.localhost', { lockout: { maxFailures: 2, window: '15m', duration: '15m' } }),
    },
    deps,
  });
  gw.maint = await startTestGateway({
    upstream: up,
    tenants: {
      m: tenant('acme-hr.localhost', {
        maintenance: [
          {
            start: iso(Date.now() - HOUR),
            end: iso(Date.now() + HOUR),
            announced: iso(Date.now() - 8 * 24 * HOUR),
          },
        ],
      }),
    },
    deps,
  });
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  deadPort = (closed.address() as AddressInfo).port;
  await new Promise((r) => closed.close(r));
  gw.dead = await startTestGateway({
    upstream: `http://127.0.0.1:${deadPort}`,
    tenants: { a: tenant('school-a.localhost') },
    deps,
  });
  slow = await startEchoUpstream({ handle: slowHandler });
  gw.busy = await startTestGateway({
    upstream: slow.url,
    tenants: { b: tenant('acme-hr.localhost', { zones: [{ ...zones[0]!, maxConcurrent: 1, maxQueue: 0 }] }) },
  });
  html = await startEchoUpstream({
    handle: (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html>Yamada Hanako OUTCOME-合格-7731</html>');
      return true;
    },
  });
  gw.html = await startTestGateway({ upstream: html.url, tenants: { a: tenant('school-a.localhost') } });
  ca = (await testCertificate()).cert;
});

afterAll(async () => {
  for (const g of Object.values(gw)) await g.close();
  for (const t of timers) clearTimeout(t);
  await slow?.close();
  await html?.close();
  await results?.close();
});

function client(name: string, extra: Partial<ClientOptions> = {}, host?: string) {
  const g = gw[name]!;
  const h = host ?? (g.policyInput.tenants[Object.keys(g.policyInput.tenants)[0]!]!.hosts[0] as string);
  return new ResultClient({
    baseUrl: `https://${h}:${g.httpsPort}`,
    username: 'hr-sync',
    password: PASSWORD,
    fetch: createNodeFetch({ resolve: { ...LOCALHOST_RESOLVE }, ca }),
    retry: { limit: 1, baseDelay: 20, maxDelay: 50 },
    ...extra,
  });
}

/** A send with personal data in the body and a query string (`?dryRun=true`). */
const sendPersonal = (c: ResultClient, id = 'redact-1') =>
  c.results.send(person(id), { dryRun: true }).then(
    () => undefined,
    (e: unknown) => e,
  );

/** Every object reachable from `root` through own properties, hidden ones and symbols included. */
function reachable(root: unknown): unknown[] {
  const seen = new Set<unknown>();
  const walk = (v: unknown) => {
    if (v === null || (typeof v !== 'object' && typeof v !== 'function') || seen.has(v)) return;
    seen.add(v);
    for (const key of Reflect.ownKeys(v as object)) {
      const d = Object.getOwnPropertyDescriptor(v, key);
      if (d && 'value' in d) walk(d.value);
    }
    if (v instanceof Headers) for (const [k, val] of v) walk({ [k]: val });
  };
  walk(root);
  return [...seen];
}

/** Every way an error is written to a log, joined. */
function renderings(err: unknown): string {
  const parts = [
    inspect(err, { depth: Number.POSITIVE_INFINITY, showHidden: true, getters: true }),
    inspect(err),
    JSON.stringify(err),
    String(err),
    (err as Error).stack ?? '',
    inspect((err as Error).cause, { depth: Number.POSITIVE_INFINITY, showHidden: true }),
    JSON.stringify((err as { headers?: Headers }).headers ? [...(err as { headers: Headers }).headers] : []),
  ];
  for (const obj of reachable(err)) {
    if (typeof obj === 'object' && obj !== null && !Array.isArray(obj) && !(obj instanceof Error))
      parts.push(JSON.stringify(obj) ?? '');
  }
  return parts.join('\n');
}

/** The checks every error must pass. */
function expectSafe(err: unknown, Class: new (...a: never[]) => ResultGateError, code: string) {
  expect(err).toBeInstanceOf(Class);
  const e = err as ResultGateError;
  expect(e.code).toBe(code);
  const text = renderings(e);
  for (const secret of FORBIDDEN) expect(text, `${e.name} ${code} leaks ${secret}`).not.toContain(secret);
  // Nothing of the request or response objects is kept.
  for (const obj of reachable(e)) {
    expect(obj instanceof Request || obj instanceof Response).toBe(false);
    if (obj !== e && obj instanceof Error) expect.fail(`${e.name} keeps an Error object: ${obj.name}`);
  }
  // What must be there, in every rendering.
  const json = JSON.parse(JSON.stringify(e)) as Record<string, unknown>;
  expect(json).toMatchObject({ code, method: e.method, url: e.url });
  expect(e.url).not.toContain('?');
  expect(new URL(e.url).pathname).toMatch(/^\/.+/);
  for (const shown of [String(e), inspect(e)]) {
    expect(shown).toContain(code);
    expect(shown).toContain(`${e.method} ${e.url}`);
    if (e.status !== undefined) expect(shown).toContain(String(e.status));
    if (e.requestId !== undefined) expect(shown).toContain(e.requestId);
    for (const issue of e.issues) expect(shown).toContain(`${issue.path}: ${issue.message}`);
  }
  if (e.status !== undefined) expect(json.status).toBe(e.status);
  if (e.requestId !== undefined) expect(json.requestId).toBe(e.requestId);
  return e;
}

describe('SDK errors are safe to log', () => {
  it('AuthenticationError: a wrong password (401), then the breaker', async () => {
    const c = client('main', { password: WRONG, authFailureLimit: 1 });
    const e = expectSafe(await sendPersonal(c), AuthenticationError, 'unauthorized');
    expect(e.status).toBe(401);
    expect(e.requestId).toEqual(expect.any(String));
    expectSafe(await sendPersonal(c), AuthenticationError, 'auth_breaker_open');
  });

  it('PermissionError: a user without the zone role', async () => {
    const e = expectSafe(
      await sendPersonal(client('main', { username: 'viewer' })),
      PermissionError,
      'forbidden',
    );
    expect(e.status).toBe(403);
  });

  it('IpNotAllowedError, MaintenanceError', async () => {
    expectSafe(await sendPersonal(client('walled')), IpNotAllowedError, 'ip_not_allowed');
    expectSafe(await sendPersonal(client('maint')), MaintenanceError, 'maintenance');
  });

  it('RateLimitError: a lockout', async () => {
    const c = client('locky', { password: WRONG, authFailureLimit: 0, retry: 0 });
    let err: unknown;
    for (let i = 0; i < 5 && !(err instanceof RateLimitError); i++) err = await sendPersonal(c);
    expectSafe(err, RateLimitError, 'locked_out');
  });

  it('ValidationError: issues are shown, the rejected values are not', async () => {
    const c = client('main');
    const bad = person('redact-bad', {
      title: '',
      recipient: { id: 'x', name: 'Yamada Hanako', email: 'hanako@example.jp-not an address' },
    });
    const err = await c.results.send(bad, { dryRun: true }).catch((e: unknown) => e);
    const e = expectSafe(err, ValidationError, 'validation_failed');
    expect(e.issues.map((i) => i.path).sort()).toEqual(['recipient.email', 'title']);
    expect(String(e)).toContain('recipient.email: must be an e-mail address');
  });

  it('ConflictError: the same externalId with other content', async () => {
    const c = client('main');
    await c.results.send(person('redact-conflict'));
    const err = await c.results
      .send(person('redact-conflict', { outcome: 'OUTCOME-合格-7731 changed' }))
      .catch((e: unknown) => e);
    expectSafe(err, ConflictError, 'duplicate_external_id');
  });

  it('NotFoundError: a path the gateway has no route for', async () => {
    const g = gw.main!;
    const c = client('main', { baseUrl: `https://school-a.localhost:${g.httpsPort}/nowhere/` });
    expectSafe(await sendPersonal(c), NotFoundError, 'no_route');
    expectSafe(
      await client('main')
        .results.get('res_none')
        .catch((e: unknown) => e),
      NotFoundError,
      'not_found',
    );
  });

  it('UpstreamError: the upstream is down (502 after a retry)', async () => {
    const e = expectSafe(await sendPersonal(client('dead')), UpstreamError, 'upstream_unavailable');
    expect(e.status).toBe(502);
  });

  it('OverloadedError and TimeoutError', async () => {
    const hold = httpsRequest({
      port: gw.busy!.httpsPort,
      host: 'acme-hr.localhost',
      path: '/api/hold',
      headers: { authorization: `Basic ${b64('hr-sync', PASSWORD)}` },
    });
    try {
      await new Promise((r) => setTimeout(r, 200));
      expectSafe(await sendPersonal(client('busy', { retry: 0 })), OverloadedError, 'overloaded');
    } finally {
      expect((await hold).status).toBe(200);
    }
    const c = client('busy', {
      timeout: 300,
      retry: 0,
      baseUrl: `https://acme-hr.localhost:${gw.busy!.httpsPort}/api/slow/`,
    });
    const err = await c.results.send(person('redact-slow'), { dryRun: true }).catch((e: unknown) => e);
    expectSafe(err, TimeoutError, 'timeout');
  });

  it('NetworkError: no listener, and a certificate nobody vouches for', async () => {
    const refused = client('main', { baseUrl: `https://school-a.localhost:${deadPort}`, retry: 0 });
    const e = expectSafe(await sendPersonal(refused), NetworkError, 'network_error');
    expect(e.cause).toMatchObject({ code: 'ECONNREFUSED' });
    const untrusted = client('main', {
      fetch: createNodeFetch({ resolve: { ...LOCALHOST_RESOLVE } }),
      retry: 0,
    });
    expectSafe(await sendPersonal(untrusted), NetworkError, 'network_error');
  });

  it('ResultGateError invalid_response: an HTML page where JSON was expected', async () => {
    const e = expectSafe(await sendPersonal(client('html')), ResultGateError, 'invalid_response');
    expect(e.status).toBe(200);
  });
});
