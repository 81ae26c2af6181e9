/**
 * What outlives one policy load: clocks, secrets, sinks and stores. `createGateway` is called
 * again on every reload with the same deps, so lockouts, revocations and log chains survive a
 * reload while everything compiled from the policy (matchers, credential cache) is rebuilt.
 */
import type { AccessLogSink, AuditSink } from './types.js';

/** Long-lived dependencies of the pipeline. Tests inject their own. */
export interface GatewayDeps {
  /** The clock, in milliseconds. Injected so idle timeouts and lockouts test without sleeping. */
  now(): number;
  /** Key of `X-Gateway-Signature` (`identity.secretFile`). */
  identitySecret: Uint8Array;
  /** Session signing keys, newest first: the first signs, all verify (`sessions.secretFile`). */
  sessionKeys: Uint8Array[];
  audit: AuditSink;
  accessLog: AccessLogSink;
  /**
   * How many gateway processes on this machine serve the policy (`serve --workers N`); each zone's
   * `maxConcurrent` and `maxQueue` are shared out among them (admission/index.ts). @default 1
   */
  workers?: number;
  /** Module-owned long-lived state (lockout counters, revoked sessions…), keyed by module. */
  state: Map<string, unknown>;
}

/** Returns the module's long-lived state, creating it on first use (survives policy reloads). */
export function moduleState<T>(deps: GatewayDeps, key: string, create: () => T): T {
  let value = deps.state.get(key) as T | undefined;
  if (value === undefined) {
    value = create();
    deps.state.set(key, value);
  }
  return value;
}

/** Deps for tests and embedding: a fixed or given clock, random secrets, sinks that keep records. */
export function memoryDeps(overrides: Partial<GatewayDeps> = {}): GatewayDeps & {
  auditEvents: Parameters<AuditSink['write']>[0][];
  accessRecords: Parameters<AccessLogSink['write']>[0][];
} {
  const auditEvents: Parameters<AuditSink['write']>[0][] = [];
  const accessRecords: Parameters<AccessLogSink['write']>[0][] = [];
  return {
    now: () => Date.now(),
    identitySecret: crypto.getRandomValues(new Uint8Array(32)),
    sessionKeys: [crypto.getRandomValues(new Uint8Array(32))],
    audit: { write: (e) => auditEvents.push(e) },
    accessLog: { write: (r) => accessRecords.push(r), healthy: true },
    state: new Map(),
    auditEvents,
    accessRecords,
    ...overrides,
  };
}
