/**
 * `POST /results` and `POST /results/batch`: validate, then place each item by the one rule of
 * place.ts (new → stored, identical → the stored result, other content → refused), answer once.
 */
import type { Hono } from 'hono';
import { transaction } from '../db.js';
import { ApiError, type ValidationIssue, zodIssues } from '../errors.js';
import { toResource } from '../resource.js';
import { type BatchItemOutcome, batchInput, type ResultInput, resultInput } from '../schema.js';
import type { ServiceContext, ServiceEnv } from '../types.js';
import { type Answer, idempotent, isDryRun, readJson } from './idempotent.js';
import { conflictMessage, place } from './place.js';

function parseOne(body: unknown, prefix = ''): ResultInput | ValidationIssue[] {
  const parsed = resultInput.safeParse(body);
  return parsed.success ? parsed.data : zodIssues(parsed.error, prefix);
}

/** Preview of what would be stored, for dry runs. */
function preview(input: ResultInput, now: number) {
  return {
    ...input,
    publishAt: new Date(input.publishAt ? Date.parse(input.publishAt) : now).toISOString(),
    expiresAt: input.expiresAt ? new Date(Date.parse(input.expiresAt)).toISOString() : null,
    status: 'scheduled' as const,
  };
}

/**
 * Validates and stores a batch item by item (one bad item does not sink the rest): the logic of
 * `POST /results/batch`, shared with the admin pages' CSV import so both validate alike.
 * Run it inside a transaction (and through the idempotency store) when not a dry run.
 * @param items the raw items, each validated with the API's schema
 * @param dryRun validate and check duplicates only; store nothing
 */
export function runBatch(
  ctx: ServiceContext,
  tenant: string,
  items: readonly unknown[],
  dryRun: boolean,
): Answer {
  const now = ctx.now();
  const seen = new Map<string, string>();
  const outcomes = items.map((item, index): BatchItemOutcome => {
    const input = parseOne(item, `items[${index}]`);
    if (Array.isArray(input)) {
      const externalId = (item as { externalId?: unknown } | null)?.externalId;
      return {
        index,
        externalId: typeof externalId === 'string' ? externalId : null,
        outcome: 'rejected',
        reason: 'validation_failed',
        issues: input,
      };
    }
    const { externalId } = input;
    const placed = place(ctx, tenant, input, now, dryRun, seen);
    const result = placed.row ? toResource(placed.row) : undefined;
    if (placed.outcome === 'conflict') {
      const message = conflictMessage(externalId, placed.row);
      return {
        index,
        externalId,
        outcome: 'rejected',
        reason: 'duplicate_external_id',
        issues: [{ path: `items[${index}].externalId`, message }],
      };
    }
    if (placed.outcome === 'duplicate')
      return { index, externalId, outcome: 'duplicate', ...(result ? { result } : {}) };
    if (!result) return { index, externalId, outcome: 'accepted' };
    return {
      index,
      externalId,
      outcome: 'accepted',
      result: { ...result, accessCode: placed.accessCode, pin: placed.pin },
    };
  });
  const summary = { accepted: 0, duplicate: 0, rejected: 0 };
  for (const i of outcomes) summary[i.outcome]++;
  return { status: 200, body: { ...(dryRun ? { dryRun: true } : {}), summary, items: outcomes } };
}

/** Mounts the two write routes of results. */
export function sendRoutes(api: Hono<ServiceEnv>, ctx: ServiceContext): void {
  api.post('/results', async (c) => {
    const { tenant } = c.get('identity');
    const body = await readJson(c);
    const input = parseOne(body);
    if (Array.isArray(input)) throw new ApiError('validation_failed', 'The result is invalid.', input);
    const dryRun = isDryRun(c);
    const run = (): Answer =>
      transaction(ctx.db, () => {
        const placed = place(ctx, tenant, input, ctx.now(), dryRun);
        if (placed.outcome === 'conflict')
          throw new ApiError('duplicate_external_id', conflictMessage(input.externalId, placed.row));
        if (dryRun) return { status: 200, body: { dryRun: true, result: preview(input, ctx.now()) } };
        const row = placed.row as NonNullable<typeof placed.row>;
        if (placed.outcome === 'duplicate') return { status: 200, body: toResource(row) };
        const { accessCode, pin } = placed as { accessCode: string; pin: string };
        return { status: 201, body: { ...toResource(row), accessCode, pin } };
      });
    if (dryRun) {
      const answer = run();
      return c.json(answer.body as object, 200);
    }
    return idempotent(c, ctx, body, run);
  });

  api.post('/results/batch', async (c) => {
    const { tenant } = c.get('identity');
    const body = await readJson(c);
    const envelope = batchInput.safeParse(body);
    if (!envelope.success)
      throw new ApiError('validation_failed', 'The batch is invalid.', zodIssues(envelope.error));
    const dryRun = isDryRun(c);
    const run = () => runBatch(ctx, tenant, envelope.data.items, dryRun);
    if (dryRun) return c.json(run().body as object, 200);
    return idempotent(c, ctx, body, () => transaction(ctx.db, run));
  });
}
