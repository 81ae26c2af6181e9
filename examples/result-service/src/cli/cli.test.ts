import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Keyring } from '../crypto/keyring.js';
import { readKeyFile } from '../crypto/master-key.js';
import { sample, testService } from '../test-kit.js';
import { main } from './main.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'result-service-cli-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function run(argv: string[], env: Record<string, string> = {}) {
  let out = '';
  let err = '';
  const code = await main(argv, {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    env: { RESULTS_DB: join(dir, 'results.db'), ...env },
    cwd: dir,
  });
  return { code, out, err };
}

describe('result-service CLI', () => {
  it('has --help on every command and exits 2 on a usage error', async () => {
    expect((await run(['--help'])).out).toMatch(/^Usage: result-service <command>/);
    for (const command of ['backup', 'restore', 'keys', 'purge']) {
      const help = await run([command, '--help']);
      expect(help.code).toBe(0);
      expect(help.out).toMatch(new RegExp(`^Usage: result-service ${command}`));
      expect(help.out).toContain('--db FILE');
    }
    expect((await run(['backup', 'later'])).code).toBe(2);
    expect((await run(['restore'])).err).toContain('give one backup file');
    expect((await run(['purge', 'a', '--force'])).code).toBe(2);
    expect((await run(['nope'])).code).toBe(2);
  });

  it('backs up, lists, asks before restoring, and purges only with --yes', async () => {
    const svc = testService({ dbFile: join(dir, 'results.db') });
    try {
      expect((await svc.call('a', 'POST', '/api/v1/results', { body: sample('e1') })).status).toBe(201);
    } finally {
      svc.cleanup();
    }
    const backup = await run(['backup', 'now']);
    expect(backup.code).toBe(0);
    expect(backup.out).toMatch(/^backup written: backups\/results-\d{8}T\d{9}Z\.db\n/);
    const file = /^backup written: (\S+)/.exec(backup.out)![1]!;
    expect((await run(['backup', 'list'])).out).toMatch(
      /^1 backup\(s\) in backups, newest first:\n {2}\S+ +\d+ bytes {2}schema 4 .*\(a 1\)\n$/,
    );
    const dry = await run(['restore', file]);
    expect(dry.code).toBe(2);
    expect(dry.out).toContain('Run again with --yes');
    const plan = await run(['purge', 'a']);
    expect(plan.code).toBe(2);
    expect(plan.out).toContain('delete its 1 result(s)');
    expect((await run(['purge', 'nobody', '--yes'])).code).toBe(1);
    const done = await run(['purge', 'a', '--yes']);
    expect(done.code).toBe(0);
    expect(done.out).toContain('  database table results: rows deleted (1)\n');
    expect((await run(['keys', 'status'])).out).toMatch(/ {2}destroyed: a key [0-9a-f]{16} at /);
  });

  it('rotates a master key from the environment only into a file it is given', async () => {
    const key = Buffer.alloc(32, 7).toString('base64url');
    const svc = testService({ dbFile: join(dir, 'results.db'), encryption: { masterKey: key } });
    try {
      expect((await svc.call('a', 'POST', '/api/v1/results', { body: sample('e1') })).status).toBe(201);
    } finally {
      svc.cleanup();
    }
    const env = { RESULTS_MASTER_KEY: key };
    expect((await run(['keys', 'rotate'], env)).err).toContain('give --new-key-file FILE');
    const rotated = await run(['keys', 'rotate', '--new-key-file', 'next.key'], env);
    expect(rotated.code).toBe(0);
    expect(rotated.out).toMatch(/1 tenant key\(s\) re-wrapped, no row re-encrypted/);
    const next = readKeyFile(join(dir, 'next.key'));
    const keyring = new Keyring({ file: join(dir, 'keyring.json'), masterKey: () => next });
    expect(keyring.tenants()).toEqual(['a']);
    expect(readFileSync(join(dir, 'keyring.json'), 'utf8')).toContain('"rotatedAt": "');
    expect((await run(['keys', 'status'], env)).err).toMatch(/wrapped by master key/);
  });
});
