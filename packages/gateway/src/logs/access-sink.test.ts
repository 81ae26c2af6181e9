import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AccessRecord } from '../types.js';
import { AccessLogWriter, accessLine } from './access-sink.js';
import { LOST_LINES_METRIC, LogHealth } from './health.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'rg-access-'));
});
afterEach(() => rm(root, { recursive: true, force: true }));

const base: AccessRecord = {
  ts: '2026-11-28T04:00:00.000Z',
  reqId: 'r1',
  tenant: 'school-a',
  zone: 'api',
  ip: '203.0.113.7',
  method: 'GET',
  path: '/api/v1/results',
  status: 200,
  bytes: 12,
  ms: 3,
  upstreamMs: 2,
  user: 'hr-sync',
  decision: 'allow',
  ua: 'curl/8',
};

describe('access lines', () => {
  it('has exactly the documented fields, in order', () => {
    const extra = { ...base, authorization: 'Basic abc' } as AccessRecord;
    expect(Object.keys(JSON.parse(accessLine(extra)))).toEqual([
      'ts',
      'reqId',
      'tenant',
      'zone',
      'ip',
      'method',
      'path',
      'status',
      'bytes',
      'ms',
      'upstreamMs',
      'user',
      'decision',
      'ua',
    ]);
  });

  it('cannot be split into a forged second line by control characters', () => {
    const line = accessLine({ ...base, ua: 'x\n{"tenant":"school-b"}\r\u0000', path: '/a\nb' });
    expect(line.indexOf('\n')).toBe(line.length - 1);
    expect(JSON.parse(line).ua).toBe('x\n{"tenant":"school-b"}\r\u0000');
  });

  it('is byte for byte what JSON.stringify writes for the same record (whoever rewrites it for speed)', () => {
    const records: AccessRecord[] = [
      base,
      { ...base, zone: null, upstreamMs: null, user: null, ua: null, decision: 'ip_not_allowed' },
      { ...base, user: '山田 太郎', ua: 'a"b\\c\u2028\ud800', path: '/results/é', ms: 0.25, bytes: 0 },
      { ...base, ms: Number.NaN, upstreamMs: Number.POSITIVE_INFINITY, status: 499 },
    ];
    // And random strings over every kind of character JSON treats specially.
    const alphabet = [
      'a',
      ' ',
      '"',
      '\\',
      '/',
      '\t',
      '\n',
      '\u0000',
      '\u001f',
      '\u007f',
      '\u2028',
      'é',
      '山',
    ];
    alphabet.push('\ud83d\ude00', '\ud83d', '\ude00', '\uffff');
    let seed = 7;
    const pick = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return alphabet[seed % alphabet.length]!;
    };
    for (let i = 0; i < 300; i++) {
      const random = Array.from({ length: i % 40 }, pick).join('');
      records.push({ ...base, ua: random, user: random.slice(0, 10), reqId: random.slice(5) });
    }
    for (const r of records) {
      const { ts, reqId, tenant, zone, ip, method, path, status, bytes, ms, upstreamMs, user, decision, ua } =
        r;
      const same = {
        ts,
        reqId,
        tenant,
        zone,
        ip,
        method,
        path,
        status,
        bytes,
        ms,
        upstreamMs,
        user,
        decision,
        ua,
      };
      expect(accessLine(r)).toBe(`${JSON.stringify(same)}\n`);
    }
  });

  it('drops a query string and caps long values', () => {
    const parsed = JSON.parse(accessLine({ ...base, path: '/r?exam=12345', ua: 'u'.repeat(5000) }));
    expect(parsed.path).toBe('/r');
    expect(parsed.ua.length).toBeLessThan(600);
  });
});

describe('AccessLogWriter', () => {
  it('batches lines into per-tenant, per-UTC-day files and copies them to stdout', async () => {
    const stdout = new PassThrough();
    let copied = '';
    stdout.on('data', (d) => (copied += d));
    const health = new LogHealth({ now: Date.now, registry: new Registry() });
    const w = new AccessLogWriter({ dir: root, health, stdout, flushMs: 10_000 });
    w.write(base);
    w.write({ ...base, reqId: 'r2', ts: '2026-11-28T23:59:59.999Z' });
    w.write({ ...base, reqId: 'r3', ts: '2026-11-29T00:00:00.000Z' });
    w.write({ ...base, reqId: 'r4', tenant: '../../etc' });
    await w.flush();
    const day1 = await readFile(join(root, 'school-a', 'access-2026-11-28.jsonl'), 'utf8');
    expect(
      day1
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l).reqId),
    ).toEqual(['r1', 'r2']);
    expect(await readFile(join(root, 'school-a', 'access-2026-11-29.jsonl'), 'utf8')).toContain('"r3"');
    expect(await readFile(join(root, '_gateway', 'access-2026-11-28.jsonl'), 'utf8')).toContain('"r4"');
    expect(copied.split('\n').filter(Boolean)).toHaveLength(4);
  });

  it('writes a large batch whole and in order, multi-byte text included', async () => {
    const health = new LogHealth({ now: Date.now, registry: new Registry() });
    const w = new AccessLogWriter({ dir: root, health, flushMs: 10_000, batchLines: 100_000 });
    const expected: AccessRecord[] = [];
    // Short and long lines, ASCII and Japanese (3 bytes a character): ~1.5 MB in one batch.
    for (let i = 0; i < 3000; i++) {
      const ua = i % 7 === 0 ? '結果通知'.repeat(i % 120) : 'x'.repeat(i % 500);
      const r = { ...base, reqId: `r${i}`, user: i === 1500 ? '山'.repeat(127) : base.user, ua };
      expected.push(r);
      w.write(r);
    }
    await w.flush();
    const text = await readFile(join(root, 'school-a', 'access-2026-11-28.jsonl'), 'utf8');
    expect(text).toBe(expected.map(accessLine).join(''));
  });

  it('bounds memory: beyond maxPending queued lines, lines are dropped and counted lost', async () => {
    const health = new LogHealth({ now: Date.now, registry: new Registry(), warn: () => {} });
    const w = new AccessLogWriter({ dir: root, health, maxPending: 2, flushMs: 10_000 });
    for (let i = 0; i < 3; i++) w.write(base);
    expect(health.lost.access).toBe(1);
    await w.flush();
    expect(
      (await readFile(join(root, 'school-a', 'access-2026-11-28.jsonl'), 'utf8')).split('\n'),
    ).toHaveLength(3);
  });

  it('flushes on its own after flushMs', async () => {
    const health = new LogHealth({ now: Date.now, registry: new Registry() });
    const w = new AccessLogWriter({ dir: root, health, flushMs: 5 });
    w.write(base);
    const file = join(root, 'school-a', 'access-2026-11-28.jsonl');
    for (let i = 0; i < 100; i++) {
      if (await readFile(file, 'utf8').catch(() => '')) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(await readFile(file, 'utf8')).toContain('"r1"');
  });

  // A file where the tenant directory should be makes every write fail, even for root (the
  // test machines run as root, where a read-only directory would still be writable).
  it('keeps the lines of failed writes and writes them, in order, once the disk takes writes again', async () => {
    await writeFile(join(root, 'school-a'), 'not a directory');
    let now = 1_000_000;
    const warnings: string[] = [];
    const registry = new Registry();
    const health = new LogHealth({ now: () => now, registry, warn: (l) => warnings.push(l) });
    const w = new AccessLogWriter({ dir: root, health, retryMs: 60_000 });
    expect(w.healthy).toBe(true);
    w.write({ ...base, reqId: 'a' });
    w.write({ ...base, reqId: 'b' });
    await w.flush();
    w.write({ ...base, reqId: 'c' });
    await w.flush();
    expect(w.healthy).toBe(false);
    expect(health.lost.access).toBe(0);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/cannot write logs \(ENOTDIR/);
    now += 61_000;
    await rm(join(root, 'school-a'));
    w.write({ ...base, reqId: 'd' });
    await w.flush();
    expect(w.healthy).toBe(true);
    const text = await readFile(join(root, 'school-a', 'access-2026-11-28.jsonl'), 'utf8');
    expect(
      text
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).reqId),
    ).toEqual(['a', 'b', 'c', 'd']);
    const metric = await registry.getSingleMetric(LOST_LINES_METRIC)!.get();
    expect(metric.values.reduce((n, v) => n + v.value, 0)).toBe(0);
  });

  it('counts as lost what still fails at shutdown, and what the bounded queue cannot hold', async () => {
    await writeFile(join(root, 'school-a'), 'not a directory');
    const registry = new Registry();
    const health = new LogHealth({ now: Date.now, registry, warn: () => {} });
    const w = new AccessLogWriter({ dir: root, health, maxPending: 3, retryMs: 60_000 });
    w.write(base);
    w.write(base);
    await w.flush();
    expect(health.lost.access).toBe(0);
    w.write(base);
    w.write(base); // the queue holds 2 kept + 1 new: this one is dropped
    expect(health.lost.access).toBe(1);
    await w.close();
    expect(health.lost.access).toBe(4);
    const metric = await registry.getSingleMetric(LOST_LINES_METRIC)!.get();
    expect(metric.values).toEqual([expect.objectContaining({ value: 4, labels: { kind: 'access' } })]);
  });
});
