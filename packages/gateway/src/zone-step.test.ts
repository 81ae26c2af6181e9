import type { MiddlewareHandler } from 'hono';
import { describe, expect, it } from 'vitest';
import { admission } from './admission/index.js';
import { basicAuth } from './basic-auth/index.js';
import { memoryDeps } from './create-deps.js';
import type { PipelineContext } from './deps.js';
import { ipAllowList } from './ip-allow-list/index.js';
import { maintenance } from './maintenance/index.js';
import { parsePolicy } from './policy/load.js';
import type { Zone } from './policy/schema.js';
import { requireRoles } from './roles/index.js';
import { idleSession } from './session/index.js';
import type { GatewayEnv } from './types.js';
import { isZoneStep, zonePlan, zoneStep } from './zone-step.js';

const window = {
  start: '2026-12-01T01:00:00Z',
  end: '2026-12-01T03:00:00Z',
  announced: '2026-11-20T00:00:00Z',
};

const policy = parsePolicy({
  version: 1,
  server: { https: { certFile: 'c', keyFile: 'k' }, upstream: { url: 'http://127.0.0.1:1' } },
  tenants: {
    // Every step has something to do in some zone of this tenant.
    busy: {
      hosts: ['busy.localhost'],
      ipAllow: ['203.0.113.0/24'],
      maintenance: [window],
      zones: [
        { name: 'admin', path: '/admin', auth: 'form', roles: ['admin'] },
        { name: 'api', path: '/api', auth: 'basic' },
        { name: 'rush', path: '/', auth: 'none', maxConcurrent: 5 },
      ],
    },
    // Nothing for the tenant as a whole: each zone's own settings decide.
    quiet: {
      hosts: ['quiet.localhost'],
      zones: [
        { name: 'bypass', path: '/sync', auth: 'basic', authBypass: ['198.51.100.0/24'] },
        { name: 'listed', path: '/listed', auth: 'none', ipAllow: ['198.51.100.0/24'] },
        { name: 'opening', path: '/results', auth: 'none', opensAt: '2027-03-01T10:00:00+09:00' },
        { name: 'open', path: '/', auth: 'none' },
      ],
    },
  },
});

const ctx: PipelineContext = { policy, deps: memoryDeps() };
const steps = {
  maintenance: maintenance(ctx),
  ipAllowList: ipAllowList(ctx),
  basicAuth: basicAuth(ctx),
  idleSession: idleSession(ctx),
  requireRoles: requireRoles(ctx),
  admission: admission(ctx),
};

function zone(tenantId: string, name: string): Zone {
  const z = policy.tenants[tenantId]!.zones.find((x) => x.name === name);
  if (!z) throw new Error(`no zone ${name}`);
  return z;
}

/** The steps that only pass requests of this zone on (the runner skips them there). */
function passing(tenantId: string, name: string): string[] {
  return Object.entries(steps)
    .filter(([, s]) => isZoneStep(s) && s.passes(tenantId, zone(tenantId, name)))
    .map(([n]) => n);
}

describe('zone steps: in which zones each step may be skipped', () => {
  it('every step that checks something in a zone is kept for it', () => {
    // busy: the tenant's window and allow-list keep those two steps everywhere.
    expect(passing('busy', 'admin')).toEqual(['basicAuth', 'admission']);
    expect(passing('busy', 'api')).toEqual(['idleSession', 'requireRoles', 'admission']);
    expect(passing('busy', 'rush')).toEqual(['basicAuth', 'idleSession', 'requireRoles']);
    // quiet: only a zone's allow-list, bypass or room keeps a step.
    expect(passing('quiet', 'bypass')).toEqual(['maintenance', 'idleSession', 'requireRoles', 'admission']);
    expect(passing('quiet', 'listed')).toEqual([
      'maintenance',
      'basicAuth',
      'idleSession',
      'requireRoles',
      'admission',
    ]);
    expect(passing('quiet', 'opening')).toEqual([
      'maintenance',
      'ipAllowList',
      'basicAuth',
      'idleSession',
      'requireRoles',
    ]);
    expect(passing('quiet', 'open')).toEqual(Object.keys(steps));
  });

  it('a tenant the allow-list step does not know is never skipped (it denies)', () => {
    expect(steps.ipAllowList).toSatisfy(isZoneStep);
    const s = steps.ipAllowList as ReturnType<typeof zoneStep>;
    expect(s.passes('no-such-tenant', zone('quiet', 'open'))).toBe(false);
  });
});

describe('zonePlan', () => {
  const pass: MiddlewareHandler<GatewayEnv> = (_c, next) => next();
  // Passes in tenant "a" only: the same zone object must not carry a's plan to b.
  const tenantAOnly = zoneStep(pass, (tenantId) => tenantId === 'a');
  const plain: MiddlewareHandler<GatewayEnv> = (_c, next) => next();

  it('marks the steps that pass, never a step that is not a zone step', () => {
    const planOf = zonePlan([plain, tenantAOnly, plain]);
    expect([...planOf('a', zone('quiet', 'open'))]).toEqual([0, 1, 0]);
  });

  it('works a zone object shared by two tenants out again for each, never reusing the other one', () => {
    const shared = zone('quiet', 'open');
    const planOf = zonePlan([tenantAOnly]);
    expect([...planOf('a', shared)]).toEqual([1]);
    expect([...planOf('b', shared)]).toEqual([0]);
    expect([...planOf('a', shared)]).toEqual([1]);
  });

  it('keeps the plan with the zone: asked again, the step is not asked again', () => {
    let asked = 0;
    const counted = zoneStep(pass, () => {
      asked++;
      return true;
    });
    const planOf = zonePlan([counted]);
    const z = zone('quiet', 'listed');
    planOf('quiet', z);
    planOf('quiet', z);
    expect(asked).toBe(1);
  });
});
