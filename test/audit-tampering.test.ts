/**
 * End-to-end: the audit chain the real gateway writes (failed Basic logins over TLS, real log
 * files) passes `resultgate logs verify` (the CLI, spawned), and each kind of tampering makes it
 * exit 1 naming the first bad line — an edited line, a removed one, an inserted one (with its own
 * hash recomputed), two lines swapped, the newest lines cut (the head), the oldest line cut.
 */
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PolicyInput } from '@resultgate/gateway';
import { chainHash } from '@resultgate/gateway/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cheapHash, httpsRequest, startEchoUpstream, startTestGateway } from './helpers/index.js';
import { runCli } from './helpers/serve.js';

const tenants: PolicyInput['tenants'] = {
  'school-a': {
    hosts: ['school-a.localhost'],
    lockout: { maxFailures: 100, window: '1m', duration: '1m' },
    users: { 'hr-sync': { passwordHash: cheapHash('Sync-Password-1'), roles: ['integration'] } },
    zones: [{ name: 'api', path: '/api', auth: 'basic', roles: ['integration'] }],
  },
};

/** `resultgate logs verify DIR` as a process. */
const verify = (dir: string) => runCli(['logs', 'verify', dir]);

let pristine: string;
let work: string;
let file: string;
let lines: string[];

beforeAll(async () => {
  const echo = await startEchoUpstream();
  const gw = await startTestGateway({ upstream: echo.url, tenants });
  try {
    for (let i = 0; i < 6; i++) {
      const authorization = `Basic ${Buffer.from(`hr-sync:Wrong-${i}`).toString('base64')}`;
      expect(
        (await httpsRequest({ port: gw.httpsPort, path: '/api/x', headers: { authorization } })).status,
      ).toBe(401);
    }
    await gw.logs!.flush();
    pristine = await mkdtemp(join(tmpdir(), 'rg-audit-pristine-'));
    await cp(join(gw.dir, 'log'), pristine, { recursive: true });
  } finally {
    await gw.close();
    await echo.close();
  }
  const audits = (await readdir(join(pristine, 'school-a'))).filter((f) => /^audit-.*\.jsonl$/.test(f));
  expect(audits).toHaveLength(1);
  file = audits[0]!;
  lines = (await readFile(join(pristine, 'school-a', file), 'utf8')).trimEnd().split('\n');
  work = await mkdtemp(join(tmpdir(), 'rg-audit-work-'));
});

afterAll(async () => {
  if (pristine) await rm(pristine, { recursive: true, force: true });
  if (work) await rm(work, { recursive: true, force: true });
});

/** A fresh copy of the gateway's logs with the audit file's lines replaced by `edit(lines)`. */
async function tampered(name: string, edit: (l: string[]) => string[]): Promise<string> {
  const dir = join(work, name);
  await cp(pristine, dir, { recursive: true });
  await writeFile(join(dir, 'school-a', file), `${edit([...lines]).join('\n')}\n`);
  return dir;
}

describe('resultgate logs verify on the gateway’s own audit chain', () => {
  it('passes untouched: six chained auth failures', async () => {
    expect(lines.map((l) => JSON.parse(l)).map((r) => [r.seq, r.type, r.reason])).toEqual(
      [1, 2, 3, 4, 5, 6].map((seq) => [seq, 'auth_failure', 'bad_password']),
    );
    const r = await verify(pristine);
    expect(r.code).toBe(0);
  });

  const cases: [string, (l: string[]) => string[], string][] = [
    ['edited', (l) => l.map((x, i) => (i === 2 ? x.replace('"bad_password"', '"typo"') : x)), 'FILE:3'],
    ['removed', (l) => l.filter((_, i) => i !== 2), 'FILE:3'],
    [
      'inserted',
      (l) => {
        const copy = JSON.parse(l[1]!);
        copy.ip = '203.0.113.66';
        copy.hash = chainHash(copy);
        return [...l.slice(0, 2), JSON.stringify(copy), ...l.slice(2)];
      },
      'FILE:3',
    ],
    ['reordered', (l) => [l[0]!, l[2]!, l[1]!, ...l.slice(3)], 'FILE:2'],
    ['head cut', (l) => l.slice(0, -2), 'school-a/audit-head.json'],
    ['oldest line cut', (l) => l.slice(1), 'FILE:1'],
  ];
  it.each(cases)('fails when tampered (%s), naming the first bad line', async (name, edit, where) => {
    const r = await verify(await tampered(name.replace(' ', '-'), edit));
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`FAIL ${where.replace('FILE', `school-a/${file}`)}`);
  });
});
