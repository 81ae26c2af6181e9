/**
 * End-to-end: the one idempotency rule, through the real gateway over TLS and the real result
 * service. Every pair of senders — `send`, `sendBatch`, `sendMany` cut into chunks of 1, 4 and 6 —
 * sends a cohort, then re-sends it with identical content and with changed content. Whatever sent
 * it first and however the re-send is cut: identical content is a `duplicate` answered with the
 * stored result, changed content is `rejected` (`duplicate_external_id`) and never overwrites,
 * `sendMany`'s counts are the same for every chunk size, and `report.complete` is true only when
 * nothing was rejected. Results are also found again by `getByExternalId`.
 */
import type { RunningResultService } from '@resultgate/example-result-service';
import { ConflictError, NotFoundError, ResultClient, type ResultInput } from '@resultgate/sdk';
import { createNodeFetch, LOCALHOST_RESOLVE } from '@resultgate/sdk/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cheapHash, startTestGateway, type TestGateway, testCertificate } from './helpers/index.js';
import { startTestResultService, type TestResultService } from './helpers/result-service.js';

const PASSWORD = 'Idem-Password-1';

let results: TestResultService;
let service: RunningResultService;
let gw: TestGateway;
let client: ResultClient;

beforeAll(async () => {
  results = await startTestResultService('sdk-idem-', { schedulerIntervalMs: 0 });
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
  client = new ResultClient({
    baseUrl: `https://school-a.localhost:${gw.httpsPort}`,
    username: 'hr-sync',
    password: PASSWORD,
    fetch: createNodeFetch({ resolve: { ...LOCALHOST_RESOLVE }, ca: (await testCertificate()).cert }),
  });
});

afterAll(async () => {
  await gw?.close();
  await results?.close();
});

/** One item's fate as a sender saw it: the outcome, the stored id, and why it was refused. */
interface Seen {
  outcome: string;
  id?: string | undefined;
  reason?: string | undefined;
  accessCode?: string | undefined;
}
interface Sent {
  items: Seen[];
  /** sendMany's report, when the sender was sendMany. */
  complete?: boolean;
  rejected?: string[];
  counts?: Record<string, number>;
}
type Sender = (items: ResultInput[]) => Promise<Sent>;

const senders: Record<string, Sender> = {
  send: async (items) => {
    const out: Seen[] = [];
    for (const item of items) {
      try {
        const r = await client.results.send(item);
        out.push({ outcome: r.accessCode ? 'accepted' : 'duplicate', id: r.id, accessCode: r.accessCode });
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err;
        out.push({ outcome: 'rejected', reason: err.code });
      }
    }
    return { items: out };
  },
  sendBatch: async (items) => {
    const answer = await client.results.sendBatch(items);
    return {
      items: answer.items.map((i) => ({
        outcome: i.outcome,
        id: i.result?.id,
        reason: i.reason,
        accessCode: i.result?.accessCode,
      })),
    };
  },
  ...Object.fromEntries(
    [1, 4, 6].map((chunkSize) => [
      `sendMany/${chunkSize}`,
      async (items: ResultInput[]): Promise<Sent> => {
        const report = await client.results.sendMany(items, { chunkSize, concurrency: 2 });
        return {
          items: report.items.map((i) => ({
            outcome: i.outcome,
            id: i.id,
            reason: i.reason,
            accessCode: i.accessCode,
          })),
          complete: report.complete,
          rejected: report.rejected.map((r) => `${r.externalId} ${r.reason}`),
          counts: report.counts,
        };
      },
    ]),
  ),
};

const cohort = (prefix: string): ResultInput[] =>
  Array.from({ length: 6 }, (_, i) => ({
    externalId: `${prefix}-${i}`,
    recipient: { id: `R-${i}`, name: `Person ${i}`, email: `p${i}@example.jp` },
    title: '2027年度 入学試験',
    outcome: '合格',
    details: { rank: i },
    // Two spellings of one instant: the same content.
    publishAt: i % 2 ? '2027-02-10T10:00:00+09:00' : '2027-02-10T01:00:00.000Z',
  }));
/** Items 1, 3 and 5 changed; 0, 2, 4 identical. */
const changed = (items: ResultInput[]) =>
  items.map((it, i) => (i % 2 ? { ...it, outcome: '不合格' } : { ...it, details: { rank: i } }));

const names = Object.keys(senders);
const matrix = names.flatMap((first) => names.map((second) => [first, second] as const));

describe('one idempotency rule for send, sendBatch and sendMany', () => {
  it.each(matrix)('first %s, then %s with identical and with changed content', async (first, second) => {
    const prefix = `m-${first}-${second}`.replace(/\//g, '');
    const items = cohort(prefix);
    const sent = await senders[first]!(items);
    expect(sent.items.map((i) => i.outcome)).toEqual(Array(6).fill('accepted'));
    expect(sent.items.every((i) => /^\w{4}-\w{4}-\w{4}$/.test(i.accessCode ?? ''))).toBe(true);
    const ids = sent.items.map((i) => i.id);
    if (sent.complete !== undefined) expect(sent.complete).toBe(true);

    // Identical content again: duplicates, answered with the stored result.
    const again = await senders[second]!(items);
    expect(again.items.map((i) => i.outcome)).toEqual(Array(6).fill('duplicate'));
    expect(again.items.map((i) => i.id)).toEqual(ids);
    expect(again.items.some((i) => i.accessCode)).toBe(false);
    if (again.counts) {
      expect(again.counts).toMatchObject({ accepted: 0, duplicate: 6, rejected: 0, failed: 0 });
      expect(again.complete).toBe(true);
      expect(again.rejected).toEqual([]);
    }

    // Changed content: rejected with its reason, the stored result untouched; the rest duplicates.
    const other = await senders[second]!(changed(items));
    expect(other.items.map((i) => i.outcome)).toEqual([
      'duplicate',
      'rejected',
      'duplicate',
      'rejected',
      'duplicate',
      'rejected',
    ]);
    for (const i of [1, 3, 5]) expect(other.items[i]?.reason).toBe('duplicate_external_id');
    if (other.counts) {
      expect(other.counts).toMatchObject({ accepted: 0, duplicate: 3, rejected: 3 });
      expect(other.complete).toBe(false);
      expect(other.rejected).toEqual([1, 3, 5].map((i) => `${prefix}-${i} duplicate_external_id`));
    }
    for (const [i, item] of items.entries()) {
      const stored = await client.results.getByExternalId(item.externalId);
      expect(stored).toMatchObject({ id: ids[i], outcome: '合格', externalId: item.externalId });
    }
  });

  it('one row per externalId after the whole matrix, and getByExternalId of an unknown key is a 404', async () => {
    const perKey = new Map<string, number>();
    for await (const r of client.results.list({ limit: 200 }))
      perKey.set(r.externalId, (perKey.get(r.externalId) ?? 0) + 1);
    expect(perKey.size).toBe(matrix.length * 6);
    expect([...perKey.values()].every((n) => n === 1)).toBe(true);
    await expect(client.results.getByExternalId('m-none')).rejects.toBeInstanceOf(NotFoundError);
  });
});
