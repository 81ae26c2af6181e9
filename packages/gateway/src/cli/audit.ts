/**
 * One audit line from a CLI command (users add/remove, tenants purge) to the same per-tenant
 * chain the gateway writes: the writer takes the chain's file lock and continues from the
 * recorded head, so a running gateway and the CLI never fork a chain.
 */
import { Registry } from 'prom-client';
import { AuditLogWriter, LogHealth } from '../logs/index.js';
import type { AuditEvent } from '../types.js';
import type { CliIo } from './command.js';

/** Writes `event` under `logsDir` and waits for it; false (and a line on stderr) when it failed. */
export async function writeCliAudit(logsDir: string, event: AuditEvent, io: CliIo): Promise<boolean> {
  const health = new LogHealth({ now: Date.now, registry: new Registry(), warn: (l) => io.stderr.write(l) });
  const audit = new AuditLogWriter({ dir: logsDir, health, now: Date.now });
  audit.write({ ...event, by: io.env.USER ?? null });
  await audit.flush();
  return health.healthy;
}
