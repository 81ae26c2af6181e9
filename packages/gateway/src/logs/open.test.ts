import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOST_LINES_METRIC } from './health.js';
import { openLogs } from './open.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'rg-open-'));
});
afterEach(() => rm(root, { recursive: true, force: true }));

const record = (i: number) => ({
  ts: '2026-11-28T04:00:00.000Z',
  reqId: `r${i}`,
  tenant: 'school-a',
  zone: null,
  ip: '::1',
  method: 'GET',
  path: '/',
  status: 200,
  bytes: 0,
  ms: 0,
  upstreamMs: null,
  user: null,
  decision: 'allow',
  ua: null,
});

describe('openLogs', () => {
  it('close() writes every queued line (nothing lost on SIGTERM)', async () => {
    const stdout = new PassThrough();
    let copied = 0;
    stdout.on('data', (d: Buffer) => (copied += d.toString().split('\n').length - 1));
    const logs = await openLogs(
      { dir: root, retentionDays: 30, stdout: true },
      { registry: new Registry(), flushMs: 60_000, stdoutStream: stdout },
    );
    for (let i = 0; i < 1000; i++) logs.accessLog.write(record(i));
    logs.audit.write({ type: 'policy_reload', tenant: '_gateway' });
    await logs.close();
    const lines = (await readFile(join(root, 'school-a', 'access-2026-11-28.jsonl'), 'utf8'))
      .trimEnd()
      .split('\n');
    expect(lines).toHaveLength(1000);
    expect(JSON.parse(lines[999]!).reqId).toBe('r999');
    expect(copied).toBe(1001);
  });

  it('registers the lost-lines counter on another registry', async () => {
    const logs = await openLogs({ dir: root, retentionDays: 30 }, { registry: new Registry() });
    const admin = new Registry();
    logs.registerMetrics(admin);
    logs.registerMetrics(admin);
    expect(admin.getSingleMetric(LOST_LINES_METRIC)).toBeDefined();
    await logs.close();
  });
});
