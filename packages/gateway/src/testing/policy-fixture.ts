/**
 * Test-only: a small valid policy as written in a file, for the policy and CLI tests to break in
 * one place each. Not exported from the package.
 */

/** A scrypt hash of no real password (the tests never sign in with it). */
export const TEST_HASH = 'scrypt$16384$8$1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2g=';

// biome-ignore lint/suspicious/noExplicitAny: tests break the policy in arbitrary places
type Loose = Record<string, any>;

/** A small valid policy as written in a file (a fresh copy on every call). */
export function validPolicy(): Loose {
  return {
    version: 1,
    server: {
      https: { certFile: 'var/tls/cert.pem', keyFile: 'var/tls/key.pem' },
      upstream: { url: 'http://127.0.0.1:3000' },
    },
    tenants: {
      'school-a': {
        hosts: ['school-a.localhost'],
        users: { admin: { passwordHash: TEST_HASH, roles: ['admin'] } },
        zones: [
          { name: 'admin', path: '/admin', auth: 'form', roles: ['admin'], ipAllow: ['203.0.113.0/24'] },
          { name: 'recipient', path: '/', auth: 'none' },
        ],
      },
    },
  };
}
