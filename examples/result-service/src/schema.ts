/**
 * The Result API's input and output shapes (docs/architecture.md §8). zod is the single source of the types;
 * every problem is reported with its field path.
 */
import { z } from 'zod';

/** Where a result is in its life. */
export const RESULT_STATUSES = [
  'scheduled',
  'published',
  'notified',
  'viewed',
  'withdrawn',
  'expired',
  'failed',
] as const;
export type ResultStatus = (typeof RESULT_STATUSES)[number];

const MAX_DETAILS_JSON = 16 * 1024;
// Printable text without control characters: these end up in e-mails and HTML.
const text = (max: number) =>
  z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .regex(/^[^\p{Cc}]*$/u, 'must not contain control characters');

/** Any JSON value (the values of an object `details`). One instance, so the OpenAPI names it once. */
export const jsonValue = z.json();

const isoTime = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time with a time zone' });

/** One result as an integrator sends it. `publishAt` defaults to now; no `expiresAt` = never. */
export const resultInput = z
  .strictObject({
    externalId: text(128),
    recipient: z.strictObject({
      id: text(128),
      name: text(200).optional(),
      email: z.email('must be an e-mail address').max(254).optional(),
    }),
    title: text(200),
    outcome: text(100),
    details: z
      .union([z.string().max(10_000), z.record(z.string(), jsonValue)], {
        message: 'must be a string or an object',
      })
      .default({})
      .refine(
        (d) => JSON.stringify(d).length <= MAX_DETAILS_JSON,
        `must be at most ${MAX_DETAILS_JSON} bytes as JSON`,
      ),
    publishAt: isoTime.optional(),
    expiresAt: isoTime.optional(),
  })
  .superRefine((r, ctx) => {
    if (r.expiresAt && r.publishAt && Date.parse(r.expiresAt) <= Date.parse(r.publishAt)) {
      ctx.addIssue({ code: 'custom', path: ['expiresAt'], message: 'must be after publishAt' });
    }
  });
export type ResultInput = z.infer<typeof resultInput>;

/** The batch envelope; each item is validated on its own so one bad item does not sink the rest. */
export const batchInput = z.strictObject({
  items: z.array(z.unknown()).min(1, 'must hold at least 1 item').max(1000, 'must hold at most 1000 items'),
});

/** Query of `GET /results`. */
export const listQuery = z.strictObject({
  status: z.enum(RESULT_STATUSES).optional(),
  since: isoTime.optional(),
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int('must be an integer').min(1).max(200).default(50),
});

// The answers below are the single source of the response types and of the
// OpenAPI document (openapi.ts): what the routes return is typed by them.

const isoOut = z.iso.datetime().describe('UTC ISO 8601 date-time');
const isoOrNull = isoOut.nullable();

/** A recipient as stored and returned. */
export const recipient = z.strictObject({
  id: z.string().describe("The integrator's id for the person (exam number, employee id)"),
  name: z.string().optional(),
  email: z.string().optional(),
});
export type Recipient = z.infer<typeof recipient>;

/** A result as the API returns it. */
export const resultResource = z.strictObject({
  id: z.string().describe('The service id, `res_…`'),
  externalId: z.string().describe("The integrator's own key, unique per tenant"),
  recipient,
  title: z.string(),
  outcome: z.string(),
  details: z.union([z.string(), z.record(z.string(), jsonValue)]),
  publishAt: isoOut,
  expiresAt: isoOrNull,
  status: z.enum(RESULT_STATUSES),
  createdAt: isoOut,
  updatedAt: isoOut,
  publishedAt: isoOrNull,
  notifiedAt: isoOrNull,
  viewedAt: isoOrNull,
  withdrawnAt: isoOrNull,
  expiredAt: isoOrNull,
  failedAt: isoOrNull,
  lastError: z.string().nullable().describe('Why the last notification failed'),
});
export type ResultResource = z.infer<typeof resultResource>;

/** The answer of a create: the result plus its access code and PIN, shown this once. */
export const createdResult = resultResource.extend({
  accessCode: z.string().describe('Print it on the recipient letter; shown only in this answer'),
  pin: z.string().describe('Shown only in this answer; stored only as a keyed hash'),
});
export type CreatedResult = z.infer<typeof createdResult>;

/** One field problem. */
export const validationIssue = z.strictObject({
  path: z.string().describe('e.g. `recipient.email` or `items[3].title`; `(body)` for the whole body'),
  message: z.string(),
});

/** The error envelope of every refusal, the gateway's included. */
export const errorEnvelope = z.strictObject({
  error: z.strictObject({
    code: z.string().describe('e.g. `validation_failed`, `duplicate_external_id`, `not_found`'),
    message: z.string(),
    requestId: z.string().describe('The X-Request-Id: quote it to the operator'),
    issues: z.array(validationIssue).optional(),
  }),
});

/** What a dry run of `POST /results` answers. */
export const dryRunAnswer = z.strictObject({
  dryRun: z.literal(true),
  result: z.strictObject({
    ...resultInput.shape,
    details: resultResource.shape.details,
    publishAt: isoOut,
    expiresAt: isoOrNull,
    status: z.literal('scheduled'),
  }),
});

/** One item's fate in a batch. */
export const batchItemOutcome = z.strictObject({
  index: z.int().min(0),
  externalId: z.string().nullable(),
  outcome: z
    .enum(['accepted', 'duplicate', 'rejected'])
    .describe(
      '`accepted`: stored now; `duplicate`: a result with this externalId and identical content exists (it is `result`); `rejected`: see `reason` and `issues`',
    ),
  result: z
    .union([createdResult, resultResource])
    .optional()
    .describe('The new result (with accessCode and PIN) or the stored one; absent on dry runs'),
  reason: z
    .enum(['validation_failed', 'duplicate_external_id'])
    .optional()
    .describe('Why the item was rejected'),
  issues: z.array(validationIssue).optional(),
});
export type BatchItemOutcome = z.infer<typeof batchItemOutcome>;

/** `POST /results/batch` answer. */
export const batchAnswer = z.strictObject({
  dryRun: z.literal(true).optional(),
  summary: z.strictObject({ accepted: z.int(), duplicate: z.int(), rejected: z.int() }),
  items: z.array(batchItemOutcome),
});

/** `GET /results` answer. */
export const resultPage = z.strictObject({
  data: z.array(resultResource),
  nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last'),
});

/** `GET /results/{id}/status` answer. */
export const statusAnswer = z.strictObject({
  id: z.string(),
  externalId: z.string(),
  status: z.enum(RESULT_STATUSES),
  steps: z.array(
    z.strictObject({
      status: z.enum(RESULT_STATUSES),
      at: isoOut,
      detail: z.string().optional().describe('e.g. the error of a failed notification'),
    }),
  ),
  notifyAttempts: z.int().min(0),
  lastError: z.string().nullable(),
});

/** The body of a status webhook (`result.published`, `.notified`, …). */
export const statusEvent = z.strictObject({
  type: z.enum(
    RESULT_STATUSES.filter((s) => s !== 'scheduled').map((s) => `result.${s}`) as [string, ...string[]],
  ),
  timestamp: isoOut,
  data: z.strictObject({
    id: z.string(),
    externalId: z.string(),
    status: z.enum(RESULT_STATUSES),
    at: isoOut,
    error: z.string().optional().describe('For `result.failed`: why'),
  }),
});

/** The body of a `recipient.notify` webhook (tenants in `notifyWebhooks` tell recipients themselves). */
export const notifyEvent = z.strictObject({
  type: z.literal('recipient.notify'),
  timestamp: isoOut,
  data: z.strictObject({
    resultId: z.string(),
    externalId: z.string(),
    recipient,
    subject: z.string(),
    text: z.string().describe('The ja/en notification text, with the link'),
    url: z.string().describe('The recipient page'),
  }),
});
