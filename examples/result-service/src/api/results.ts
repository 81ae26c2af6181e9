/**
 * Result API v1 under `/api/v1` (docs/architecture.md §8): send and batch (send.ts), get (by id or by the
 * integrator's externalId), list with an opaque cursor, withdraw and the status history. Every query is scoped to the verified tenant; another
 * tenant's id answers 404 exactly like an unknown one.
 */
import { Hono } from 'hono';
import { ApiError, zodIssues } from '../errors.js';
import { openApiDocument } from '../openapi.js';
import { iso, toResource } from '../resource.js';
import { listQuery } from '../schema.js';
import type { ServiceContext, ServiceEnv } from '../types.js';
import { sendRoutes } from './send.js';

function encodeCursor(seq: number): string {
  return Buffer.from(JSON.stringify({ v: 1, after: seq })).toString('base64url');
}

function decodeCursor(cursor: string): number {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as {
      v?: unknown;
      after?: unknown;
    };
    if (parsed.v === 1 && Number.isSafeInteger(parsed.after) && (parsed.after as number) >= 0)
      return parsed.after as number;
  } catch {
    // fall through: any undecodable cursor is a validation error
  }
  throw new ApiError('validation_failed', 'The query is invalid.', [
    { path: 'cursor', message: 'not a cursor from this API' },
  ]);
}

/**
 * The `/api/v1` routes.
 * @example app.route('/api/v1', resultApi(ctx))
 */
export function resultApi(ctx: ServiceContext): Hono<ServiceEnv> {
  const api = new Hono<ServiceEnv>();
  api.use(async function noStore(c, next) {
    await next();
    c.header('Cache-Control', 'no-store');
  });
  sendRoutes(api, ctx);
  api.get('/openapi.json', (c) => c.json(openApiDocument()));

  const find = (tenant: string, id: string) => {
    const row = ctx.store.get(tenant, id);
    if (!row) throw new ApiError('not_found', `No result with id ${id}.`);
    return row;
  };

  api.get('/results', (c) => {
    const parsed = listQuery.safeParse(c.req.query());
    if (!parsed.success)
      throw new ApiError('validation_failed', 'The query is invalid.', zodIssues(parsed.error));
    const q = parsed.data;
    const rows = ctx.store.list(c.get('identity').tenant, {
      status: q.status,
      since: q.since === undefined ? undefined : Date.parse(q.since),
      afterSeq: q.cursor === undefined ? undefined : decodeCursor(q.cursor),
      limit: q.limit + 1,
    });
    const page = rows.slice(0, q.limit);
    const last = page.at(-1);
    return c.json({
      data: page.map(toResource),
      nextCursor: rows.length > q.limit && last ? encodeCursor(last.seq) : null,
    });
  });

  // Before `/results/:id/status`, which it would otherwise match for an externalId of `status`.
  api.get('/results/by-external-id/:externalId', (c) => {
    const externalId = c.req.param('externalId');
    const row = ctx.store.byExternalId(c.get('identity').tenant, externalId);
    if (!row) throw new ApiError('not_found', 'No result with this externalId.');
    return c.json(toResource(row));
  });

  api.get('/results/:id', (c) => c.json(toResource(find(c.get('identity').tenant, c.req.param('id')))));

  api.get('/results/:id/status', (c) => {
    const row = find(c.get('identity').tenant, c.req.param('id'));
    return c.json({
      id: row.id,
      externalId: row.external_id,
      status: row.status,
      steps: ctx.store
        .events(row.id)
        .map((e) => ({ status: e.status, at: iso(e.at), ...(e.detail ? { detail: e.detail } : {}) })),
      notifyAttempts: row.notify_attempts,
      lastError: row.last_error,
    });
  });

  api.delete('/results/:id', (c) => {
    const row = find(c.get('identity').tenant, c.req.param('id'));
    if (row.status === 'withdrawn') return c.json(toResource(row));
    const updated = ctx.store.transition(row, 'withdrawn', ctx.now());
    if (!updated) throw new ApiError('invalid_state', `A result that is ${row.status} cannot be withdrawn.`);
    return c.json(toResource(updated));
  });

  return api;
}
