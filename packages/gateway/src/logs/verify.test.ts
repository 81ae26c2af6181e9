import { mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLogWriter } from './audit-sink.js';
import { chainHash } from './chain.js';
import { LogHealth } from './health.js';
import { verifyAuditDir } from './verify.js';

let root: string;
let clock: number;
const DAY = 86_400_000;

function writer(): AuditLogWriter {
  const health = new LogHealth({ now: () => clock, registry: new Registry(), warn: () => {} });
  return new AuditLogWriter({ dir: root, health, now: () => clock, warn: () => {} });
}

/** Three events on 2026-11-27 and three on 2026-11-28 for school-a, two for school-b. */
async function writeChain(): Promise<void> {
  const audit = writer();
  clock = Date.parse('2026-11-27T10:00:00Z');
  for (const user of ['u1', 'u2', 'u3']) audit.write({ type: 'auth_failure', tenant: 'school-a', user });
  audit.write({ type: 'login', tenant: 'school-b', user: 'admin' });
  await audit.flush();
  clock += DAY;
  for (const user of ['u4', 'u5', 'u6']) audit.write({ type: 'login', tenant: 'school-a', user });
  audit.write({ type: 'logout', tenant: 'school-b', user: 'admin' });
  await audit.flush();
}

const fileA = (day: string) => join(root, 'school-a', `audit-${day}.jsonl`);
const readLines = async (file: string) => (await readFile(file, 'utf8')).trimEnd().split('\n');
const writeLines = (file: string, lines: string[]) => writeFile(file, `${lines.join('\n')}\n`);

async function firstError(dir = root) {
  const result = await verifyAuditDir(dir);
  expect(result.ok).toBe(false);
  return result.tenants.find((t) => !t.ok)!.error!;
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'rg-verify-'));
  await writeChain();
});
afterEach(() => rm(root, { recursive: true, force: true }));

describe('audit chain', () => {
  it('verifies an untouched chain across days and tenants', async () => {
    const result = await verifyAuditDir(root);
    expect(result.ok).toBe(true);
    expect(result.tenants.map((t) => [t.tenant, t.lines])).toEqual([
      ['school-a', 6],
      ['school-b', 2],
    ]);
    const lines = (await readLines(fileA('2026-11-28'))).map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ seq: 4, type: 'login', tenant: 'school-a', user: 'u4' });
    expect(lines[0].hash).toBe(chainHash(lines[0]));
  });

  it('verifies a single tenant directory', async () => {
    expect((await verifyAuditDir(join(root, 'school-b'))).tenants).toHaveLength(1);
  });

  it('names the edited line', async () => {
    const lines = await readLines(fileA('2026-11-27'));
    lines[1] = lines[1]!.replace('"u2"', '"u9"');
    await writeLines(fileA('2026-11-27'), lines);
    expect(await firstError()).toEqual({
      where: 'school-a/audit-2026-11-27.jsonl:2',
      message: 'hash does not match the line: line edited',
    });
  });

  it('names the line after a removed one', async () => {
    const lines = await readLines(fileA('2026-11-27'));
    lines.splice(1, 1);
    await writeLines(fileA('2026-11-27'), lines);
    expect((await firstError()).where).toBe('school-a/audit-2026-11-27.jsonl:2');
  });

  it('names an inserted line, even with a recomputed hash', async () => {
    const lines = await readLines(fileA('2026-11-28'));
    const copy = JSON.parse(lines[0]!);
    copy.user = 'intruder';
    copy.hash = chainHash(copy);
    lines.splice(1, 0, JSON.stringify(copy));
    await writeLines(fileA('2026-11-28'), lines);
    expect(await firstError()).toMatchObject({ where: 'school-a/audit-2026-11-28.jsonl:2' });
  });

  it('names reordered lines', async () => {
    const lines = await readLines(fileA('2026-11-27'));
    [lines[0], lines[1]] = [lines[1]!, lines[0]!];
    await writeLines(fileA('2026-11-27'), lines);
    expect((await firstError()).where).toBe('school-a/audit-2026-11-27.jsonl:1');
  });

  it('detects a removed first file (the chain no longer starts at seq 1)', async () => {
    await unlink(fileA('2026-11-27'));
    expect(await firstError()).toMatchObject({ where: 'school-a/audit-2026-11-28.jsonl:1' });
  });

  it('detects a cut head: the newest lines removed', async () => {
    const lines = await readLines(fileA('2026-11-28'));
    await writeLines(fileA('2026-11-28'), lines.slice(0, 2));
    const error = await firstError();
    expect(error.where).toBe('school-a/audit-head.json');
    expect(error.message).toContain('the head records seq 6 but the chain ends at seq 5');
  });

  it('detects a cut head: the newest file removed', async () => {
    await unlink(fileA('2026-11-28'));
    expect((await firstError()).where).toBe('school-a/audit-head.json');
  });

  it('detects a rewritten tail whose head hash no longer matches', async () => {
    const lines = (await readLines(fileA('2026-11-28'))).map((l) => JSON.parse(l));
    lines[2].user = 'rewritten';
    lines[2].hash = chainHash(lines[2]);
    await writeLines(
      fileA('2026-11-28'),
      lines.map((l) => JSON.stringify(l)),
    );
    expect(await firstError()).toMatchObject({ where: 'school-a/audit-head.json' });
  });

  it('continues the chain after a restart, from the newest file', async () => {
    clock += 60_000;
    const audit = writer();
    audit.write({ type: 'logout', tenant: 'school-a', user: 'u6' });
    await audit.flush();
    const lines = await readLines(fileA('2026-11-28'));
    expect(JSON.parse(lines.at(-1)!).seq).toBe(7);
    expect((await verifyAuditDir(root)).ok).toBe(true);
  });

  it('after a cut, a restarted writer keeps the gap visible instead of hiding it', async () => {
    const lines = await readLines(fileA('2026-11-28'));
    await writeLines(fileA('2026-11-28'), lines.slice(0, 2));
    const audit = writer();
    audit.write({ type: 'logout', tenant: 'school-a', user: 'u6' });
    await audit.flush();
    expect(await firstError()).toMatchObject({ where: 'school-a/audit-2026-11-28.jsonl:3' });
  });

  it('two writers on one chain (the gateway and a CLI command) keep it intact', async () => {
    const gateway = writer();
    const cli = writer();
    for (let i = 0; i < 3; i++) {
      gateway.write({ type: 'policy_reload', tenant: '_gateway' });
      cli.write({ type: 'tenant_purged', tenant: '_gateway', purged: `t${i}` });
      await Promise.all([gateway.flush(), cli.flush()]);
    }
    const result = await verifyAuditDir(join(root, '_gateway'));
    expect(result.tenants[0]).toMatchObject({ ok: true, lines: 6 });
  });

  it('never writes secret-looking fields', async () => {
    const audit = writer();
    audit.write({
      type: 'auth_failure',
      tenant: 'school-a',
      user: 'u',
      password: 'hunter2',
      authorization: 'x',
    });
    await audit.flush();
    const text = await readFile(fileA('2026-11-28'), 'utf8');
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('authorization');
  });
});
