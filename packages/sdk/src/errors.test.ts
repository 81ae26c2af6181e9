import { describe, expect, it } from 'vitest';
import { errorFromResponse } from './error-factory.js';
import {
  AuthenticationError,
  ConflictError,
  IpNotAllowedError,
  isResultGateError,
  MaintenanceError,
  NotFoundError,
  OverloadedError,
  PermissionError,
  RateLimitError,
  ResultGateError,
  UpstreamError,
  ValidationError,
} from './errors.js';

const url = 'https://school-a.example/api/v1/results?status=viewed&cursor=abc';
const make = (status: number, code?: string, extra: Record<string, unknown> = {}, headers?: Headers) =>
  errorFromResponse({
    status,
    body: code ? { error: { code, message: 'm', requestId: 'req-9', ...extra } } : undefined,
    headers,
    method: 'GET',
    url,
  });

describe('errorFromResponse', () => {
  it.each([
    [401, 'unauthorized', AuthenticationError],
    [401, 'session_expired', AuthenticationError],
    [403, 'ip_not_allowed', IpNotAllowedError],
    [403, 'forbidden', PermissionError],
    [403, 'tenant_suspended', PermissionError],
    [429, 'locked_out', RateLimitError],
    [503, 'maintenance', MaintenanceError],
    [503, 'overloaded', OverloadedError],
    [422, 'validation_failed', ValidationError],
    [404, 'unknown_host', NotFoundError],
    [404, 'no_route', NotFoundError],
    [404, 'not_found', NotFoundError],
    [409, 'duplicate_external_id', ConflictError],
    [502, 'upstream_unavailable', UpstreamError],
    [504, 'upstream_timeout', UpstreamError],
    [500, 'internal_error', UpstreamError],
  ])('%i %s → %o', (status, code, Class) => {
    const err = make(status, code);
    expect(err).toBeInstanceOf(Class);
    expect(err).toBeInstanceOf(ResultGateError);
    expect(err).toMatchObject({ status, code, requestId: 'req-9' });
  });

  it('falls back to the status when the code is unknown or missing', () => {
    expect(make(403, 'some_future_code')).toBeInstanceOf(PermissionError);
    expect(make(409)).toBeInstanceOf(ConflictError);
    expect(make(409).code).toBe('conflict');
    expect(make(418, 'teapot').constructor).toBe(ResultGateError);
  });

  it('says method and URL without the query string', () => {
    const err = make(404, 'not_found');
    expect(err.message).toBe('404 not_found: m (GET https://school-a.example/api/v1/results, request req-9)');
    expect(err.message).not.toContain('cursor');
  });

  it('keeps the field issues of a 422', () => {
    const err = make(422, 'validation_failed', {
      issues: [{ path: 'recipient.email', message: 'must be an e-mail address' }],
    }) as ValidationError;
    expect(err.issues).toEqual([{ path: 'recipient.email', message: 'must be an e-mail address' }]);
  });

  it('reads Retry-After for rate limits and lockouts', () => {
    const headers = new Headers({ 'retry-after': '900', 'x-request-id': 'h-1' });
    const lock = make(429, 'locked_out', {}, headers) as RateLimitError;
    expect(lock).toMatchObject({ lockedOut: true, retryAfter: 900, retryable: false });
    const rate = errorFromResponse({ status: 429, body: 'slow down', headers, method: 'POST', url });
    expect(rate).toMatchObject({ lockedOut: false, retryable: true, requestId: 'h-1', code: 'rate_limited' });
  });

  it('isResultGateError tells SDK errors from others', () => {
    expect(isResultGateError(make(500, 'internal_error'))).toBe(true);
    expect(isResultGateError(new Error('x'))).toBe(false);
    expect(isResultGateError('x')).toBe(false);
  });
});
