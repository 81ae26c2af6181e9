import { describe, expect, it } from 'vitest';
import { identityHeaders, signIdentity, verifyIdentity } from './identity.js';

const secret = 'deployment-secret';
const id = { tenant: 'school-a', user: 'admin', roles: ['admin', 'staff'], requestId: 'req-1' };
const now = Date.UTC(2026, 10, 28, 4, 0, 0);

describe('identity signature', () => {
  it('verifies headers the gateway signed', () => {
    const headers = identityHeaders(secret, id, now);
    expect(verifyIdentity(headers, secret, { now })).toEqual(id);
    expect(verifyIdentity(new Headers(headers), secret, { now })).toEqual(id);
  });

  it('refuses a changed user, tenant or roles', () => {
    const headers = identityHeaders(secret, id, now);
    expect(verifyIdentity({ ...headers, 'x-gateway-user': 'root' }, secret, { now })).toBeNull();
    expect(verifyIdentity({ ...headers, 'x-gateway-tenant': 'school-b' }, secret, { now })).toBeNull();
    expect(
      verifyIdentity({ ...headers, 'x-gateway-roles': 'admin,staff,integration' }, secret, { now }),
    ).toBeNull();
  });

  it('refuses another secret, a missing signature and an old signature', () => {
    const headers = identityHeaders(secret, id, now);
    expect(verifyIdentity(headers, 'other', { now })).toBeNull();
    expect(verifyIdentity({ ...headers, 'x-gateway-signature': undefined }, secret, { now })).toBeNull();
    expect(verifyIdentity(headers, secret, { now: now + 301_000 })).toBeNull();
    expect(verifyIdentity(headers, secret, { now: now + 299_000 })).toEqual(id);
  });

  it('has the t=…,v1=… form', () => {
    expect(signIdentity(secret, id, now)).toMatch(/^t=\d+,v1=[A-Za-z0-9_-]{43}$/);
  });

  it('keeps an anonymous identity anonymous', () => {
    const anon = { tenant: 'school-a', user: '', roles: [], requestId: 'r' };
    expect(verifyIdentity(identityHeaders(secret, anon, now), secret, { now })).toEqual(anon);
  });
});

describe('UTF-8 identities', () => {
  it('percent-encodes a Japanese user name on the wire and verifies it decoded', () => {
    const jp = { tenant: 'school-a', user: '先生', roles: ['管理者'], requestId: 'r' };
    const headers = identityHeaders(secret, jp, now);
    expect(headers['x-gateway-user']).toBe('%E5%85%88%E7%94%9F');
    expect(() => new Headers(headers)).not.toThrow();
    expect(verifyIdentity(headers, secret, { now })).toEqual(jp);
  });

  it('refuses malformed percent-encoding', () => {
    const headers = identityHeaders(secret, id, now);
    expect(verifyIdentity({ ...headers, 'x-gateway-user': '%E5%' }, secret, { now })).toBeNull();
  });
});
