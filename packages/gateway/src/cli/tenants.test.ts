import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyAuditDir } from '../logs/index.js';
import { validPolicy } from '../testing/policy-fixture.js';
import { runCliInProcess } from '../testing/run-cli.js';
import { main } from './main.js';

let root: string;

/** Runs the CLI in-process in the test's directory, with captured output. */
const run = (argv: string[]) => runCliInProcess(main, argv, root);

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'rg-tenants-'));
  const policy = validPolicy();
  policy.logs = { dir: 'log' };
  policy.tenants['school-b'] = {
    hosts: ['school-b.localhost'],
    zones: [{ name: 'all', path: '/', auth: 'none' }],
  };
  await writeFile(join(root, 'policy.json'), `${JSON.stringify(policy, null, 2)}\n`);
  for (const t of ['school-a', 'school-b']) {
    await mkdir(join(root, 'log', t), { recursive: true });
    await writeFile(join(root, 'log', t, 'access-2026-11-28.jsonl'), '{}\n');
  }
});
afterEach(() => rm(root, { recursive: true, force: true }));

describe('resultgate tenants purge', () => {
  it('without --yes only says what it would do', async () => {
    const res = await run(['tenants', 'purge', 'school-b']);
    expect(res.code).toBe(2);
    expect(res.out).toContain('Run again with --yes');
    await stat(join(root, 'log', 'school-b'));
  });

  it('removes the tenant from the policy, deletes its logs and audits it in _gateway', async () => {
    const before = await readFile(join(root, 'policy.json'), 'utf8');
    const res = await run(['tenants', 'purge', 'school-b', '--yes']);
    expect(res.code).toBe(0);
    const after = JSON.parse(await readFile(join(root, 'policy.json'), 'utf8'));
    expect(Object.keys(after.tenants)).toEqual(['school-a']);
    expect(after.tenants['school-a']).toEqual(JSON.parse(before).tenants['school-a']);
    await expect(stat(join(root, 'log', 'school-b'))).rejects.toThrow();
    await stat(join(root, 'log', 'school-a', 'access-2026-11-28.jsonl'));
    const gateway = await verifyAuditDir(join(root, 'log', '_gateway'));
    expect(gateway.ok).toBe(true);
    const day = new Date().toISOString().slice(0, 10);
    const line = JSON.parse(await readFile(join(root, 'log', '_gateway', `audit-${day}.jsonl`), 'utf8'));
    expect(line).toMatchObject({
      type: 'tenant_purged',
      tenant: '_gateway',
      purged: 'school-b',
      files: 1,
      seq: 1,
    });
  });

  it('refuses an unknown tenant and a bad id', async () => {
    expect((await run(['tenants', 'purge', 'nobody', '--yes'])).code).toBe(3);
    expect((await run(['tenants', 'purge', '_gateway', '--yes'])).code).toBe(2);
  });
});
