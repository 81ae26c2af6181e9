import { describe, expect, it } from 'vitest';
import { safeNext } from './next.js';

describe('safeNext', () => {
  it.each([
    ['/admin', '/admin'],
    ['/admin/results?status=published&page=2', '/admin/results?status=published&page=2'],
    ['/admin/%E7%B5%90%E6%9E%9C', '/admin/%E7%B5%90%E6%9E%9C'],
    ['/admin/./list/../x', '/admin/x'],
  ])('keeps the same-host path %s', (input, out) => {
    expect(safeNext(input)).toBe(out);
  });

  it.each([
    '//evil.com',
    '/\\evil.com',
    '\\\\evil.com',
    'https://evil.com',
    'HTTPS://evil.com',
    '/%2F%2Fevil.com',
    '/%2f%2fevil.com',
    '/%5C%5Cevil.com',
    'javascript:alert(1)',
    'evil.com',
    '/\n/evil.com',
    '/ /evil.com',
    '/admin/../..//evil.com',
    '/.gateway/logout',
    '',
    `/${'a'.repeat(3000)}`,
  ])('refuses %j', (input) => {
    expect(safeNext(input)).toBeUndefined();
  });

  it('refuses what is not a string', () => {
    expect(safeNext(['/admin'])).toBeUndefined();
    expect(safeNext(undefined)).toBeUndefined();
  });
});
