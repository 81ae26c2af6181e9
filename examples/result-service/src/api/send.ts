/** `POST /results` and `POST /results/batch`: validate, reject duplicates, store, answer once. */
import type { Hono } from 'hono';
import { transaction } from '../db.js';
import { ApiError, type ValidationIssue, zodIssues } from '../errors.js';
import { toResource } from '../resource.js';
import { batchInput, type ResultInput, type ResultResource, resultInput } from '../schema.js';
import type { ServiceContext, ServiceEnv } from '../types.js';
import { type Answer, idempotent, isDryRun, readJson } from './idempotent.js';

/** One item's fate in a batch. */
export interface BatchItemOutcome {
  index: number;
  externalId: string | null;
  outcome: 'accepted' | 'duplicate' | 'rejected';
  /** The new result (with access code and PIN) or, for a duplicate, the existing one. Absent on dry runs. */
  result?: ResultResource;
  reason?: string;
  issues?: ValidationIssue[];
}

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
    status: 'scheduled',
  };
}

/** Mounts the two write routes of results. */
export function sendRoutes(api: Hono<ServiceEnv>, ctx: ServiceContext): void {
  api.post('/results', async (c) => {
    const { tenant } = c.get('identity');
    const body = await readJson(c);
    const input = parseOne(body);
    if (Array.isArray(input)) throw new ApiError('validation_failed', 'The result is invalid.', input);
    const duplicate = () => {
      const existing = ctx.store.byExternalId(tenant, input.externalId);
      if (existing)
        throw new ApiError(
          'duplicate_external_id',
          `A result with externalId ${input.externalId} exists: ${existing.id}.`,
        );
    };
    if (isDryRun(c)) {
      duplicate();
      return c.json({ dryRun: true, result: preview(input, ctx.now()) }, 200);
    }
    return idempotent(
      c,
      ctx,
      body,
      (): Answer =>
        transaction(ctx.db, () => {
          duplicate();
          const { row, accessCode, pin } = ctx.store.insert(tenant, input, ctx.now());
          return { status: 201, body: { ...toResource(row), accessCode, pin } };
        }),
    );
  });

  api.post('/results/batch', async (c) => {
    const { tenant } = c.get('identity');
    const body = await readJson(c);
    const envelope = batchInput.safeParse(body);
    if (!envelope.success)
      throw new ApiError('validation_failed', 'The batch is invalid.', zodIssues(envelope.error));
    const dryRun = isDryRun(c);
    const run = (): Answer => {
      const now = ctx.now();
      const seen = new Map<string, ResultResource | undefined>();
      const items = envelope.data.items.map((item, index): BatchItemOutcome => {
        const input = parseOne(item, `items[${index}]`);
        if (Array.isArray(input)) {
          const externalId = (item as { externalId?: unknown } | null)?.externalId;
          return {
            index,
            externalId: typeof externalId === 'string' ? externalId : null,
            outcome: 'rejected',
            reason: `validation_failed: ${input.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
            issues: input,
          };
        }
        const externalId = input.externalId;
        const existing = ctx.store.byExternalId(tenant, externalId);
        if (existing || seen.has(externalId)) {
          const result = existing ? toResource(existing) : seen.get(externalId);
          return {
            index,
            externalId,
            outcome: 'duplicate',
            reason: 'duplicate_external_id',
            ...(result ? { result } : {}),
          };
        }
        if (dryRun) {
          seen.set(externalId, undefined);
          return { index, externalId, outcome: 'accepted' };
        }
        const { row, accessCode, pin } = ctx.store.insert(tenant, input, now);
        const resource = toResource(row);
        seen.set(externalId, resource);
        return { index, externalId, outcome: 'accepted', result: { ...resource, accessCode, pin } };
      });
      const summary = { accepted: 0, duplicate: 0, rejected: 0 };
      for (const i of items) summary[i.outcome]++;
      return { status: 200, body: { ...(dryRun ? { dryRun: true } : {}), summary, items } };
    };
    if (dryRun) return c.json(run().body as object, 200);
    return idempotent(c, ctx, body, () => transaction(ctx.db, run));
  });
}
