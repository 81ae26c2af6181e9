import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { memoryDeps } from '../create-deps.js';
import type { PipelineContext } from '../deps.js';
import { errorHandler } from '../pages/index.js';
import { parsePolicy } from '../policy/load.js';
import { rq } from '../request-state.js';
import { nodeRequest } from '../testing/node-request.js';
import type { GatewayEnv } from '../types.js';
import { resolveTenant } from './index.js';

const policy = parsePolicy({
  version: 1,
  server: { https: { certFile: 'c', keyFile: 'k' }, upstream: { url: 'http://127.0.0.1:1' } },
  tenants: {
    'school-a': {
      hosts: ['school-a.localhost', '::1'],
      zones: [
        { name: 'admin', path: '/admin/', auth: 'form', roles: ['admin'] },
        { name: 'api', path: '/api', auth: 'basic' },
        { name: 'api-public', path: '/api/public', auth: 'none' },
        { name: 'recipient', path: '/', auth: 'none' },
      ],
    },
    acme: {
      hosts: ['acme-hr.localhost'],
      suspended: true,
      zones: [{ name: 'all', path: '/', auth: 'none' }],
    },
  },
});

function app() {
  const ctx: PipelineContext = { policy, deps: memoryDeps() };
  const a = new Hono<GatewayEnv>();
  a.onError(errorHandler(ctx));
  a.use(resolveTenant(ctx));
  a.all('*', (c) =>
    c.json({
      tenant: rq(c).tenantId,
      zone: rq(c).zone?.name ?? null,
      path: rq(c).path,
      search: rq(c).search,
    }),
  );
  return a;
}

describe('resolveTenant', () => {
  const a = app();
  const get = async (url: string) => {
    const res = await nodeRequest(a, url);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('picks the longest zone prefix on segment boundaries', async () => {
    expect((await get('https://school-a.localhost/api/public/x')).body.zone).toBe('api-public');
    expect((await get('https://school-a.localhost/api/publicx')).body.zone).toBe('api');
    expect((await get('https://school-a.localhost/admin')).body.zone).toBe('admin');
    expect((await get('https://school-a.localhost/adminx')).body.zone).toBe('recipient');
  });

  it('keeps the original query string', async () => {
    expect((await get('https://school-a.localhost/api/x?a=1&b=%2F')).body).toMatchObject({
      path: '/api/x',
      search: '?a=1&b=%2F',
    });
  });

  it('gives /.gateway/* no zone', async () => {
    expect((await get('https://school-a.localhost/.gateway/notices')).body.zone).toBeNull();
  });

  it('matches hosts case-insensitively, port stripped, IPv6 literal', async () => {
    expect((await get('https://SCHOOL-A.localhost:8443/x')).body.tenant).toBe('school-a');
    expect((await get('https://[::1]:8443/x')).body.tenant).toBe('school-a');
  });

  it('answers 404 unknown_host and 403 tenant_suspended', async () => {
    expect(await get('https://nobody.localhost/')).toMatchObject({
      status: 404,
      body: { error: { code: 'unknown_host' } },
    });
    expect(await get('https://acme-hr.localhost/')).toMatchObject({
      status: 403,
      body: { error: { code: 'tenant_suspended' } },
    });
  });

  it('answers 400 bad_request for an encoded slash', async () => {
    expect(await get('https://school-a.localhost/admin%2Fx')).toMatchObject({
      status: 400,
      body: { error: { code: 'bad_request' } },
    });
  });
});
