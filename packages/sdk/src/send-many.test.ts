import { afterEach, describe, expect, it } from 'vitest';
import { ResultClient } from './client.js';
import type { SendManyReport } from './resources/send-many.js';
import { envelope, type SeenRequest, type Stub, startStub } from './test-stub.js';
import type { ResultInput } from './types.js';

const cohort = (n: number): ResultInput[] =>
  Array.from({ length: n }, (_, i) => ({
    externalId: `exam-${String(i).padStart(4, '0')}`,
    recipient: { id: `A-${i}` },
    title: '入学試験',
    outcome: i % 2 ? '合格' : '不合格',
  }));

/** A batch endpoint that stores by externalId like the service: a second send is a duplicate. */
function batchService() {
  const published = new Map<string, number>();
  const handler = (req: SeenRequest) => {
    const { items } = req.body as { items: ResultInput[] };
    return {
      body: {
        items: items.map((it, index) => {
          if (!it.title)
            return {
              index,
              externalId: it.externalId,
              outcome: 'rejected',
              reason: 'validation_failed',
              issues: [{ path: `items[${index}].title`, message: 'must not be empty' }],
            };
          const times = published.get(it.externalId) ?? 0;
          if (times === 0) published.set(it.externalId, 1);
          return {
            index,
            externalId: it.externalId,
            outcome: times ? 'duplicate' : 'accepted',
            result: { id: `r_${it.externalId}` },
          };
        }),
      },
    };
  };
  return { published, handler };
}

let stub: Stub | undefined;
afterEach(async () => {
  await stub?.close();
  stub = undefined;
});

describe('sendMany', () => {
  it('chunks the cohort, reports every item and calls onProgress per batch', async () => {
    const svc = batchService();
    stub = await startStub(svc.handler);
    const items = cohort(7);
    (items[3] as { title: string }).title = '';
    const snapshots: SendManyReport[] = [];
    const client = new ResultClient({ baseUrl: stub.url });
    const report = await client.results.sendMany(items, {
      chunkSize: 3,
      concurrency: 2,
      onProgress: (r) => {
        snapshots.push(r);
      },
    });
    expect(stub.requests.map((r) => (r.body as { items: unknown[] }).items.length)).toEqual([3, 3, 1]);
    // A rejected item means the run is not complete; the report says which and why.
    expect(report.complete).toBe(false);
    expect(report.counts).toMatchObject({ accepted: 6, rejected: 1, failed: 0, pending: 0 });
    expect(report.items.map((i) => i.externalId)).toEqual(items.map((i) => i.externalId));
    expect(report.items[3]).toMatchObject({ outcome: 'rejected', reason: 'validation_failed' });
    expect(report.rejected).toEqual([
      {
        externalId: 'exam-0003',
        reason: 'validation_failed',
        issues: [{ path: 'items[0].title', message: 'must not be empty' }],
      },
    ]);
    expect(snapshots).toHaveLength(3);
    // Fixed and resumed: only the rejected item is sent again, and the run is complete.
    (items[3] as { title: string }).title = '入学試験';
    const fixed = await client.results.sendMany(items, { chunkSize: 3, resumeFrom: report });
    expect(stub.requests.at(-1)?.body).toEqual({ items: [items[3]] });
    expect(fixed).toMatchObject({ complete: true, rejected: [], counts: { accepted: 7, resumed: 6 } });
  });

  it('resumes from the last snapshot after a crash without publishing anything twice', async () => {
    const svc = batchService();
    stub = await startStub(svc.handler);
    const items = cohort(10);
    let batches = 0;
    // The crash: the process dies right after the server stored batch 2, before it was recorded.
    const crashingFetch = async (input: Request | URL | string, init?: RequestInit) => {
      const res = await fetch(input, init);
      if (++batches === 2) throw new Error('process killed');
      return res;
    };
    let saved: SendManyReport | undefined;
    const first = new ResultClient({ baseUrl: stub.url, fetch: crashingFetch, retry: 0 });
    const crashed = await first.results
      .sendMany(items, {
        chunkSize: 3,
        concurrency: 1,
        onProgress: (r) => {
          saved = r;
        },
      })
      .catch((e: Error) => e);
    expect(crashed).toBeInstanceOf(Error);
    expect(svc.published.size).toBe(6);
    expect(saved?.counts.accepted).toBe(3);

    const second = new ResultClient({ baseUrl: stub.url });
    const report = await second.results.sendMany(items, { chunkSize: 3, resumeFrom: saved });
    expect(report.complete).toBe(true);
    expect(report.counts).toMatchObject({ accepted: 7, duplicate: 3, resumed: 3, failed: 0 });
    expect(svc.published.size).toBe(10);
    expect([...svc.published.values()].every((n) => n === 1)).toBe(true);
    // Nothing of batch 1 was sent again.
    const resent = stub.requests.slice(2).flatMap((r) => (r.body as { items: ResultInput[] }).items);
    expect(resent.map((i) => i.externalId)).not.toContain('exam-0000');
  });

  it('stops at the first batch that cannot succeed and marks the rest', async () => {
    stub = await startStub((_r, n) =>
      n === 1 ? batchService().handler(_r) : { status: 403, body: envelope('ip_not_allowed') },
    );
    const client = new ResultClient({ baseUrl: stub.url });
    const report = await client.results.sendMany(cohort(9), { chunkSize: 3, concurrency: 1 });
    expect(report.complete).toBe(false);
    expect(report.aborted).toMatchObject({ code: 'ip_not_allowed', requestId: 'req-test' });
    expect(report.counts).toMatchObject({ accepted: 3, failed: 3 });
    expect(stub.requests).toHaveLength(2);
  });

  it('refuses to resume a dry run as a real one', async () => {
    const client = new ResultClient({ baseUrl: 'http://127.0.0.1:9' });
    const dry = {
      version: 1,
      dryRun: true,
      complete: true,
      counts: {},
      items: [],
    } as unknown as SendManyReport;
    await expect(client.results.sendMany([], { resumeFrom: dry })).rejects.toThrow('dryRun');
  });
});
