/**
 * Contract test: real requests to every operation of Result API v1 through the real gateway over
 * TLS, and every answer — successes, refusals of the service and of the gateway — validated
 * against the committed OpenAPI 3.1 document with ajv (JSON Schema 2020-12, the dialect of
 * OpenAPI 3.1) and ajv-formats; so are the webhooks the service really delivers (status changes
 * and recipient notifications). The test also fails if an operation of the document was never
 * exercised, or if an answer matches no documented response.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RunningResultService } from '@resultgate/example-result-service';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cheapHash,
  httpsRequest,
  type RawResponse,
  startTestGateway,
  type TestGateway,
} from './helpers/index.js';
import { startTestResultService, type TestResultService } from './helpers/result-service.js';
import { DOCUMENT } from './openapi/generate.js';

type Json = Record<string, unknown>;
interface Operation {
  responses: Record<string, { content?: Record<string, { schema?: Json }> }>;
  requestBody?: { content: Record<string, { schema: Json }> };
}
const doc = JSON.parse(readFileSync(DOCUMENT, 'utf8')) as {
  paths: Record<string, Record<string, Operation>>;
  webhooks: Record<string, Record<string, Operation>>;
};
const BASE = '/api/v1';

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats.default(ajv);
ajv.addSchema(doc, 'openapi.json');
/** A schema taken out of the document, its `#/…` references pointed back into the document. */
function compile(schema: Json): ValidateFunction {
  const text = JSON.stringify(schema).replaceAll('"#/components/', '"openapi.json#/components/');
  return ajv.compile(JSON.parse(text));
}

/** Operations the test reached, `METHOD /path`. */
const exercised = new Set<string>();
const validators = new Map<string, ValidateFunction>();

function operationFor(method: string, target: string): [string, Operation] {
  const path = target.split('?')[0]!.slice(BASE.length);
  // The template with the fewest parameters wins: `/results/batch` before `/results/{id}`.
  const templates = Object.keys(doc.paths).sort((a, b) => a.split('{').length - b.split('{').length);
  for (const template of templates) {
    const re = new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`);
    const op = doc.paths[template]?.[method.toLowerCase()];
    if (re.test(path) && op) return [`${method} ${template}`, op];
  }
  throw new Error(`no operation in the document for ${method} ${target}`);
}

/** Validates one answer against its operation's documented response for its status. */
function expectDocumented(method: string, target: string, res: RawResponse) {
  const [name, op] = operationFor(method, target);
  exercised.add(name);
  const key = op.responses[String(res.status)] ? String(res.status) : 'default';
  const response = op.responses[key];
  expect(response, `${name} answered ${res.status}, which the document does not list`).toBeDefined();
  const schema = response?.content?.['application/json']?.schema;
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  if (!schema) return;
  const id = `${name} ${key}`;
  let validate = validators.get(id);
  if (!validate) {
    validate = compile(schema);
    validators.set(id, validate);
  }
  const body = res.json();
  const ok = validate(body);
  expect(ok, `${name} ${res.status}: ${ajv.errorsText(validate.errors)}\n${res.body.slice(0, 400)}`).toBe(
    true,
  );
}

const PASSWORD = 'Contract-Pass-1';
const SECRET = `whsec_${randomBytes(24).toString('base64')}`;

let results: TestResultService;
let service: RunningResultService;
let gw: TestGateway;
let receiver: ReturnType<typeof createServer>;
const hooks: { path: string; body: unknown; headers: Json }[] = [];

beforeAll(async () => {
  receiver = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    hooks.push({
      path: req.url ?? '',
      body: JSON.parse(Buffer.concat(chunks).toString()),
      headers: req.headers,
    });
    res.writeHead(204).end();
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const hookBase = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  results = await startTestResultService('contract-', {
    schedulerIntervalMs: 100,
    webhooks: { 'school-a': { url: `${hookBase}/status`, secret: SECRET } },
    notifyWebhooks: { 'school-a': { url: `${hookBase}/notify`, secret: SECRET } },
  });
  service = results.service;
  const { identitySecret } = results;
  gw = await startTestGateway({
    upstream: service.url,
    tenants: {
      'school-a': {
        hosts: ['school-a.localhost'],
        users: { 'hr-sync': { passwordHash: cheapHash(PASSWORD), roles: ['integration'] } },
        zones: [{ name: 'api', path: '/api', auth: 'basic', roles: ['integration'] }],
      },
    },
    deps: { identitySecret },
  });
});

afterAll(async () => {
  await gw?.close();
  await results?.close();
  await new Promise((r) => receiver?.close(r));
});

const auth = `Basic ${Buffer.from(`hr-sync:${PASSWORD}`).toString('base64')}`;
/** One request through the gateway; its answer is validated against the document. */
async function call(method: string, target: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await httpsRequest({
    port: gw.httpsPort,
    method,
    path: target,
    headers: {
      authorization: auth,
      accept: 'application/json',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  expectDocumented(method, target, res);
  return res;
}

const item = (externalId: string, extra: Json = {}) => ({
  externalId,
  recipient: { id: `R-${externalId}`, name: '山田 花子', email: 'hanako@example.jp' },
  title: '2027年度 入学試験',
  outcome: '合格',
  details: { rank: 3, notes: ['a', null, { x: true }] },
  ...extra,
});

describe('Result API v1 answers as its OpenAPI document says', () => {
  it('the document served is the committed one', async () => {
    const res = await call('GET', `${BASE}/openapi.json`);
    expect(res.json()).toEqual(JSON.parse(readFileSync(DOCUMENT, 'utf8')));
  });

  it('POST /results: created, identical again, other content, invalid, not JSON, dry run, replayed', async () => {
    const created = await call('POST', `${BASE}/results`, item('c-1'));
    expect(created.status).toBe(201);
    expect((await call('POST', `${BASE}/results`, item('c-1'))).status).toBe(200);
    expect((await call('POST', `${BASE}/results`, item('c-1', { outcome: '不合格' }))).status).toBe(409);
    expect((await call('POST', `${BASE}/results`, item('c-2', { title: '' }))).status).toBe(422);
    expect((await call('POST', `${BASE}/results`, '{nope')).status).toBe(400);
    expect((await call('POST', `${BASE}/results?dryRun=true`, item('c-3'))).status).toBe(200);
    const key = { 'idempotency-key': 'contract-key-1' };
    const first = await call('POST', `${BASE}/results`, item('c-4', { details: 'text details' }), key);
    const replay = await call('POST', `${BASE}/results`, item('c-4', { details: 'text details' }), key);
    expect([first.status, replay.status, replay.headers['idempotent-replayed']]).toEqual([201, 201, 'true']);
    const reused = await call('POST', `${BASE}/results`, item('c-5'), key);
    expect(reused.status).toBe(422);
  });

  it('POST /results/batch: every outcome, a dry run, an invalid envelope', async () => {
    const items = [item('b-1'), item('b-2', { outcome: 42 }), item('c-1'), item('c-1', { title: 'x' })];
    const res = await call('POST', `${BASE}/results/batch`, { items });
    expect(res.json().summary).toEqual({ accepted: 1, duplicate: 1, rejected: 2 });
    expect((await call('POST', `${BASE}/results/batch?dryRun=true`, { items })).status).toBe(200);
    expect((await call('POST', `${BASE}/results/batch`, { items: [] })).status).toBe(422);
  });

  it('GET /results: pages with a cursor, filters, an invalid query', async () => {
    const page = await call('GET', `${BASE}/results?limit=2`);
    const cursor = page.json().nextCursor as string;
    expect(cursor).toEqual(expect.any(String));
    await call('GET', `${BASE}/results?limit=2&cursor=${cursor}`);
    await call('GET', `${BASE}/results?status=scheduled&since=2026-01-01T00:00:00Z`);
    expect((await call('GET', `${BASE}/results?limit=0`)).status).toBe(422);
  });

  it('GET by id, by externalId, the status history; DELETE twice; unknown ids', async () => {
    const id = (await call('GET', `${BASE}/results/by-external-id/c-1`)).json().id as string;
    expect((await call('GET', `${BASE}/results/by-external-id/none`)).status).toBe(404);
    await call('GET', `${BASE}/results/${id}`);
    expect((await call('GET', `${BASE}/results/res_none`)).status).toBe(404);
    // Let the scheduler publish and notify it, so the history and the webhooks have steps.
    const until = Date.now() + 15_000;
    while (Date.now() < until) {
      const status = (await call('GET', `${BASE}/results/${id}/status`)).json().status;
      if (status === 'notified') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const history = (await call('GET', `${BASE}/results/${id}/status`)).json();
    expect(history.steps.map((s: { status: string }) => s.status)).toEqual([
      'scheduled',
      'published',
      'notified',
    ]);
    expect((await call('GET', `${BASE}/results/res_none/status`)).status).toBe(404);
    expect((await call('DELETE', `${BASE}/results/${id}`)).json().status).toBe('withdrawn');
    expect((await call('DELETE', `${BASE}/results/${id}`)).status).toBe(200);
    expect((await call('DELETE', `${BASE}/results/res_none`)).status).toBe(404);
  });

  it("the gateway's refusals have the documented error shape", async () => {
    const res = await call('GET', `${BASE}/results`, undefined, { authorization: 'Basic d3Jvbmc6d3Jvbmc=' });
    expect(res.status).toBe(401);
  });

  it('the webhooks delivered match the documented payloads', async () => {
    const until = Date.now() + 15_000;
    const types = () => new Set(hooks.map((h) => (h.body as { type: string }).type));
    while (!(types().has('result.withdrawn') && types().has('recipient.notify')) && Date.now() < until)
      await new Promise((r) => setTimeout(r, 100));
    expect([...types()]).toEqual(
      expect.arrayContaining(['recipient.notify', 'result.published', 'result.notified', 'result.withdrawn']),
    );
    const schemaOf = (name: string) =>
      compile(doc.webhooks[name]?.post?.requestBody?.content['application/json']?.schema as Json);
    const status = schemaOf('resultStatus');
    const notify = schemaOf('recipientNotify');
    for (const hook of hooks) {
      const validate = hook.path === '/notify' ? notify : status;
      expect(validate(hook.body), `${hook.path}: ${ajv.errorsText(validate.errors)}`).toBe(true);
      for (const h of ['webhook-id', 'webhook-timestamp', 'webhook-signature'])
        expect(hook.headers[h]).toBeTruthy();
    }
  });

  it('every operation of the document was exercised', () => {
    const all = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect([...exercised].sort()).toEqual(all.sort());
  });
});
