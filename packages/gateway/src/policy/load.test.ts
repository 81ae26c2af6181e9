import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ipaddr from 'ipaddr.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validPolicy } from '../testing/policy-fixture.js';
import { formatPath, loadPolicyFile, PolicyError, parsePolicy, parsePolicyJson } from './load.js';
import { isIpOrCidr } from './schema.js';

function issuesOf(value: unknown): string[] {
  try {
    parsePolicy(value, 'p.json');
  } catch (err) {
    if (err instanceof PolicyError) return err.issues;
    throw err;
  }
  throw new Error('expected the policy to be refused');
}

describe('parsePolicy', () => {
  it('names the path of a "__proto__" key anywhere, array indices included', () => {
    const p = validPolicy() as unknown as { tenants: Record<string, { zones: object[] }> };
    const zone = JSON.parse('{"__proto__": {"name": "x"}}') as object;
    p.tenants['school-a']!.zones.push(zone);
    const at = p.tenants['school-a']!.zones.length - 1;
    expect(issuesOf(p)).toEqual([
      `tenants.school-a.zones[${at}].__proto__: the key "__proto__" is not allowed`,
    ]);
    expect(issuesOf(JSON.parse('{"__proto__": 1}'))).toEqual([
      '__proto__: the key "__proto__" is not allowed',
    ]);
  });

  it('accepts exactly the addresses and ranges ipaddr.js reads (its usual spelling checked first, faster)', () => {
    const entries = [
      '203.0.113.7',
      '203.0.113.0/24',
      '0.0.0.0/0',
      '10.0.0.0/8',
      '255.255.255.255/32',
      '1.2.3.4/33',
      '1.2.3.4/032',
      '1.2.3.4/08',
      '1.2.3.4/-1',
      '1.2.3.4/',
      '/24',
      '1.2.3.4/ 8',
      '1.2.3/24',
      '01.2.3.4',
      '010.0.0.0/8',
      '0x7f.0.0.1',
      '256.0.0.1',
      '1.2.3.4.5',
      '10.1/16',
      '2001:db8::/32',
      '::1',
      '::/0',
      '::ffff:10.0.0.0/104',
      '2001:db8::1/129',
      'fe80::1%eth0',
      ' 1.2.3.4',
      '1.2.3.4 ',
      '',
      'localhost',
    ];
    for (const e of entries) {
      const ipaddrSays = e.includes('/') ? ipaddr.isValidCIDR(e) : ipaddr.isValid(e);
      expect([e, isIpOrCidr(e)]).toEqual([e, ipaddrSays]);
    }
  });

  it('accepts the valid policy and fills defaults in parsed units', () => {
    const policy = parsePolicy(validPolicy());
    expect(policy.server.upstream.timeout).toBe(30_000);
    expect(policy.server.upstream.maxBodySize).toBe(10 * 1024 ** 2);
    expect(policy.sessions.idleTimeout).toBe(3_600_000);
    expect(policy.tenants['school-a']!.lockout.window).toBe(15 * 60_000);
    expect(policy.tenants['school-a']!.passwordPolicy).toEqual({ minLength: 12, minClasses: 3 });
  });

  it('keeps tenant hosts in one canonical form: lower case, no trailing dot, no port', () => {
    const p = validPolicy();
    p.tenants['school-a'].hosts = ['SCHOOL-A.localhost.', 'b.localhost:8443', '[::1]:8443', '2001:DB8::1'];
    expect(parsePolicy(p).tenants['school-a']!.hosts).toEqual([
      'school-a.localhost',
      'b.localhost',
      '::1',
      '2001:db8::1',
    ]);
  });

  it('refuses a host that another tenant has, however it is spelt, and a host with a scheme or path', () => {
    for (const spelling of ['school-a.localhost', 'SCHOOL-A.localhost.', 'school-a.localhost:443']) {
      const p = validPolicy();
      p.tenants['school-b'] = { ...structuredClone(p.tenants['school-a']), hosts: ['b.localhost', spelling] };
      // The value as written is echoed when the message shows another spelling of it.
      const echo = spelling === 'school-a.localhost' ? '' : ` (got ${JSON.stringify(spelling)})`;
      expect(issuesOf(p)).toEqual([
        `tenants.school-b.hosts[1]: host "school-a.localhost" already belongs to tenant school-a; a host belongs to one tenant only${echo}`,
      ]);
    }
    const p = validPolicy();
    p.tenants['school-a'].hosts = ['https://school-a.localhost', 'school-a.localhost/admin'];
    expect(issuesOf(p)).toEqual([
      'tenants.school-a.hosts[0]: a host name only (no scheme, path or user), e.g. "school-a.example.jp" (got "https://school-a.localhost")',
      'tenants.school-a.hosts[1]: a host name only (no scheme, path or user), e.g. "school-a.example.jp" (got "school-a.localhost/admin")',
    ]);
  });

  it('accepts $schema pointing at the shipped JSON Schema', () => {
    const value = { $schema: './node_modules/@resultgate/gateway/policy.schema.json', ...validPolicy() };
    expect(parsePolicy(value).$schema).toContain('policy.schema.json');
  });

  it('lists every problem with its JSON path, one a line, in file order', () => {
    const p = validPolicy();
    p.tenants['school-a'].zones[0].ipAllow = ['203.0.113.0/24', '10.0.0.300'];
    p.tenants['school-a'].zones[1].idleTimeout = '1 hour';
    p.tenants['school-a'].ipAllow = [];
    p.tenants['school-a'].users['a:b'] = { passwordHash: 'secret' };
    p.tenants['school-a'].users.admin.pasword = 'x';
    p.server.upstream.timeout = true;
    delete p.server.https.certFile;
    p.version = 2;
    expect(issuesOf(p)).toEqual([
      'version: must be 1 (got 2)',
      'server.https.certFile: required (string)',
      'server.upstream.timeout: expected string or number, received boolean (got true)',
      'tenants.school-a.users.admin.pasword: unknown key; allowed here: passwordHash, roles, disabled',
      'tenants.school-a.users["a:b"]: user names cannot contain ":", spaces or control characters',
      'tenants.school-a.zones[0].ipAllow[1]: not an IP or CIDR (got "10.0.0.300")',
      'tenants.school-a.zones[1].idleTimeout: not a duration (use "30s", "15m", "1h", "7d" or seconds) (got "1 hour")',
      'tenants.school-a.ipAllow: empty ipAllow list (omit it for no restriction; empty never means allow all) (got [])',
    ]);
  });

  it('refuses two zones on one path (a trailing slash is the same path)', () => {
    const p = validPolicy();
    p.tenants['school-a'].zones.push({ name: 'admin2', path: '/admin/', auth: 'basic' });
    expect(issuesOf(p)).toEqual([
      'tenants.school-a.zones[2].path: same path as zones[0] ("admin"); this zone could never match (got "/admin/")',
    ]);
  });

  it('refuses tenant ids that are not lowercase letters, digits and -', () => {
    const p = validPolicy();
    p.tenants.School_B = p.tenants['school-a'];
    expect(issuesOf(p)).toEqual(['tenants.School_B: tenant ids are lowercase letters, digits and -']);
  });
});

describe('parsePolicy: did you mean, and the value echoed', () => {
  it('suggests the key or option meant, and lists the allowed keys when none is close', () => {
    const p = validPolicy();
    p.tenants['school-a'].zones[0].ipAlow = ['10.0.0.1'];
    p.tenants['school-a'].zones[0].Auth = 'form';
    p.tenants['school-a'].zones[1].auth = 'basci';
    p.tenants['school-a'].zones[1].colour = 'red';
    p.server.https.crtFile = 'x';
    expect(issuesOf(p)).toEqual([
      'server.https.crtFile: unknown key; did you mean "certFile"?',
      'tenants.school-a.zones[0].ipAlow: unknown key; did you mean "ipAllow"?',
      'tenants.school-a.zones[0].Auth: unknown key; did you mean "auth"?',
      'tenants.school-a.zones[1].auth: "basci" is not one of "none", "basic", "form"; did you mean "basic"?',
      'tenants.school-a.zones[1].colour: unknown key; allowed here: name, path, auth, roles, ipAllow, authBypass, idleTimeout, maxConcurrent, maxQueue, queueTimeout, opensAt, ticketWindow',
    ]);
  });

  it('echoes the bad value, cut at 80 characters, and an enum value without a close match', () => {
    const p = validPolicy();
    p.tenants['school-a'].zones[0].auth = 'password';
    p.tenants['school-a'].zones[1].path = `x${'y'.repeat(100)}`;
    expect(issuesOf(p)).toEqual([
      'tenants.school-a.zones[0].auth: "password" is not one of "none", "basic", "form"',
      `tenants.school-a.zones[1].path: must start with / (got "x${'y'.repeat(77)}…)`,
    ]);
  });

  it('never echoes a passwordHash (a pasted password) or a URL with credentials', () => {
    const p = validPolicy();
    p.tenants['school-a'].users.admin.passwordHash = 'Hunter2-plain-password';
    p.sharedState = { redis: { url: 7 } };
    p.server.upstream.url = 'ftp://user:secret@example.com/';
    const issues = issuesOf(p).join('\n');
    expect(issues).toContain('tenants.school-a.users.admin.passwordHash: not a password hash');
    expect(issues).not.toContain('Hunter2');
    expect(issues).not.toContain('secret');
  });
});

describe('parsePolicyJson', () => {
  it.each([
    ['{\n  "version": 1,\n}', '3:1: not JSON: Expected double-quoted property name'],
    ['{\n  "a": 1\n  "b": 2\n}', `3:3: not JSON: Expected ',' or '}' after property value`],
    ['{"a": ', '1:7: not JSON: Unexpected end of JSON input'],
  ])('reports %j at line:column', (text, line) => {
    expect(() => parsePolicyJson(text, 'p.json')).toThrow(new PolicyError('p.json', [line]));
  });

  it('ignores a byte-order mark', () => {
    expect(parsePolicyJson('\uFEFF{"a":1}')).toEqual({ a: 1 });
  });
});

describe('formatPath', () => {
  it('quotes keys that would read ambiguously', () => {
    expect(formatPath(['tenants', 'a', 'users', 'taro.yamada', 'roles', 0])).toBe(
      'tenants.a.users["taro.yamada"].roles[0]',
    );
  });
});

describe('loadPolicyFile', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rg-load-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('loads a valid file', async () => {
    await writeFile(join(dir, 'ok.json'), JSON.stringify(validPolicy(), null, 2));
    expect(Object.keys((await loadPolicyFile(join(dir, 'ok.json'))).tenants)).toEqual(['school-a']);
  });

  it('says which file is missing', async () => {
    const file = join(dir, 'missing.json');
    await expect(loadPolicyFile(file)).rejects.toThrow(
      `invalid policy ${file}:\n  (file): cannot read: ENOENT`,
    );
  });
});
