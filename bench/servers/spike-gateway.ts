/**
 * The spike's gateway: `startGateway` with one tenant whose recipient zone is limited
 * (`maxConcurrent`, `maxQueue`), access log to disk, on its plain port behind a trusted TLS
 * terminator (the harness sends `X-Forwarded-Proto: https`, as for the other gateway targets).
 */
import { mkdir } from 'node:fs/promises';
import type { PolicyInput } from '@resultgate/gateway';
import { generate } from 'selfsigned';
import { writeFile } from 'node:fs/promises';
import { AccessLogWriter } from '../../packages/gateway/src/logs/access-sink.js';
import { LogHealth } from '../../packages/gateway/src/logs/health.js';
import { parsePolicy } from '../../packages/gateway/src/policy/load.js';
import { startGateway } from '../../packages/gateway/src/server.js';
import { announceReady, childConfig, exitOnSignal } from './child.js';

/** What the harness asks of this target. */
export interface SpikeGatewayConfig {
  upstream: string;
  dir: string;
  host: string;
  maxConcurrent: number;
  maxQueue: number;
}

const config = childConfig<SpikeGatewayConfig>();
await mkdir(config.dir, { recursive: true });
const pems = await generate([{ name: 'commonName', value: config.host }], { keySize: 2048 });
await writeFile(`${config.dir}/cert.pem`, pems.cert);
await writeFile(`${config.dir}/key.pem`, pems.private, { mode: 0o600 });
const input: PolicyInput = {
  version: 1,
  server: {
    https: {
      port: 0,
      host: '127.0.0.1',
      certFile: `${config.dir}/cert.pem`,
      keyFile: `${config.dir}/key.pem`,
    },
    http: { port: 0, host: '127.0.0.1' },
    trustedProxies: ['127.0.0.1/32'],
    upstream: { url: config.upstream },
  },
  logs: { dir: `${config.dir}/log` },
  tenants: {
    school: {
      name: 'Spike School',
      hosts: [config.host],
      zones: [
        {
          name: 'recipient',
          path: '/',
          auth: 'none',
          maxConcurrent: config.maxConcurrent,
          maxQueue: config.maxQueue,
        },
      ],
    },
  },
};
const policy = parsePolicy(input, 'spike');
const accessLog = new AccessLogWriter({ dir: `${config.dir}/log`, health: new LogHealth({ now: Date.now }) });
const gateway = await startGateway({
  policy,
  deps: {
    accessLog,
    sessionKeys: [crypto.getRandomValues(new Uint8Array(32))],
    identitySecret: crypto.getRandomValues(new Uint8Array(32)),
  },
  https: { port: 0, host: '127.0.0.1' },
  http: { port: 0, host: '127.0.0.1' },
  admin: false,
});
announceReady(gateway.httpPort!);
exitOnSignal(async () => {
  await gateway.close();
  await accessLog.close();
});
