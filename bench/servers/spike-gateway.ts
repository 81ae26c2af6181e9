/**
 * The gateway of the spike and of the whole stack: `startGateway` with one tenant whose recipient
 * zone (`auth: none`, as recipients reach their result) may be limited (`maxConcurrent`,
 * `maxQueue`), access log to disk, on its plain port behind a trusted TLS terminator (the harness
 * sends `X-Forwarded-Proto: https`, as for the other gateway targets).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { type PolicyInput, parsePolicy, startGateway } from '@resultgate/gateway';
import { AccessLogWriter, LogHealth } from '@resultgate/gateway/testing';
import { generate } from 'selfsigned';
import { announceReady, childConfig, exitOnSignal } from './child.js';

/** What the harness asks of this target. */
export interface SpikeGatewayConfig {
  upstream: string;
  dir: string;
  host: string;
  /** The tenant id (the result service scopes everything to it). @default 'school' */
  tenant?: string;
  /** The recipient zone's path. @default '/' */
  zonePath?: string;
  /** Absent: the zone is not limited. */
  maxConcurrent?: number;
  maxQueue?: number;
  /** The identity key shared with the upstream, hex. @default random */
  identitySecretHex?: string;
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
    [config.tenant ?? 'school']: {
      name: 'Spike School',
      hosts: [config.host],
      zones: [
        {
          name: 'recipient',
          path: config.zonePath ?? '/',
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
    identitySecret: config.identitySecretHex
      ? new Uint8Array(Buffer.from(config.identitySecretHex, 'hex'))
      : crypto.getRandomValues(new Uint8Array(32)),
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
