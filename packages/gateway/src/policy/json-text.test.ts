import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { removeJsonProperty, setJsonProperty } from './json-text.js';

const FILE = `{
  "tenants": {
    "a": {
      "hosts": ["a.localhost"],
      "users": {
        "admin": { "passwordHash": "h1", "roles": ["admin"] },
        "sync": { "passwordHash": "h2", "roles": [] }
      },
      "zones": [{ "name": "z", "path": "/", "auth": "none" }]
    },
    "b": {
      "hosts": ["b.localhost"],
      "users": {},
      "zones": []
    }
  }
}
`;

describe('setJsonProperty', () => {
  it('appends a user in the one-line style of its siblings, leaving every other line alone', () => {
    const out = setJsonProperty(FILE, ['tenants', 'a', 'users'], 'sato', {
      passwordHash: 'h3',
      roles: ['x'],
    });
    expect(out).toBe(
      FILE.replace(
        '"roles": [] }\n',
        '"roles": [] },\n        "sato": { "passwordHash": "h3", "roles": ["x"] }\n',
      ),
    );
  });

  it('fills an empty object with an indented property', () => {
    const out = setJsonProperty(FILE, ['tenants', 'b', 'users'], 'sato', { roles: [] });
    expect(out).toContain('"users": {\n        "sato": {\n          "roles": []\n        }\n      },');
    expect(JSON.parse(out).tenants.b.users).toEqual({ sato: { roles: [] } });
  });

  it('replaces an existing value in place', () => {
    const out = setJsonProperty(FILE, ['tenants', 'a', 'users'], 'sync', {
      passwordHash: 'h9',
      roles: ['r'],
    });
    expect(out).toBe(
      FILE.replace(
        '"sync": { "passwordHash": "h2", "roles": [] }',
        '"sync": { "passwordHash": "h9", "roles": ["r"] }',
      ),
    );
  });

  it('keeps CRLF line ends', () => {
    const crlf = FILE.replaceAll('\n', '\r\n');
    const out = setJsonProperty(crlf, ['tenants', 'b', 'users'], 'x', 1);
    expect(out.replaceAll('\r\n', '')).not.toContain('\n');
    expect(JSON.parse(out).tenants.b.users.x).toBe(1);
  });

  it('throws when the path is not an object', () => {
    expect(() => setJsonProperty(FILE, ['tenants', 'c'], 'x', 1)).toThrow('no object at tenants.c');
  });
});

describe('removeJsonProperty', () => {
  it.each([
    ['sync', { admin: { passwordHash: 'h1', roles: ['admin'] } }],
    ['admin', { sync: { passwordHash: 'h2', roles: [] } }],
  ])('removes %s with its comma and line', (user, rest) => {
    const out = removeJsonProperty(FILE, ['tenants', 'a', 'users'], user);
    expect(JSON.parse(out).tenants.a.users).toEqual(rest);
    expect(out.split('\n')).toHaveLength(FILE.split('\n').length - 1);
  });

  it('leaves {} when the last property goes', () => {
    const once = removeJsonProperty(FILE, ['tenants', 'a', 'users'], 'sync');
    expect(removeJsonProperty(once, ['tenants', 'a', 'users'], 'admin')).toContain('"users": {},');
  });
});

describe('set then remove', () => {
  it('always yields the same JSON as editing the parsed object (property)', () => {
    const key = fc.string({ minLength: 1, maxLength: 12 });
    const value = fc.jsonValue({ maxDepth: 3 });
    fc.assert(
      fc.property(key, value, fc.constantFrom('a', 'b'), (k, v, tenant) => {
        const out = setJsonProperty(FILE, ['tenants', tenant, 'users'], k, v);
        const expected = JSON.parse(FILE);
        // defineProperty, not `=`: a generated key may be "__proto__", which JSON keeps as a key.
        Object.defineProperty(expected.tenants[tenant].users, k, {
          value: v,
          enumerable: true,
          writable: true,
          configurable: true,
        });
        expect(JSON.parse(out)).toEqual(JSON.parse(JSON.stringify(expected)));
        const back = removeJsonProperty(out, ['tenants', tenant, 'users'], k);
        delete expected.tenants[tenant].users[k];
        expect(JSON.parse(back)).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });
});
