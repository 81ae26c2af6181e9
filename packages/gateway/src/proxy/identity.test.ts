import { describe, expect, it } from 'vitest';
import { hmacSha256 } from './hmac.js';
import { identityHeaders, signIdentity, verifyIdentity } from './identity.js';

const secret = 'deployment-secret';
const id = { tenant: 'school-a', user: 'admin', roles: ['admin', 'staff'], requestId: 'req-1' };
const now = Date.UTC(2026, 10, 28, 4, 0, 0);
const request = { method: 'GET', target: '/api/v1/results/%E5%85%88?status=published&x=%2F' };
const opts = { request, now };

describe('identity signature', () => {
  it('verifies headers the gateway signed, for the same method and target', () => {
    const headers = identityHeaders(secret, id, request, now);
    expect(verifyIdentity(headers, secret, opts)).toEqual(id);
    expect(verifyIdentity(new Headers(headers), secret, opts)).toEqual(id);
  });

  it("encodes UTF-8 roles the same on every request when the roles array is the policy's frozen one", () => {
    const roles = Object.freeze(['管理者', 'a,b']);
    const policyUser = { ...id, user: '山田', roles };
    for (let i = 0; i < 2; i++) {
      const headers = identityHeaders(secret, policyUser, request, now);
      expect(headers['x-gateway-roles']).toBe('%E7%AE%A1%E7%90%86%E8%80%85,a%2Cb');
      expect(verifyIdentity(headers, secret, opts)).toEqual({ ...policyUser, roles: [...roles] });
    }
  });

  it('refuses a changed user, tenant or roles', () => {
    const headers = identityHeaders(secret, id, request, now);
    expect(verifyIdentity({ ...headers, 'x-gateway-user': 'root' }, secret, opts)).toBeNull();
    expect(verifyIdentity({ ...headers, 'x-gateway-tenant': 'school-b' }, secret, opts)).toBeNull();
    expect(
      verifyIdentity({ ...headers, 'x-gateway-roles': 'admin,staff,integration' }, secret, opts),
    ).toBeNull();
  });

  it('refuses another secret, a missing signature and an old signature', () => {
    const headers = identityHeaders(secret, id, request, now);
    expect(verifyIdentity(headers, 'other', opts)).toBeNull();
    expect(verifyIdentity({ ...headers, 'x-gateway-signature': undefined }, secret, opts)).toBeNull();
    expect(verifyIdentity(headers, secret, { request, now: now + 301_000 })).toBeNull();
    expect(verifyIdentity(headers, secret, { request, now: now + 299_000 })).toEqual(id);
  });

  it('has the t=…,v2=… form', () => {
    expect(signIdentity(secret, id, request, now)).toMatch(/^t=\d+,v2=[A-Za-z0-9_-]{43}$/);
  });

  it('keeps an anonymous identity anonymous', () => {
    const anon = { tenant: 'school-a', user: '', roles: [], requestId: 'r' };
    expect(verifyIdentity(identityHeaders(secret, anon, request, now), secret, opts)).toEqual(anon);
  });
});

describe('binding to the request (replay elsewhere)', () => {
  const headers = identityHeaders(secret, id, request, now);
  const replay = (method: string, target: string) =>
    verifyIdentity(headers, secret, { request: { method, target }, now });

  it('refuses the headers on another method, case included', () => {
    expect(replay('POST', request.target)).toBeNull();
    expect(replay('DELETE', request.target)).toBeNull();
    expect(replay('get', request.target)).toBeNull();
  });

  it('refuses the headers on another path', () => {
    expect(replay('GET', '/admin/users?status=published&x=%2F')).toBeNull();
    // The raw target, not a decoded or re-encoded one.
    expect(replay('GET', '/api/v1/results/先?status=published&x=%2F')).toBeNull();
    expect(replay('GET', '/api/v1/results/%e5%85%88?status=published&x=%2F')).toBeNull();
  });

  it('refuses the headers with another query, or none', () => {
    expect(replay('GET', '/api/v1/results/%E5%85%88?status=scheduled&x=%2F')).toBeNull();
    expect(replay('GET', '/api/v1/results/%E5%85%88')).toBeNull();
    expect(replay('GET', `${request.target}&limit=200`)).toBeNull();
  });

  it('refuses a target that smuggles a newline into the canonical string', () => {
    expect(replay('GET', `${request.target}\nschool-a`)).toBeNull();
  });

  it('accepts the identical request again within the tolerance (the documented limit)', () => {
    expect(replay('GET', request.target)).toEqual(id);
  });

  it('refuses a v1 signature, even one that is a valid v1 MAC', () => {
    const t = Math.floor(now / 1000);
    const v1 = hmacSha256(Buffer.from(secret))(
      `v1\n${t}\n${id.tenant}\n${id.user}\n${id.roles.join(',')}\n${id.requestId}`,
    );
    const old = { ...headers, 'x-gateway-signature': `t=${t},v1=${v1}` };
    expect(verifyIdentity(old, secret, opts)).toBeNull();
    // Nor the v2 MAC relabelled v1.
    const relabelled = headers['x-gateway-signature']!.replace(',v2=', ',v1=');
    expect(verifyIdentity({ ...headers, 'x-gateway-signature': relabelled }, secret, opts)).toBeNull();
  });

  it('requires the request option: a type error, and a clear TypeError at run time', () => {
    // @ts-expect-error request is required
    expect(() => verifyIdentity(headers, secret, { now })).toThrow(/options\.request/);
    // @ts-expect-error options are required
    expect(() => verifyIdentity(headers, secret)).toThrow(TypeError);
    // @ts-expect-error target is required
    expect(() => verifyIdentity(headers, secret, { request: { method: 'GET' }, now })).toThrow(TypeError);
  });
});

describe('UTF-8 identities', () => {
  it('percent-encodes a Japanese user name on the wire and verifies it decoded', () => {
    const jp = { tenant: 'school-a', user: '先生', roles: ['管理者'], requestId: 'r' };
    const headers = identityHeaders(secret, jp, request, now);
    expect(headers['x-gateway-user']).toBe('%E5%85%88%E7%94%9F');
    expect(() => new Headers(headers)).not.toThrow();
    expect(verifyIdentity(headers, secret, opts)).toEqual(jp);
  });

  it('refuses malformed percent-encoding', () => {
    const headers = identityHeaders(secret, id, request, now);
    expect(verifyIdentity({ ...headers, 'x-gateway-user': '%E5%' }, secret, opts)).toBeNull();
  });
});
