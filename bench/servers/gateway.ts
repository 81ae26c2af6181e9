/**
 * Targets (c), (d) and the policy-scale target: the gateway, started with `startGateway` from a
 * generated policy. Before listening it measures what a policy load costs — JSON parse + schema
 * validation (`parsePolicy`) and compilation (`createGateway`) — and the memory the compiled
 * policy holds, and reports those with its port.
 *
 * Fairness: the gateway listens on its plain port behind a trusted TLS terminator (the load
 * generator plays it, sending `X-Forwarded-Proto: https` from 127.0.0.1, which `trustedProxies`
 * lists) — a supported production layout, so no bench-only switch is needed. See bench/README.md.
 */
import cluster from 'node:cluster';
import { mkdir, writeFile } from 'node:fs/promises';
import {
  createGateway,
  hashPassword,
  type PolicyInput,
  parsePolicy,
  readKeyFile,
  startGateway,
} from '@resultgate/gateway';
import { AccessLogWriter, LogHealth, memoryDeps } from '@resultgate/gateway/testing';
import { generate } from 'selfsigned';
import {
  announceReady,
  answerAllocationQueries,
  answerMemoryQueries,
  childConfig,
  exitOnSignal,
} from './child.js';
import { BENCH_USER, benchPolicy } from './policy.js';

/** What the harness asks of this target. */
export interface GatewayTargetConfig {
  mode: 'all' | 'none';
  tenants: number;
  upstream: string;
  dir: string;
  /** Write the access log to `<dir>/log` (the all-checks target). */
  accessLog: boolean;
  /**
   * `serve --workers N`: this process becomes a cluster primary that forks N workers sharing the
   * port (node:cluster's round-robin), each running this same gateway and writing the same log files.
   */
  workers?: number;
}

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

const config = childConfig<GatewayTargetConfig>();
if (config.workers && cluster.isPrimary) await runPrimary(config.workers);
else await runGateway();

async function writeCertificate(): Promise<void> {
  await mkdir(config.dir, { recursive: true });
  const pems = await generate([{ name: 'commonName', value: 'bench.example' }], { keySize: 2048 });
  await writeFile(`${config.dir}/cert.pem`, pems.cert);
  await writeFile(`${config.dir}/key.pem`, pems.private, { mode: 0o600 });
}

/** The primary of the --workers row: forks, waits for every worker's port, reports it, stops them. */
async function runPrimary(n: number): Promise<void> {
  await writeCertificate();
  // Key files made once here, so the workers do not race to create them.
  await readKeyFile(`${config.dir}/session.key`);
  await readKeyFile(`${config.dir}/identity.key`);
  const ports = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<{ port: number; info?: Record<string, unknown> }>((resolve, reject) => {
          const worker = cluster.fork();
          worker.once('exit', (code) => reject(new Error(`a worker exited (${code})`)));
          worker.on('message', (m: { type?: string; port: number; info?: Record<string, unknown> }) => {
            if (m?.type === 'ready') resolve(m);
          });
        }),
    ),
  );
  answerMemoryQueries();
  announceReady(ports[0]!.port, { ...ports[0]!.info, workers: n });
  exitOnSignal(async () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
  });
}

async function runGateway(): Promise<void> {
  // Workers share the certificate their primary wrote before forking them.
  if (!cluster.isWorker) await writeCertificate();

  // Cheap scrypt parameters: a warm credential cache means the hash is verified once per run anyway.
  const passwordHash = await hashPassword(BENCH_USER.password, { N: 1024, r: 8, p: 1 });
  const input: PolicyInput = benchPolicy({ ...config, passwordHash });
  const text = JSON.stringify(input);
  const deps = memoryDeps();

  // What a (re)load costs: parse + validate, then compile. Measured on a settled heap.
  gc();
  const before = process.memoryUsage();
  const t0 = performance.now();
  const policy = parsePolicy(JSON.parse(text), 'bench');
  const t1 = performance.now();
  let app: unknown = createGateway({ policy, deps });
  const t2 = performance.now();
  gc();
  const after = process.memoryUsage();
  const info = {
    tenants: config.tenants,
    policyBytes: Buffer.byteLength(text),
    loadMs: t1 - t0,
    compileMs: t2 - t1,
    heapDelta: after.heapUsed - before.heapUsed,
    rssDelta: after.rss - before.rss,
  };
  app = undefined;

  const accessLog = config.accessLog
    ? new AccessLogWriter({ dir: `${config.dir}/log`, health: new LogHealth({ now: Date.now }) })
    : { write() {}, healthy: true };
  const gateway = await startGateway({
    policy,
    deps: { accessLog },
    https: { port: 0, host: '127.0.0.1' },
    http: { port: 0, host: '127.0.0.1' },
    admin: false,
  });
  answerMemoryQueries();
  answerAllocationQueries();
  announceReady(gateway.httpPort!, { ...info, httpsPort: gateway.httpsPort, appReleased: app === undefined });
  exitOnSignal(async () => {
    await gateway.close();
    if (accessLog instanceof AccessLogWriter) await accessLog.close();
  });
}
