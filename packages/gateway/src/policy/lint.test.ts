import { describe, expect, it } from 'vitest';
import { validPolicy } from '../testing/policy-fixture.js';
import { formatDuration, lintPolicy } from './lint.js';
import { parsePolicy } from './load.js';

const NOW = Date.parse('2026-11-28T00:00:00Z');
type Loose = ReturnType<typeof validPolicy>;

/** Lints `validPolicy()` after `change` edits tenant school-a (and the whole policy). */
function lint(change: (tenant: Loose, policy: Loose) => void = () => {}): string[] {
  const p = validPolicy();
  change(p.tenants['school-a'], p);
  return lintPolicy(parsePolicy(p), NOW);
}

const T = 'tenants.school-a';

describe('lintPolicy', () => {
  it('has nothing to say about the valid policy', () => {
    expect(lint()).toEqual([]);
  });

  it('warns of maintenance announced less than 7 days ahead', () => {
    const warnings = lint((t) => {
      t.maintenance = [
        { start: '2026-12-01T01:00:00Z', end: '2026-12-01T03:00:00Z', announced: '2026-11-28T01:00:00Z' },
        { start: '2026-12-20T01:00:00Z', end: '2026-12-20T03:00:00Z', announced: '2026-12-13T01:00:00Z' },
        { start: '2026-11-01T01:00:00Z', end: '2026-11-01T03:00:00Z', announced: '2026-11-01T00:00:00Z' },
        { start: '2026-12-02T00:00:00Z', end: '2026-12-02T03:00:00Z', announced: '2026-12-03T00:00:00Z' },
      ];
    });
    expect(warnings).toEqual([
      `${T}.maintenance[0].announced: announced 3d before it starts; the checklist promises 7 days' notice`,
      `${T}.maintenance[3].announced: announced not before it starts; the checklist promises 7 days' notice`,
    ]);
  });

  it('warns of a zone whose maxConcurrent is below the number of gateway processes (each admits at least 1)', () => {
    const p = validPolicy();
    p.server.replicas = 2;
    p.tenants['school-a'].zones.push(
      { name: 'rush', path: '/rush', auth: 'none', maxConcurrent: 3 },
      { name: 'room', path: '/room', auth: 'none', maxConcurrent: 8 },
    );
    const policy = parsePolicy(p);
    const rush = p.tenants['school-a'].zones.length - 2;
    expect(lintPolicy(policy, NOW, 1)).toEqual([]);
    expect(lintPolicy(policy, NOW, 2)).toEqual([
      `${T}.zones[${rush}].maxConcurrent: 3 is below the 4 gateway processes (server.replicas 2 × 2 workers): each admits 1, so the upstream may see 4 at once`,
    ]);
  });

  it('warns of an opening that will not do what is expected: no maxConcurrent (no draw), or staff zones closed by the tenant', () => {
    const warnings = lint((t) => {
      t.opensAt = '2027-02-10T10:00:00+09:00';
      t.zones.push(
        { name: 'rush', path: '/rush', auth: 'none', maxConcurrent: 50 },
        { name: 'open-door', path: '/door', auth: 'none', opensAt: '2027-02-10T10:00:00+09:00' },
        { name: 'staff', path: '/staff', auth: 'form', opensAt: '2026-01-01T00:00:00Z' },
        { name: 'api2', path: '/api2', auth: 'basic' },
      );
    });
    const n = validPolicy().tenants['school-a'].zones.length;
    const opening = warnings.filter((w) => w.includes('.opensAt:'));
    // The fixture's own zones are closed by the tenant's opensAt too.
    expect(opening).toContain(
      `${T}.zones[${n + 1}].opensAt: an opening without maxConcurrent: at opensAt everyone waiting is let in at once, with no draw and no queue`,
    );
    expect(opening).toContain(
      `${T}.zones[${n + 3}].opensAt: closed until the tenant's opensAt, as every zone without its own: its staff or API cannot reach it before; give it an opensAt in the past to keep it open`,
    );
    // A limited zone, and a staff zone opened early on purpose: nothing to say.
    expect(
      opening.filter((w) => w.startsWith(`${T}.zones[${n}].`) || w.startsWith(`${T}.zones[${n + 2}].`)),
    ).toEqual([]);
    // An opening in the past is over: nothing to say.
    expect(
      lint((t) => {
        t.opensAt = '2026-01-01T00:00:00Z';
      }).filter((w) => w.includes('.opensAt:')),
    ).toEqual([]);
  });

  it('warns of an admin-like zone without authentication', () => {
    const warnings = lint((t) => {
      t.zones.push({ name: 'staff', path: '/kanri-admin', auth: 'none' });
      t.zones.push({ name: 'console', path: '/console', auth: 'none', authBypass: ['10.0.0.0/8'] });
    });
    expect(warnings).toEqual([
      `${T}.zones[2].auth: an admin zone with auth "none": anyone who can reach it gets in`,
      `${T}.zones[3].authBypass: has no effect on a zone with auth "none"`,
    ]);
  });

  it('warns of a password policy under 8 characters', () => {
    expect(lint((t) => (t.passwordPolicy = { minLength: 6 }))).toEqual([
      `${T}.passwordPolicy.minLength: 6 is below 8 characters`,
    ]);
  });

  it('warns of a host listed twice in one tenant, however it is spelt', () => {
    const warnings = lint((t) => {
      t.hosts = ['school-a.localhost', 'School-A.localhost.:8443'];
    });
    expect(warnings).toEqual(['tenants.school-a.hosts[1]: host "school-a.localhost" is listed twice']);
  });

  it('warns of zone paths that can never match', () => {
    const warnings = lint((t) => {
      t.zones.push(
        { name: 'a', path: '/.gateway/x', auth: 'none' },
        { name: 'b', path: '/api//v1', auth: 'none' },
        { name: 'c', path: '/api/../v2', auth: 'none' },
        { name: 'd', path: '/%61pi', auth: 'none' },
        { name: 'e', path: '/results/', auth: 'none' },
      );
    });
    expect(warnings).toEqual([
      `${T}.zones[2].path: /.gateway/ is reserved for the gateway's own pages; this zone can never match`,
      `${T}.zones[3].path: can never match: requests are normalised before matching, so write "/api/v1"`,
      `${T}.zones[4].path: can never match: requests are normalised before matching, so write "/v2"`,
      `${T}.zones[5].path: contains %, ?, #, \\ or a control character; requests are decoded and normalised before matching, so this zone can never match`,
    ]);
  });

  it('warns of a zone outside the tenant allow-list', () => {
    const warnings = lint((t) => {
      t.ipAllow = ['192.0.2.0/24', '2001:db8::/32'];
    });
    expect(warnings).toEqual([
      `${T}.zones[0].ipAllow: no address here is in the tenant's ipAllow: this zone can never be reached`,
    ]);
    expect(lint((t) => (t.ipAllow = ['203.0.113.7']))).toEqual([]);
  });

  it('warns of a login zone nobody can enter', () => {
    expect(lint((t) => (t.users = {}))).toEqual([
      `${T}.zones[0].auth: auth "form" but the tenant has no users: no one can sign in`,
    ]);
    expect(lint((t) => (t.users.admin.roles = ['staff']))).toEqual([
      `${T}.zones[0].roles: no user of this tenant has the role admin: no one can enter`,
    ]);
    expect(lint((t) => (t.zones[1].roles = ['viewer']))).toEqual([
      `${T}.zones[1].roles: roles on a zone with auth "none": no one is signed in, so all are refused`,
    ]);
  });

  it('warns of an admin idle timeout over the promised hour', () => {
    expect(lint((t) => (t.zones[0].idleTimeout = '2h'))).toEqual([
      `${T}.zones[0].idleTimeout: idle timeout 2h on an admin zone; the checklist promises 1h`,
    ]);
    expect(lint((_t, p) => (p.sessions = { idleTimeout: '90m' }))).toEqual([
      `${T}.zones[0] (from sessions.idleTimeout): idle timeout 90m on an admin zone; the checklist promises 1h`,
    ]);
    expect(lint((t) => (t.zones[0].idleTimeout = '30m'))).toEqual([]);
    expect(lint((t) => (t.zones[0].auth = 'basic'))).toEqual([
      `${T}.zones[0].auth: an admin zone with Basic auth has no idle timeout (browsers resend the password); use "form" for the 1h the checklist promises`,
    ]);
  });
});

describe('formatDuration', () => {
  it.each([
    [7 * 86_400_000, '7d'],
    [7_200_000, '2h'],
    [5_400_000, '90m'],
    [45_000, '45s'],
    [250, '250ms'],
  ])('%i ms is %s', (ms, text) => expect(formatDuration(ms)).toBe(text));
});
