/**
 * The primary of `resultgate serve --workers N`: forks N workers (node:cluster; they share the
 * listening ports), and owns what must exist once per machine:
 *
 * - the audit writer: workers send their audit events here, so each tenant's hash chain is one
 *   chain with one `seq`, never forked by two writers (access lines are written by each worker,
 *   whole batches appended to the same per-tenant, per-day files);
 * - the policy watch and SIGHUP: the file is validated here, the reload audited once, and every
 *   worker told to reload; an invalid file is refused once and every worker keeps its policy;
 * - the relay of state changes: a lockout, unlock or logout on one worker reaches the others'
 *   in-memory mirrors at once (they also share the state directory's SQLite file, and Redis);
 * - SIGTERM/SIGINT: every worker drains (finishes in-flight requests, flushes its access log),
 *   then the audit writer flushes, then the primary exits.
 *
 * A worker that dies is replaced (after it had started; one that cannot start stops them all).
 */
import cluster, { type Worker } from 'node:cluster';
import { resolve } from 'node:path';
import type { CliIo } from '../io.js';
import { openLogs } from '../logs/open.js';
import { readKeyFile } from '../ops/secrets.js';
import { loadPolicyFile, PolicyError } from '../policy/load.js';
import { watchPolicy } from '../policy/watch.js';
import {
  isMessage,
  type PrimaryMessage,
  WORKER_COUNT_ENV,
  WORKER_ENV,
  type WorkerMessage,
} from './messages.js';

/** Options of {@link runPrimary}. */
export interface PrimaryOptions {
  policyFile: string;
  workers: number;
  io: CliIo;
  /** Longest wait for the workers to drain on SIGTERM before they are killed. @default 15000 */
  drainTimeout?: number;
}

function tell(worker: Worker, message: PrimaryMessage): void {
  if (worker.isConnected()) worker.send(message);
}

/** Runs the primary until SIGTERM/SIGINT; resolves to the exit code. */
export async function runPrimary(o: PrimaryOptions): Promise<number> {
  const { io } = o;
  const file = resolve(o.io.cwd, o.policyFile);
  let policy = await loadPolicyFile(file);
  // The key files are made here, once, if missing: workers starting together must not race.
  await readKeyFile(policy.sessions.secretFile);
  await readKeyFile(policy.identity.secretFile);
  const logs = await openLogs(policy.logs);
  const audit = logs.audit;
  const workers = new Set<Worker>();
  const started = new WeakSet<Worker>();
  let stopping = false;
  let ports: Extract<WorkerMessage, { rg: 'listening' }> | undefined;
  let onAllListening: (() => void) | undefined;
  let onStartFailure: ((err: Error) => void) | undefined;

  function fork(): Worker {
    const worker = cluster.fork({ [WORKER_ENV]: file, [WORKER_COUNT_ENV]: String(o.workers) });
    workers.add(worker);
    worker.on('message', (m: unknown) => {
      if (!isMessage<WorkerMessage>(m)) return;
      if (m.rg === 'audit') audit.write(m.event);
      else if (m.rg === 'state') {
        for (const other of workers) if (other !== worker) tell(other, m);
      } else if (m.rg === 'listening') {
        started.add(worker);
        ports = m;
        if ([...workers].every((w) => started.has(w))) onAllListening?.();
      }
    });
    return worker;
  }

  cluster.on('exit', (worker, code, signal) => {
    workers.delete(worker);
    if (stopping) return;
    if (!started.has(worker)) {
      onStartFailure?.(new Error(`a worker could not start (exit ${code ?? signal})`));
      return;
    }
    io.stderr.write(
      `resultgate: worker ${worker.process.pid} exited (${code ?? signal}); starting another\n`,
    );
    fork();
  });

  const stopAll = async () => {
    stopping = true;
    const exits = [...workers].map(
      (w) =>
        new Promise<void>((done) => {
          // 'disconnect' after 'exit': every message the worker sent has been read by then.
          let left = 2;
          const one = () => --left === 0 && done();
          if (w.isDead()) return done();
          w.once('exit', one);
          w.once('disconnect', one);
          if (!w.isConnected()) one();
        }),
    );
    for (const w of workers) tell(w, { rg: 'drain' });
    const killer = setTimeout(() => {
      for (const w of workers) w.process.kill('SIGKILL');
    }, o.drainTimeout ?? 15_000);
    await Promise.all(exits);
    clearTimeout(killer);
    await logs.close();
  };

  try {
    await new Promise<void>((resolveStart, rejectStart) => {
      onAllListening = resolveStart;
      onStartFailure = rejectStart;
      for (let i = 0; i < o.workers; i++) fork();
    });
  } catch (err) {
    io.stderr.write(`resultgate serve: ${(err as Error).message}\n`);
    await stopAll();
    return 1;
  }
  onAllListening = undefined;
  io.stdout.write(
    `resultgate: serving ${o.policyFile} with ${o.workers} workers\n  https ${policy.server.https.host}:${ports!.https}\n` +
      (ports!.http ? `  http  ${policy.server.http?.host}:${ports!.http} (redirects to https)\n` : '') +
      (ports!.admin
        ? `  admin ${policy.server.admin?.host}:${ports!.admin} (/healthz /readyz /metrics, answered by any one worker)\n`
        : '') +
      `resultgate: workers ready (${o.workers})\n`,
  );

  // One validation, one audit line, then every worker reloads the same file.
  const reload = async () => {
    try {
      policy = await loadPolicyFile(file);
    } catch (err) {
      const issues =
        err instanceof PolicyError ? err.issues : [err instanceof Error ? err.message : String(err)];
      audit.write({ type: 'policy_reload_refused', tenant: '_gateway', file, reason: issues.join('; ') });
      io.stderr.write(
        `resultgate: policy reload refused, the old policy keeps serving:\n${issues.map((i) => `  ${i}`).join('\n')}\n`,
      );
      return;
    }
    audit.write({ type: 'policy_reload', tenant: '_gateway', file });
    for (const w of workers) tell(w, { rg: 'reload' });
    io.stdout.write(`resultgate: policy reloaded (${workers.size} workers)\n`);
  };
  const stopWatching = watchPolicy(file, () => void reload());
  const onHup = () => void reload();
  process.on('SIGHUP', onHup);
  await new Promise<void>((done) => {
    const stop = () => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      process.off('SIGHUP', onHup);
      stopWatching();
      io.stdout.write('resultgate: draining all workers…\n');
      void stopAll().then(done);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  io.stdout.write('resultgate: stopped\n');
  return 0;
}
