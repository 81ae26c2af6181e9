/**
 * The messages between the primary of `resultgate serve --workers` and its workers (Node's IPC
 * channel, JSON). Every message carries `rg` so nothing else on the channel is mistaken for one.
 */
import type { StateEvent } from '../state/index.js';
import type { AuditEvent } from '../types.js';

/** Worker → primary. */
export type WorkerMessage =
  /** An audit event: the primary owns the one audit writer, so each tenant keeps one chain. */
  | { rg: 'audit'; event: AuditEvent }
  /** A lockout, unlock or logout made here: the primary passes it to the other workers. */
  | { rg: 'state'; event: StateEvent }
  /** Listening (the ports are shared by every worker). */
  | { rg: 'listening'; https: number; http: number | null; admin: number | null }
  /** Outcome of a reload the primary asked for. */
  | { rg: 'reloaded'; error?: string }
  /** Drained and about to exit: every audit event of this worker was sent before this. */
  | { rg: 'drained' };

/** Primary → worker. */
export type PrimaryMessage =
  | { rg: 'reload' }
  | { rg: 'state'; event: StateEvent }
  /** Stop accepting, finish in-flight requests, exit. */
  | { rg: 'drain' };

/** True for a message of ours. */
export function isMessage<T extends { rg: string }>(m: unknown): m is T {
  return typeof m === 'object' && m !== null && typeof (m as { rg?: unknown }).rg === 'string';
}

/** The environment variable that tells a forked process it is a worker, and of which policy file. */
export const WORKER_ENV = 'RESULTGATE_WORKER_POLICY';
/** How many workers the primary runs: each shares every zone's `maxConcurrent` out (admission). */
export const WORKER_COUNT_ENV = 'RESULTGATE_WORKER_COUNT';
