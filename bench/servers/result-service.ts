/**
 * The whole stack's upstream: the reference result service (Hono + node:sqlite, real pages), with
 * `recipients` published results seeded for one tenant. It reports their access codes and PINs
 * with its port, so the harness can open them the way recipients do (form, then code + PIN).
 */
import { mkdir } from 'node:fs/promises';
import { transaction } from '../../examples/result-service/src/db.js';
import { startResultService } from '../../examples/result-service/src/index.js';
import { announceReady, childConfig, exitOnSignal } from './child.js';

/** What the harness asks of this target. */
export interface ResultServiceTargetConfig {
  dir: string;
  /** The gateway's identity key, hex. */
  identitySecretHex: string;
  tenant: string;
  recipients: number;
}

const config = childConfig<ResultServiceTargetConfig>();
await mkdir(config.dir, { recursive: true });
const service = await startResultService({
  identitySecret: Buffer.from(config.identitySecretHex, 'hex'),
  port: 0,
  host: '127.0.0.1',
  dbFile: `${config.dir}/results.db`,
  outboxDir: `${config.dir}/outbox`,
});
const store = service.context.store;
const now = Date.now();
const credentials: { code: string; pin: string }[] = [];
transaction(store.db, () => {
  for (let i = 0; i < config.recipients; i++) {
    const created = store.insert(
      config.tenant,
      {
        externalId: `bench-${i}`,
        recipient: { id: `R${i}`, name: `受験者 ${i}` },
        title: '2027年度 選考結果 / 2027 selection result',
        outcome: i % 3 === 0 ? '合格 / Passed' : '不合格 / Not passed',
        details: { 'Exam number / 受験番号': `B${String(i).padStart(6, '0')}` },
        publishAt: new Date(now - 60_000).toISOString(),
        expiresAt: new Date(now + 86_400_000).toISOString(),
      },
      now,
    );
    store.transition(created.row, 'published', now);
    credentials.push({ code: created.row.access_code, pin: created.pin });
  }
});
announceReady(service.port, { credentials });
exitOnSignal(() => service.close());
