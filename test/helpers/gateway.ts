/**
 * Starts a real gateway for an end-to-end test: a dev certificate and key files in a fresh temp
 * directory, the policy written there as a file (so reload and CLI tests can edit it), every
 * listener on 127.0.0.1 port 0. Close it in `finally`/`afterAll`.
 */
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type GatewayDeps, type PolicyInput, type RunningGateway, startGateway } from '@resultgate/gateway';
import { type DevCertificate, devCertificate } from '../../scripts/dev-cert.js';

let certPromise: Promise<DevCertificate> | undefined;
/** One dev certificate per test process (generated once, reused). */
export function testCertificate(): Promise<DevCertificate> {
  certPromise ??= devCertificate();
  return certPromise;
}

/**
 * Writes the test certificate and its key (mode 600) into `dir`.
 * @returns the `server.https` fields that point at them, on 127.0.0.1 port 0
 */
export async function writeTestCertificate(
  dir: string,
): Promise<{ port: 0; host: '127.0.0.1'; certFile: string; keyFile: string }> {
  const { cert, key } = await testCertificate();
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  await writeFile(certFile, cert);
  await writeFile(keyFile, key, { mode: 0o600 });
  return { port: 0, host: '127.0.0.1', certFile, keyFile };
}

/**
 * The proxy tests' tenants: School A, whose /admin only a network no test comes from may reach
 * (any path that slips into it is a bypass), beside /api and /r; and `acme`, suspended.
 */
export function proxyTenants(): PolicyInput['tenants'] {
  return {
    'school-a': {
      name: 'School A',
      hosts: ['school-a.localhost'],
      zones: [
        { name: 'admin', path: '/admin', auth: 'none', ipAllow: ['192.0.2.0/24'] },
        { name: 'api', path: '/api', auth: 'none' },
        { name: 'recipient', path: '/r', auth: 'none' },
      ],
    },
    acme: {
      hosts: ['acme-hr.localhost'],
      suspended: true,
      zones: [{ name: 'all', path: '/', auth: 'none' }],
    },
  };
}

/** The tenants of {@link defaultTenants}: a school with admin/api/recipient zones. */
export function defaultTenants(): PolicyInput['tenants'] {
  return {
    'school-a': {
      name: 'School A',
      hosts: ['school-a.localhost'],
      zones: [
        { name: 'admin', path: '/admin', auth: 'none' },
        { name: 'api', path: '/api', auth: 'none' },
        { name: 'recipient', path: '/r', auth: 'none' },
      ],
    },
  };
}

/** Options of {@link startTestGateway}. */
export interface TestGatewayOptions {
  /** The upstream URL (e.g. an echo upstream's). */
  upstream: string;
  /** The tenants. @default defaultTenants() */
  tenants?: PolicyInput['tenants'];
  /** Overrides of `server.upstream` (timeout, connectTimeout, maxBodySize…), as policy input. */
  upstreamOptions?: Partial<PolicyInput['server']['upstream']>;
  /** Other `server` fields (trustedProxies…). */
  server?: Partial<Omit<PolicyInput['server'], 'upstream' | 'https'>>;
  /** Any other top-level policy fields (sessions, logs…); paths default into the temp dir. */
  extra?: Partial<Omit<PolicyInput, 'server' | 'tenants' | 'version'>>;
  /** Deps overrides (clock, sinks). */
  deps?: Partial<GatewayDeps>;
  /** Reload when the policy file changes (as `resultgate serve` does). @default false */
  watch?: boolean;
  /** Passed to startGateway (extra reserved routes, e.g. login). */
  reserved?: Parameters<typeof startGateway>[0]['reserved'];
}

/** A running test gateway: the gateway plus its temp dir and policy file. */
export interface TestGateway extends RunningGateway {
  dir: string;
  policyFile: string;
  /** The policy as written (edit and `writePolicy` + `reload()` to test reloads). */
  policyInput: PolicyInput;
  /** Writes a new policy input to `policyFile`. */
  writePolicy(input: PolicyInput): Promise<void>;
}

/**
 * Starts a gateway on 127.0.0.1 with HTTPS, plain-HTTP and admin listeners on free ports.
 * @example
 * const echo = await startEchoUpstream();
 * const gw = await startTestGateway({ upstream: echo.url });
 * try { … httpsRequest({ port: gw.httpsPort, path: '/api/x' }) … } finally { await gw.close(); await echo.close(); }
 */
export async function startTestGateway(options: TestGatewayOptions): Promise<TestGateway> {
  const dir = await mkdtemp(join(tmpdir(), 'resultgate-e2e-'));
  const https = await writeTestCertificate(dir);
  const policyInput: PolicyInput = {
    version: 1,
    server: {
      https,
      http: { port: 0, host: '127.0.0.1' },
      admin: { port: 0, host: '127.0.0.1' },
      ...options.server,
      upstream: { url: options.upstream, ...options.upstreamOptions },
    },
    sessions: { secretFile: join(dir, 'session.key') },
    identity: { secretFile: join(dir, 'identity.key') },
    logs: { dir: join(dir, 'log') },
    ...options.extra,
    tenants: options.tenants ?? defaultTenants(),
  };
  const policyFile = join(dir, 'policy.json');
  // Written whole, then renamed over the file (as the gateway's own edits write it): a reload that
  // reads meanwhile sees the old file or the new one, never a half-written one.
  const writePolicy = async (input: PolicyInput) => {
    await writeFile(`${policyFile}.tmp`, `${JSON.stringify(input, null, 2)}\n`);
    await rename(`${policyFile}.tmp`, policyFile);
  };
  await writePolicy(policyInput);
  let gw: RunningGateway;
  try {
    gw = await startGateway({
      policyFile,
      deps: options.deps,
      reserved: options.reserved,
      watch: options.watch,
    });
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    ...gw,
    dir,
    policyFile,
    policyInput,
    writePolicy,
    close: async () => {
      await gw.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
