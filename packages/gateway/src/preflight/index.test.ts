import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePolicy } from '../policy/load.js';
import { validPolicy } from '../testing/policy-fixture.js';
import { canonicalCidr } from './cidrs.js';
import { preflight } from './index.js';

const DAY = 86_400_000;
const NOW = Date.now();
const STRONG = 'scrypt$32768$8$1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2g=';

async function certificate(hosts: string[], from: number, to: number) {
  const pems = await generate([{ name: 'commonName', value: hosts[0]! }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(from),
    notAfterDate: new Date(to),
    extensions: [{ name: 'subjectAltName', altNames: hosts.map((value) => ({ type: 2, value })) }],
  });
  return { cert: pems.cert, key: pems.private };
}

let dir: string;
let good: { cert: string; key: string };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rg-preflight-'));
  good = await certificate(['school-a.localhost'], NOW - DAY, NOW + 365 * DAY);
  await mkdir(join(dir, 'var/tls'), { recursive: true });
  await mkdir(join(dir, 'var/log'), { recursive: true });
  await writeFile(join(dir, 'var/tls/cert.pem'), good.cert);
  await writeFile(join(dir, 'var/tls/key.pem'), good.key);
  await writeFile(join(dir, 'var/session.key'), 'a-session-key-of-32-characters-xx\n');
  await writeFile(join(dir, 'var/identity.key'), 'an-identity-key-of-32-characters-\n');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

type Loose = ReturnType<typeof validPolicy>;

/** Preflight of validPolicy() (strong hash) after `change`, run from `dir`. */
async function check(change: (p: Loose, t: Loose) => void = () => {}, now = NOW) {
  const p = validPolicy();
  p.tenants['school-a'].users.admin.passwordHash = STRONG;
  change(p, p.tenants['school-a']);
  return preflight(parsePolicy(p), { cwd: dir, now });
}

const T = 'tenants.school-a';

describe('preflight', () => {
  it('finds nothing in a policy whose files, certificate, hashes and CIDRs are right', async () => {
    expect(await check()).toEqual({ errors: [], warnings: [] });
  });

  it('names a missing certificate and key file by JSON path and value', async () => {
    const r = await check((p) => {
      p.server.https.certFile = 'var/tls/nope.pem';
      p.server.https.keyFile = '/nonexistent/key.pem';
    });
    expect(r.errors).toEqual([
      `server.https.certFile: "var/tls/nope.pem" does not exist (${join(dir, 'var/tls/nope.pem')})`,
      'server.https.keyFile: "/nonexistent/key.pem" does not exist',
    ]);
  });

  it('refuses a file that is not PEM and a key that is not the certificate’s', async () => {
    const other = await certificate(['school-a.localhost'], NOW - DAY, NOW + 365 * DAY);
    await writeFile(join(dir, 'other-key.pem'), other.key);
    await writeFile(join(dir, 'garbage.pem'), 'not a certificate');
    const mismatch = await check((p) => (p.server.https.keyFile = 'other-key.pem'));
    expect(mismatch.errors).toEqual([
      'server.https.keyFile: "other-key.pem" is not the key of the certificate in "var/tls/cert.pem"',
    ]);
    const garbage = await check((p) => (p.server.https.certFile = 'garbage.pem'));
    expect(garbage.errors).toEqual([
      expect.stringMatching(/^server\.https\.certFile: "garbage\.pem" is not a PEM certificate \(/),
    ]);
  });

  it('errs on an expired certificate, warns under 30 days and on a host it does not cover', async () => {
    const expired = await certificate(['school-a.localhost'], NOW - 100 * DAY, NOW - DAY);
    await writeFile(join(dir, 'expired.pem'), expired.cert);
    await writeFile(join(dir, 'expired-key.pem'), expired.key);
    const r1 = await check((p) => {
      p.server.https.certFile = 'expired.pem';
      p.server.https.keyFile = 'expired-key.pem';
    });
    const on = new Date(NOW - DAY).toISOString().slice(0, 10);
    expect(r1.errors).toEqual([`server.https.certFile: "expired.pem" expired on ${on}`]);

    const soon = await certificate(
      ['school-a.localhost', 'other.example'],
      NOW - DAY,
      NOW + 10 * DAY + 3_600_000,
    );
    await writeFile(join(dir, 'soon.pem'), soon.cert);
    await writeFile(join(dir, 'soon-key.pem'), soon.key);
    const r2 = await check((p, t) => {
      p.server.https.certFile = 'soon.pem';
      p.server.https.keyFile = 'soon-key.pem';
      t.hosts = ['school-a.localhost', 'www.school-a.example'];
    });
    const until = new Date(NOW + 10 * DAY + 3_600_000).toISOString().slice(0, 10);
    expect(r2.errors).toEqual([]);
    expect(r2.warnings).toEqual([
      `server.https.certFile: "soon.pem" expires on ${until}, in 10 days: renew it`,
      `${T}.hosts[1]: "www.school-a.example" is not covered by the certificate in "soon.pem" (it names school-a.localhost, other.example): browsers will refuse it`,
    ]);
  });

  it('errs on scrypt weaker than hash-password makes and on an unusable one; warns of htpasswd hashes', async () => {
    const r = await check((_p, t) => {
      t.users.weak = { passwordHash: 'scrypt$1024$1$1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2g=' };
      t.users.odd = { passwordHash: 'scrypt$1000$8$1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2g=' };
      t.users.nginx = { passwordHash: '$apr1$12345678$0lqb/6VUFP8JY/s/jTrIk0' };
    });
    expect(r.errors).toEqual([
      `${T}.users.weak.passwordHash: scrypt N=1024, r=1, p=1 is weaker than hash-password's N=32768, r=8, p=1 (got scrypt$1024$1$1$…); set a new one: resultgate users passwd --tenant school-a --user weak`,
      `${T}.users.odd.passwordHash: scrypt$1000$8$1$… cannot be used (N a power of two above 1, r and p above 0, salt of 8 bytes or more, hash of 16 or more); no one can sign in as odd; set a new one: resultgate users passwd --tenant school-a --user odd`,
    ]);
    // RESULTGATE_ALLOW_WEAK_HASHES=1 (test rigs): the weak one becomes a warning, the unusable one stays an error.
    const p = validPolicy();
    p.tenants['school-a'].users.admin.passwordHash =
      'scrypt$1024$1$1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2g=';
    const lenient = await preflight(parsePolicy(p), { cwd: dir, now: NOW, allowWeakHashes: true });
    expect(lenient.errors).toEqual([]);
    expect(lenient.warnings[0]).toMatch(
      /^tenants\.school-a\.users\.admin\.passwordHash: scrypt N=1024, r=1, p=1 is weaker/,
    );
    expect(r.warnings).toEqual([
      `${T}.users.nginx.passwordHash: still a legacy $apr1$ (Apache MD5) hash from htpasswd; it becomes scrypt at nginx's next sign-in, or set a new one: resultgate users passwd --tenant school-a --user nginx`,
    ]);
  });

  it('warns of CIDRs written other than they are read, with the canonical form', async () => {
    const r = await check((p, t) => {
      p.server.trustedProxies = ['10.0.0.0/8', '2001:DB8::1/32'];
      t.ipAllow = ['192.0.2.1/24', '203.0.113.0/24'];
      t.zones[0].ipAllow = ['203.0.113.0/24', '010.0.0.1'];
    });
    expect(r.warnings).toEqual([
      'server.trustedProxies[1]: "2001:DB8::1/32" is a host address written as a network: it means all of 2001:db8::/32; write "2001:db8::/32", or "2001:db8::1" for the one host',
      `${T}.ipAllow[0]: "192.0.2.1/24" is a host address written as a network: it means all of 192.0.2.0/24; write "192.0.2.0/24", or "192.0.2.1" for the one host`,
      `${T}.zones[0].ipAllow[1]: "010.0.0.1" means 8.0.0.1; write "8.0.0.1"`,
    ]);
    expect(canonicalCidr('::ffff:10.0.0.1')).toBe('::ffff:10.0.0.1');
    expect(canonicalCidr('2001:db8::/32')).toBe('2001:db8::/32');
  });

  it('warns of a secret file serve will create, errs on one it cannot and on an unwritable log directory', async () => {
    await writeFile(join(dir, 'a-file'), 'x');
    const created = await check((p) => {
      p.sessions = { secretFile: 'var/new/session.key' };
      p.identity = { secretFile: 'var/identity.key' };
    });
    expect(created.errors).toEqual([]);
    expect(created.warnings).toEqual([
      'sessions.secretFile: "var/new/session.key" does not exist; serve will create it with a fresh random key (0600): every session signed by another gateway instance or an earlier key ends',
    ]);
    await writeFile(join(dir, 'short.key'), 'short\n');
    const r = await check((p) => {
      p.sessions = { secretFile: 'a-file/session.key' };
      p.identity = { secretFile: 'short.key' };
      p.logs = { dir: 'a-file' };
    });
    expect(r.errors).toEqual([
      `sessions.secretFile: "a-file/session.key" does not exist and cannot be created (${join(dir, 'a-file')} is not a directory)`,
      'identity.secretFile: "short.key" has a key shorter than 16 bytes',
      'logs.dir: "a-file" is not a directory',
    ]);
  });
});
