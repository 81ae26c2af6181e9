/**
 * The OpenAPI 3.1 document of Result API v1, generated from the zod schemas the routes validate
 * and answer with (schema.ts) — one source: a field added there appears here. Served at
 * `GET /api/v1/openapi.json` and committed as `openapi.json` (a test keeps the file current;
 * `npm run openapi -w @resultgate/example-result-service` rewrites it). Status webhooks are
 * described under `webhooks`.
 */
import { z } from 'zod';
import { API_ERRORS } from './errors.js';
import {
  batchAnswer,
  batchInput,
  batchItemOutcome,
  createdResult,
  dryRunAnswer,
  errorEnvelope,
  jsonValue,
  listQuery,
  notifyEvent,
  recipient,
  resultInput,
  resultPage,
  resultResource,
  statusAnswer,
  statusEvent,
  validationIssue,
} from './schema.js';

type JsonSchema = Record<string, unknown>;

/** Named components: the answers (output), and the request bodies (input, defaults optional). */
function components(): Record<string, JsonSchema> {
  const out = z.registry<{ id: string }>();
  for (const [schema, id] of [
    [jsonValue, 'JsonValue'],
    [recipient, 'Recipient'],
    [resultResource, 'Result'],
    [createdResult, 'CreatedResult'],
    [validationIssue, 'ValidationIssue'],
    [errorEnvelope, 'Error'],
    [dryRunAnswer, 'DryRunResult'],
    [batchItemOutcome, 'BatchItemOutcome'],
    [batchAnswer, 'BatchResponse'],
    [resultPage, 'ResultPage'],
    [statusAnswer, 'ResultStatus'],
    [statusEvent, 'StatusEvent'],
    [notifyEvent, 'RecipientNotifyEvent'],
  ] as const)
    out.add(schema, { id });
  const input = z.registry<{ id: string }>();
  input.add(jsonValue, { id: 'JsonValue' });
  input.add(resultInput, { id: 'ResultInput' });
  input.add(
    batchInput.extend({
      items: batchInput.shape.items.describe('Each item a ResultInput, validated on its own'),
    }),
    {
      id: 'BatchRequest',
    },
  );
  const uri = (id: string) => `#/components/schemas/${id}`;
  const schemas: Record<string, JsonSchema> = {
    ...z.toJSONSchema(out, { uri, io: 'output', unrepresentable: 'any' }).schemas,
    ...z.toJSONSchema(input, { uri, io: 'input', unrepresentable: 'any' }).schemas,
  };
  // Each component is a schema inside the document, not a document of its own.
  for (const schema of Object.values(schemas)) {
    delete schema.$schema;
    delete schema.$id;
  }
  // zod writes a JSON value as a recursive union, which several client generators (and TypeScript,
  // for openapi-typescript's output) cannot follow: any JSON value is the empty schema.
  schemas.JsonValue = { description: 'Any JSON value' };
  // A batch item is checked one by one (a bad item is rejected, not the batch): say what it is.
  const batch = schemas.BatchRequest as unknown as { properties: { items: JsonSchema } };
  batch.properties.items.items = { $ref: uri('ResultInput') };
  return schemas;
}

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });
const json = (id: string, description: string) => ({
  description,
  content: { 'application/json': { schema: ref(id) } },
});
/** Every refusal, the gateway's included, has one shape. */
const ERROR = json('Error', 'A refusal: `{ error: { code, message, requestId, issues? } }`');
const errors = (...statuses: number[]) =>
  Object.fromEntries([...statuses.map((s) => [String(s), ERROR] as const), ['default', ERROR]]);

const idempotencyKey = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description:
    'Makes retries of one request safe: the same key and body within 24 h answer the first answer again (`Idempotent-Replayed: true`); the same key with another body is `422 idempotency_key_reused`; while the first runs, `409 idempotency_in_progress`.',
  schema: { type: 'string', pattern: '^[\\x21-\\x7e]{1,255}$' },
};
const dryRunParam = {
  name: 'dryRun',
  in: 'query',
  required: false,
  description: 'Validate only: nothing is stored.',
  schema: { type: 'string', enum: ['true', '1'] },
};
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };

/** Query parameters of `GET /results`, from the zod query schema. */
function listParameters() {
  const schema = z.toJSONSchema(listQuery, { io: 'input', unrepresentable: 'any' }) as {
    properties: Record<string, JsonSchema>;
  };
  return Object.entries(schema.properties).map(([name, s]) => ({
    name,
    in: 'query',
    required: false,
    schema: s,
  }));
}

const webhookHeaders = ['webhook-id', 'webhook-timestamp', 'webhook-signature'].map((name) => ({
  name,
  in: 'header',
  required: true,
  schema: { type: 'string' },
}));

/** Error codes with their status, for the description. */
const codes = Object.entries(API_ERRORS)
  .map(([code, status]) => `\`${code}\` ${status}`)
  .join(', ');

let built: JsonSchema | undefined;

/**
 * The document (built once; the schemas do not change while the process runs).
 * @example JSON.stringify(openApiDocument(), null, 2)
 */
export function openApiDocument(): JsonSchema {
  built ??= build();
  return built;
}

function build(): JsonSchema {
  return {
    openapi: '3.1.1',
    info: {
      title: 'resultgate Result API',
      version: '1.0.0',
      description: [
        'Send results to recipients and follow their notification status. Every request goes through the resultgate gateway (HTTPS, the tenant host, Basic auth); the tenant is the host.',
        '',
        '**One idempotency rule** for `POST /results` and `POST /results/batch`: an item is identified by its `externalId` and its content. A new externalId is stored (`201` / `accepted`, with the access code and PIN, shown this once); identical content sent again is answered with the stored result (`200` / `duplicate`); other content under a stored externalId is refused (`409 duplicate_external_id` / `rejected`) — a result is never overwritten.',
        '',
        `Error codes of the service: ${codes}. The gateway adds its own (\`ip_not_allowed\`, \`locked_out\`, \`maintenance\`, \`overloaded\`, …) in the same envelope.`,
      ].join('\n'),
    },
    servers: [
      {
        url: 'https://{host}/api/v1',
        variables: {
          host: { default: 'school-a.localhost:8443', description: "The tenant's host on the gateway" },
        },
      },
    ],
    security: [{ basic: [] }],
    paths: {
      '/results': {
        post: {
          operationId: 'sendResult',
          summary: 'Send one result',
          parameters: [idempotencyKey, dryRunParam],
          requestBody: { required: true, content: { 'application/json': { schema: ref('ResultInput') } } },
          responses: {
            '201': json(
              'CreatedResult',
              'Stored now: the result with its access code and PIN (shown only here)',
            ),
            '200': {
              description: 'Identical content was stored before: that result (no code or PIN); or a dry run',
              content: { 'application/json': { schema: { oneOf: [ref('Result'), ref('DryRunResult')] } } },
            },
            ...errors(400, 401, 403, 409, 413, 422, 429, 503),
          },
        },
        get: {
          operationId: 'listResults',
          summary: "List the tenant's results in creation order, a page at a time",
          parameters: listParameters(),
          responses: { '200': json('ResultPage', 'A page'), ...errors(401, 403, 422) },
        },
      },
      '/results/batch': {
        post: {
          operationId: 'sendResults',
          summary: 'Send up to 1000 results; each item gets its own outcome',
          parameters: [idempotencyKey, dryRunParam],
          requestBody: { required: true, content: { 'application/json': { schema: ref('BatchRequest') } } },
          responses: {
            '200': json('BatchResponse', 'One outcome per item, in order'),
            ...errors(400, 401, 403, 409, 413, 422),
          },
        },
      },
      '/results/by-external-id/{externalId}': {
        get: {
          operationId: 'getResultByExternalId',
          summary: "One result by the integrator's own key",
          parameters: [{ name: 'externalId', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { '200': json('Result', 'The result'), ...errors(401, 403, 404) },
        },
      },
      '/results/{id}': {
        get: {
          operationId: 'getResult',
          summary: 'One result by its id',
          parameters: [idParam],
          responses: { '200': json('Result', 'The result'), ...errors(401, 403, 404) },
        },
        delete: {
          operationId: 'withdrawResult',
          summary: 'Withdraw a result: recipients no longer see it (again: the same answer)',
          parameters: [idParam],
          responses: { '200': json('Result', 'The withdrawn result'), ...errors(401, 403, 404, 409) },
        },
      },
      '/results/{id}/status': {
        get: {
          operationId: 'getResultStatus',
          summary: 'The current status and the time of each step',
          parameters: [idParam],
          responses: { '200': json('ResultStatus', 'Status and history'), ...errors(401, 403, 404) },
        },
      },
      '/openapi.json': {
        get: {
          operationId: 'getOpenApi',
          summary: 'This document',
          responses: { '200': { description: 'OpenAPI 3.1', content: { 'application/json': {} } } },
        },
      },
    },
    webhooks: {
      resultStatus: {
        post: {
          summary:
            'A status change (`result.published`, `.notified`, `.viewed`, `.withdrawn`, `.expired`, `.failed`), signed per Standard Webhooks',
          description:
            '`webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">` with the bytes of the tenant\'s `whsec_…` secret. Answer 2xx; anything else is retried (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h).',
          parameters: webhookHeaders,
          requestBody: { required: true, content: { 'application/json': { schema: ref('StatusEvent') } } },
          responses: { '204': { description: 'Received' } },
        },
      },
      recipientNotify: {
        post: {
          summary:
            'Tell a recipient their result is published (tenants that notify through their own system)',
          parameters: webhookHeaders,
          requestBody: {
            required: true,
            content: { 'application/json': { schema: ref('RecipientNotifyEvent') } },
          },
          responses: { '204': { description: 'Received' } },
        },
      },
    },
    components: {
      securitySchemes: {
        basic: { type: 'http', scheme: 'basic', description: "An API user of the tenant's policy" },
      },
      schemas: components(),
    },
  };
}
