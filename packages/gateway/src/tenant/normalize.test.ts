import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodePath } from '../http/path.js';
import { normalizePath, PathError } from './normalize.js';

describe('normalizePath', () => {
  it.each([
    ['/admin', '/admin'],
    ['/api/../admin', '/admin'],
    ['/%61dmin', '/admin'],
    ['//admin', '/admin'],
    ['/api/%2e%2e/admin', '/admin'],
    ['/a/./b/', '/a/b/'],
    ['/a/b/..', '/a/'],
    ['/../../etc/passwd', '/etc/passwd'],
    ['/', '/'],
    ['/.gateway/login', '/.gateway/login'],
    ['/r/%E5%B1%B1', '/r/山'],
    ['/a%20b', '/a b'],
  ])('%s → %s', (raw, expected) => {
    expect(normalizePath(raw)).toBe(expected);
  });

  it.each([
    '/admin%2Fx',
    '/admin%2fx',
    '/a%5Cb',
    '/a\\b',
    '/a%00b',
    '/a%0Ab',
    '/a%7F',
    '/%ff',
    '/%C0%AF',
    '/%zz',
    '/%4',
    'admin',
    '/a b',
    '/é',
  ])('refuses %s', (raw) => {
    expect(() => normalizePath(raw)).toThrow(PathError);
  });

  const rawPath = fc
    .array(
      fc.oneof(
        fc.constantFrom('', '.', '..', '%2e', '%2E%2e', 'admin', 'api', '%61', 'a%20b', '%E5%B1%B1'),
        fc.stringMatching(/^[A-Za-z0-9._~%-]{0,6}$/),
      ),
      { maxLength: 8 },
    )
    .map((segments) => `/${segments.join('/')}`);

  function tryNormalize(raw: string): string | undefined {
    try {
      return normalizePath(raw);
    } catch (err) {
      if (err instanceof PathError) return undefined;
      throw err;
    }
  }

  it('is idempotent through the upstream encoding', () => {
    fc.assert(
      fc.property(rawPath, (raw) => {
        const once = tryNormalize(raw);
        if (once === undefined) return;
        expect(normalizePath(encodePath(once))).toBe(once);
      }),
      { numRuns: 1000 },
    );
  });

  it('never yields dot or empty segments and never escapes the root', () => {
    fc.assert(
      fc.property(rawPath, (raw) => {
        const path = tryNormalize(raw);
        if (path === undefined) return;
        expect(path.startsWith('/')).toBe(true);
        const segments = path.split('/').slice(1, path.endsWith('/') ? -1 : undefined);
        for (const s of segments) expect(['', '.', '..']).not.toContain(s);
      }),
      { numRuns: 1000 },
    );
  });

  it('never throws anything but PathError on arbitrary input', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (s) => {
        tryNormalize(`/${s}`);
      }),
      { numRuns: 1000 },
    );
  });
});
