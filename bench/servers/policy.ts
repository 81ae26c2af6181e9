/**
 * The policies the gateway targets run with. Every tenant has the same shape — 5 zones (form, two
 * Basic, two open) and a 20-CIDR allow-list whose matching range comes last — so the one-tenant
 * and the 10,000-tenant gateways differ only in the number of tenants.
 */
import type { PolicyInput } from '@resultgate/gateway';

/** The client address the load generator claims through X-Forwarded-For (matches the last CIDR). */
export const CLIENT_IP = '203.0.113.7';
/** Basic credentials of the bench user (a bench-only password; never a real one). */
export const BENCH_USER = { name: 'bench-sync', password: 'bench-Password-1' };
/** The path every load run requests: an `auth: basic` zone in the all-checks policy. */
export const BENCH_PATH = '/api/v1/results/42';

/** The 20 CIDRs of every allow-list: 19 that do not match, then the client's range. */
export function allowList(): string[] {
  const list = Array.from({ length: 19 }, (_, i) => `10.${i}.0.0/16`);
  list.push('203.0.113.0/24');
  return list;
}

/** The Host of tenant number `i`. */
export function tenantHost(i: number): string {
  return `t${i}.bench.example`;
}

/** Options of {@link benchPolicy}. */
export interface BenchPolicyOptions {
  tenants: number;
  /** `all`: Basic auth on `/api` and the allow-list; `none`: `/api` open (allow-list kept). */
  mode: 'all' | 'none';
  upstream: string;
  /** A scratch directory for the certificate, keys and logs. */
  dir: string;
  passwordHash: string;
}

/** Builds the policy input (as a file would hold it) for the bench gateway. */
export function benchPolicy(o: BenchPolicyOptions): PolicyInput {
  const basic = o.mode === 'all' ? 'basic' : 'none';
  const roles = o.mode === 'all' ? { roles: ['integration'] } : {};
  const tenants: PolicyInput['tenants'] = {};
  const ipAllow = allowList();
  for (let i = 0; i < o.tenants; i++) {
    tenants[`t${i}`] = {
      hosts: [tenantHost(i)],
      ipAllow,
      users: {
        [BENCH_USER.name]: { passwordHash: o.passwordHash, roles: ['integration'] },
        admin: { passwordHash: o.passwordHash, roles: ['admin'] },
      },
      zones: [
        { name: 'admin', path: '/admin', auth: 'form', roles: ['admin'] },
        { name: 'api', path: '/api', auth: basic, ...roles },
        { name: 'reports', path: '/reports', auth: basic, ...roles },
        { name: 'files', path: '/files', auth: 'none' },
        { name: 'recipient', path: '/', auth: 'none' },
      ],
    };
  }
  return {
    version: 1,
    server: {
      https: { port: 0, host: '127.0.0.1', certFile: `${o.dir}/cert.pem`, keyFile: `${o.dir}/key.pem` },
      http: { port: 0, host: '127.0.0.1' },
      // The load generator plays the TLS-terminating load balancer in front of the gateway.
      trustedProxies: ['127.0.0.1/32'],
      // Every request of the load generator comes from one client address (CLIENT_IP): the
      // per-client share of the pool (#14, default connections / 2 = 64) must not turn the
      // generator's 50 connections into 503s.
      upstream: { url: o.upstream, connectionsPerClient: 128 },
    },
    sessions: { secretFile: `${o.dir}/session.key` },
    identity: { secretFile: `${o.dir}/identity.key` },
    logs: { dir: `${o.dir}/log` },
    tenants,
  };
}
