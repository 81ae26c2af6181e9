import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AccessLogWriter, AuditLogWriter, LogHealth } from '../logs/index.js';
import { validPolicy } from '../testing/policy-fixture.js';
import { runCliInProcess } from '../testing/run-cli.js';
import { main } from './main.js';

let root: string;

/** Runs the CLI in-process in the test's directory, with captured output. */
const run = (argv: string[]) => runCliInProcess(main, argv, root);

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'rg-cli-logs-'));
  const policy = validPolicy();
  policy.logs = { dir: 'log' };
  await writeFile(join(root, 'policy.json'), JSON.stringify(policy));
  const clock = Date.parse('2026-11-27T10:00:00Z');
  const health = new LogHealth({ now: () => clock, registry: new Registry() });
  const audit = new AuditLogWriter({ dir: join(root, 'log'), health, now: () => clock });
  for (const user of ['a', 'b', 'c']) audit.write({ type: 'login', tenant: 'school-a', user });
  await audit.flush();
  const access = new AccessLogWriter({ dir: join(root, 'log'), health });
  for (const [i, ts] of ['2026-11-27T10:00:00.000Z', '2026-11-28T10:00:00.000Z'].entries()) {
    access.write({
      ts,
      reqId: `r${i}`,
      tenant: 'school-a',
      zone: 'recipient',
      ip: '203.0.113.7',
      method: 'GET',
      path: '/r',
      status: 200,
      bytes: 10,
      ms: 1,
      upstreamMs: 1,
      user: null,
      decision: 'allow',
      ua: '=HYPERLINK("x")',
    });
  }
  await access.flush();
});
afterEach(() => rm(root, { recursive: true, force: true }));

describe('resultgate logs verify', () => {
  it('passes an intact chain, then names the edited line and exits 1', async () => {
    const ok = await run(['logs', 'verify', 'log']);
    expect(ok).toMatchObject({ code: 0, out: 'ok   school-a: 3 audit line(s), chain intact\n' });
    const file = join(root, 'log', 'school-a', 'audit-2026-11-27.jsonl');
    await writeFile(file, (await readFile(file, 'utf8')).replace('"user":"b"', '"user":"x"'));
    const bad = await run(['logs', 'verify', 'log/school-a']);
    expect(bad.code).toBe(1);
    expect(bad.out).toBe(
      'FAIL school-a/audit-2026-11-27.jsonl:2: hash does not match the line: line edited\n',
    );
  });

  it('exits 1 when there is nothing to verify', async () => {
    expect((await run(['logs', 'verify', 'nowhere'])).code).toBe(1);
  });
});

describe('resultgate logs export', () => {
  it('prints the stored JSON lines of the range', async () => {
    const res = await run([
      'logs',
      'export',
      '--tenant',
      'school-a',
      '--from',
      '2026-11-27',
      '--to',
      '2026-11-28',
    ]);
    expect(res.code).toBe(0);
    expect(
      res.out
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l).reqId),
    ).toEqual(['r0', 'r1']);
  });

  it('exports audit lines as CSV with formulas defused', async () => {
    const audit = await run([
      'logs',
      'export',
      '--tenant',
      'school-a',
      '--from',
      '2026-11-27',
      '--kind',
      'audit',
      '--format',
      'csv',
    ]);
    const rows = audit.out.trimEnd().split('\r\n');
    expect(rows[0]).toBe('ts,seq,type,tenant,user,ip,zone,reqId,reason,extra,prev,hash');
    expect(rows).toHaveLength(4);
    const access = await run([
      'logs',
      'export',
      '--tenant',
      'school-a',
      '--from',
      '2026-11-28',
      '--format',
      'csv',
    ]);
    expect(access.out).toContain(`"'=HYPERLINK(""x"")"`);
  });

  it('refuses a bad tenant id or range', async () => {
    expect((await run(['logs', 'export', '--tenant', '../etc'])).code).toBe(2);
    expect((await run(['logs', 'export', '--tenant', 'school-a', '--from', 'soon'])).code).toBe(2);
  });
});
