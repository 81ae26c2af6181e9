/**
 * The Result API's input and output shapes (DESIGN §8). zod is the single source of the types;
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
      .union([z.string().max(10_000), z.record(z.string(), z.json())], {
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

/** A recipient as stored and returned. */
export interface Recipient {
  id: string;
  name?: string;
  email?: string;
}

/** A result as the API returns it; `accessCode` and `pin` appear only in the create response. */
export interface ResultResource {
  id: string;
  externalId: string;
  recipient: Recipient;
  title: string;
  outcome: string;
  details: string | Record<string, unknown>;
  publishAt: string;
  expiresAt: string | null;
  status: ResultStatus;
  createdAt: string;
  updatedAt: string;
  publishedAt: string | null;
  notifiedAt: string | null;
  viewedAt: string | null;
  withdrawnAt: string | null;
  expiredAt: string | null;
  failedAt: string | null;
  lastError: string | null;
  accessCode?: string;
  pin?: string;
}
