import type { HttpCore } from '../http.js';
import { batchFingerprint, callKey, idempotencyKeyFor } from '../idempotency.js';
import { Page, PagePromise } from '../pagination.js';
import type {
  BatchOptions,
  BatchResponse,
  CreatedResult,
  DryRunResult,
  ListParams,
  Result,
  ResultInput,
  ResultStatusInfo,
  SendOptions,
} from '../types.js';
import { type SendManyOptions, type SendManyReport, sendMany } from './send-many.js';

const BASE = 'api/v1/results';

function idPath(id: string): string {
  if (!id) throw new TypeError('id is required');
  return `${BASE}/${encodeURIComponent(id)}`;
}

interface ListBody {
  data?: Result[];
  items?: Result[];
  nextCursor?: string | null;
}

/**
 * `client.results`: the Result API v1 (docs/architecture.md §8). One small class, as openai-node's resources.
 */
export class Results {
  readonly #http: HttpCore;

  constructor(http: HttpCore) {
    this.#http = http;
  }

  /**
   * Sends one result. Sending identical content again (here, or earlier through `sendBatch` or
   * `sendMany`) answers the stored result; other content under the same `externalId` is a
   * {@link ConflictError}. Retries of this call carry one `Idempotency-Key` and get the first
   * answer replayed, so a lost answer never loses the access code and PIN.
   * @returns the stored result; `accessCode` and `pin` only when it was created by this call
   * @throws {ValidationError} with `issues` when the item is invalid
   * @throws {ConflictError} `duplicate_external_id` when a result with this externalId has other content
   * @example const r = await client.results.send({ externalId: 'E-1', recipient: { id: 'A-001' }, title: '合否', outcome: '合格' });
   */
  async send(item: ResultInput, options?: SendOptions & { dryRun?: false }): Promise<CreatedResult>;
  async send(item: ResultInput, options: SendOptions & { dryRun: true }): Promise<DryRunResult>;
  async send(item: ResultInput, options: SendOptions = {}): Promise<CreatedResult | DryRunResult> {
    const idempotencyKey = options.idempotencyKey ?? (await callKey(idempotencyKeyFor(item)));
    const { data } = await this.#http.request<CreatedResult | DryRunResult>('POST', BASE, {
      json: item,
      idempotencyKey,
      searchParams: options.dryRun ? { dryRun: 'true' } : undefined,
      signal: options.signal,
    });
    return data;
  }

  /**
   * Sends up to the service's batch limit at once; each item gets its own outcome by the same
   * rule as {@link send}: `accepted` (stored now), `duplicate` (identical content was stored
   * before: `result` is that one) or `rejected` (`reason` `validation_failed` or
   * `duplicate_external_id` for other content under a stored externalId, with `issues`).
   * @example const { items } = await client.results.sendBatch(cohort, { dryRun: true });
   */
  async sendBatch(items: readonly ResultInput[], options: BatchOptions = {}): Promise<BatchResponse> {
    const idempotencyKey = options.idempotencyKey ?? (await callKey(batchFingerprint(items)));
    const { data } = await this.#http.request<BatchResponse>('POST', `${BASE}/batch`, {
      json: { items },
      idempotencyKey,
      searchParams: options.dryRun ? { dryRun: 'true' } : undefined,
      signal: options.signal,
    });
    return data;
  }

  /**
   * Sends a whole cohort in batches with bounded concurrency, and returns one report of every
   * item; pass that report back as `resumeFrom` after a crash to finish without duplicates.
   * See {@link sendMany}.
   */
  sendMany(
    items: Iterable<ResultInput> | AsyncIterable<ResultInput>,
    options: SendManyOptions = {},
  ): Promise<SendManyReport> {
    return sendMany((chunk, opts) => this.sendBatch(chunk, opts), items, options);
  }

  /** One result by the service's id. @throws {NotFoundError} */
  async get(id: string, options: { signal?: AbortSignal } = {}): Promise<Result> {
    return (await this.#http.request<Result>('GET', idPath(id), { signal: options.signal })).data;
  }

  /**
   * One result by the integrator's own key (the `externalId` it was sent with).
   * @throws {NotFoundError} when this tenant has no result with that externalId
   * @example const r = await client.results.getByExternalId('exam-2027-0001');
   */
  async getByExternalId(externalId: string, options: { signal?: AbortSignal } = {}): Promise<Result> {
    if (!externalId) throw new TypeError('externalId is required');
    const path = `${BASE}/by-external-id/${encodeURIComponent(externalId)}`;
    return (await this.#http.request<Result>('GET', path, { signal: options.signal })).data;
  }

  /** The current status and the time of each step. @throws {NotFoundError} */
  async status(id: string, options: { signal?: AbortSignal } = {}): Promise<ResultStatusInfo> {
    const path = `${idPath(id)}/status`;
    return (await this.#http.request<ResultStatusInfo>('GET', path, { signal: options.signal })).data;
  }

  /** Withdraws a result: recipients no longer see it. @throws {NotFoundError} */
  async withdraw(id: string, options: { signal?: AbortSignal } = {}): Promise<Result> {
    return (await this.#http.request<Result>('DELETE', idPath(id), { signal: options.signal })).data;
  }

  /**
   * Lists results. Await it for one page, or iterate it for every item across cursors.
   * @example for await (const r of client.results.list({ status: 'viewed' })) console.log(r.id);
   */
  list(params: ListParams = {}): PagePromise<Result> {
    const fetchPage = async (cursor?: string): Promise<Page<Result>> => {
      const since = params.since instanceof Date ? params.since.toISOString() : params.since;
      const { data } = await this.#http.request<ListBody>('GET', BASE, {
        searchParams: { status: params.status, since, limit: params.limit, cursor: cursor ?? params.cursor },
      });
      return new Page(data?.data ?? data?.items ?? [], data?.nextCursor ?? null, fetchPage);
    };
    return new PagePromise(() => fetchPage());
  }
}
