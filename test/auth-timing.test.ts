/**
 * No user enumeration by timing: through the real gateway over TLS, a request for an unknown user
 * takes about as long as one for a known user with a wrong password, because both run scrypt of
 * the same cost (the unknown one against a dummy hash). Real scrypt cost here (N=2^15): timing is
 * what this test is about. Median of several interleaved tries, generous bounds for a busy machine.
 */
import { randomBytes, scryptSync } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  type EchoUpstream,
  httpsRequest,
  startEchoUpstream,
  startTestGateway,
  type TestGateway,
} from './helpers/index.js';

const N = 32768;
const salt = randomBytes(16);
const hash = scryptSync('Real-Password-1', salt, 32, { N, r: 8, p: 1, maxmem: 128 * N * 8 * 2 });

let echo: EchoUpstream;
let gw: TestGateway;

beforeAll(async () => {
  echo = await startEchoUpstream();
  gw = await startTestGateway({
    upstream: echo.url,
    tenants: {
      'school-a': {
        hosts: ['school-a.localhost'],
        lockout: { maxFailures: 1000, window: '1m', duration: '1m' },
        users: {
          'hr-sync': {
            passwordHash: `scrypt$${N}$8$1$${salt.toString('base64')}$${hash.toString('base64')}`,
            roles: ['integration'],
          },
        },
        zones: [{ name: 'api', path: '/api', auth: 'basic' }],
      },
    },
  });
});

afterAll(async () => {
  await gw?.close();
  await echo?.close();
});

async function timed(user: string): Promise<number> {
  const authorization = `Basic ${Buffer.from(`${user}:Wrong-Password-1`).toString('base64')}`;
  const start = performance.now();
  const res = await httpsRequest({ port: gw.httpsPort, path: '/api/x', headers: { authorization } });
  const ms = performance.now() - start;
  expect(res.status).toBe(401);
  return ms;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

it('takes comparable time for an unknown user and a wrong password', async () => {
  await timed('hr-sync');
  await timed('no-such-user');
  const known: number[] = [];
  const unknown: number[] = [];
  for (let i = 0; i < 9; i++) {
    // Interleaved, alternating which goes first, so machine load hits both alike.
    if (i % 2) {
      known.push(await timed('hr-sync'));
      unknown.push(await timed(`no-such-user-${i}`));
    } else {
      unknown.push(await timed(`no-such-user-${i}`));
      known.push(await timed('hr-sync'));
    }
  }
  const ratio = median(unknown) / median(known);
  expect(
    ratio,
    `unknown ${median(unknown).toFixed(1)} ms / known ${median(known).toFixed(1)} ms`,
  ).toBeGreaterThan(0.5);
  expect(ratio).toBeLessThan(2);
});
