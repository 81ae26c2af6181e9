import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openApiDocument } from './openapi.js';
import { testService } from './test-kit.js';

let svc: ReturnType<typeof testService>;
beforeEach(() => {
  svc = testService();
});
afterEach(() => svc.cleanup());

describe('the OpenAPI document', () => {
  it('is generated from the schemas, and the committed openapi.json is up to date (npm run openapi)', () => {
    const committed = JSON.parse(readFileSync(new URL('../openapi.json', import.meta.url), 'utf8'));
    expect(committed).toEqual(openApiDocument());
    expect(committed.openapi).toMatch(/^3\.1\./);
  });

  it('is served at /api/v1/openapi.json to an authenticated API user', async () => {
    const res = await svc.call('a', 'GET', '/api/v1/openapi.json');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(openApiDocument());
    expect((await svc.call('a', 'GET', '/api/v1/openapi.json', { user: '' })).status).toBe(403);
  });

  it('names every answer and request body, and describes the webhooks', () => {
    const doc = openApiDocument() as {
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
      webhooks: Record<string, unknown>;
    };
    const { schemas } = doc.components;
    expect(Object.keys(schemas)).toEqual(
      expect.arrayContaining([
        'Result',
        'CreatedResult',
        'ResultInput',
        'BatchRequest',
        'Error',
        'StatusEvent',
      ]),
    );
    // From the zod schema: a field added there shows up here.
    expect(Object.keys(schemas.Result?.properties ?? {})).toContain('viewedAt');
    expect(Object.keys(doc.webhooks)).toEqual(['resultStatus', 'recipientNotify']);
    expect(JSON.stringify(doc)).not.toContain('__shared');
  });
});
