/**
 * One worker of `resultgate serve --workers`: the whole gateway on the ports every worker shares
 * (node:cluster hands each connection to one of them), with three differences. Its audit events
 * go to the primary, which owns the audit writer, so each tenant's chain stays one chain; its
 * lockouts and logouts go to the other workers through the primary, into their in-memory mirrors
 * (the state directory's SQLite file is shared too); and it reloads and drains when the primary
 * says so, rather than watching the file or signals itself.
 */
import { startGateway } from '../server.js';
import type { AuditEvent } from '../types.js';
import { isMessage, type PrimaryMessage, WORKER_COUNT_ENV, type WorkerMessage } from './messages.js';

function send(message: WorkerMessage, done?: () => void): void {
  if (process.connected) process.send?.(message, undefined, {}, done);
  else done?.();
}

/** Runs this process as a worker of the gateway until the primary says drain (or SIGTERM). */
export async function runWorker(policyFile: string): Promise<void> {
  const gateway = await startGateway({
    policyFile,
    auditReloads: false,
    deps: {
      audit: { write: (event: AuditEvent) => send({ rg: 'audit', event }) },
      // Every zone's maxConcurrent is shared out among the workers (admission/index.ts).
      workers: Number(process.env[WORKER_COUNT_ENV]) || 1,
    },
  });
  const state = gateway.deps.security;
  state.peers = (event) => send({ rg: 'state', event });

  let draining: Promise<void> | undefined;
  const drain = () => {
    draining ??= gateway.close().then(
      // The IPC channel delivers in order: once this is sent, every audit event before it is too.
      () => new Promise<void>((resolve) => send({ rg: 'drained' }, resolve)),
    );
    void draining.then(() => process.exit(0));
  };
  process.on('message', (m: unknown) => {
    if (!isMessage<PrimaryMessage>(m)) return;
    if (m.rg === 'state') state.apply(m.event);
    else if (m.rg === 'reload')
      gateway.reload().then(
        () => send({ rg: 'reloaded' }),
        (err: unknown) => send({ rg: 'reloaded', error: err instanceof Error ? err.message : String(err) }),
      );
    else if (m.rg === 'drain') drain();
  });
  // A terminal's Ctrl-C reaches every process of the group: drain the same way.
  process.on('SIGTERM', drain);
  process.on('SIGINT', drain);
  process.on('disconnect', drain);
  send({ rg: 'listening', https: gateway.httpsPort, http: gateway.httpPort, admin: gateway.adminPort });
}
