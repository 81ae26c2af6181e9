/**
 * The one idempotency rule of the Result API, shared by `POST /results` and `POST /results/batch`:
 * an item is identified by its `externalId` and the fingerprint of its content.
 * - no result with this `externalId` → stored now (`accepted`);
 * - one with identical content → the stored result is the answer (`duplicate`), nothing changes;
 * - one with other content → refused (`duplicate_external_id`): a result is never overwritten.
 * So re-sending an export, in one request or in batches cut any way, gives the same outcome.
 */
import type { ResultRow } from '../resource.js';
import type { ResultInput } from '../schema.js';
import type { ServiceContext } from '../types.js';

/** What happened to one item. */
export type Placement =
  | { outcome: 'accepted'; row: ResultRow | undefined; accessCode?: string; pin?: string }
  | { outcome: 'duplicate'; row: ResultRow | undefined }
  | { outcome: 'conflict'; row: ResultRow | undefined };

/**
 * Places one validated item for a tenant; call inside a transaction.
 * @param dryRun check only; `seen` then stands in for the rows a real run would have stored
 * @param seen `externalId` → content fingerprint of earlier items of the same dry-run batch
 */
export function place(
  ctx: ServiceContext,
  tenant: string,
  input: ResultInput,
  now: number,
  dryRun = false,
  seen: Map<string, string> = new Map(),
): Placement {
  const existing = ctx.store.byExternalId(tenant, input.externalId);
  if (existing) {
    return { outcome: ctx.store.sameContent(existing, input) ? 'duplicate' : 'conflict', row: existing };
  }
  if (dryRun) {
    const earlier = seen.get(input.externalId);
    const hash = ctx.store.contentHash(tenant, input);
    if (earlier !== undefined)
      return { outcome: earlier === hash ? 'duplicate' : 'conflict', row: undefined };
    seen.set(input.externalId, hash);
    return { outcome: 'accepted', row: undefined };
  }
  const { row, accessCode, pin } = ctx.store.insert(tenant, input, now);
  return { outcome: 'accepted', row, accessCode, pin };
}

/** The message of a `duplicate_external_id` refusal. */
export function conflictMessage(externalId: string, row: ResultRow | undefined): string {
  const where = row ? `: ${row.id}` : ' earlier in this batch';
  return `A result with externalId ${externalId} and other content exists${where}. Results are never overwritten: withdraw it and send one with a new externalId.`;
}
