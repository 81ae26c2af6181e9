/**
 * The one place the long-lived deps are made (`createDeps`; `openDeps` for a running gateway,
 * `memoryDeps` for tests and embedding) and closed (`closeDeps`, or what `openDeps` returns). Every field of `GatewayDeps` (deps.ts) is created here, so
 * a step reads its pools, limiters or metrics from a typed field rather than making them itself.
 */
import type { DepsInput, GatewayDeps } from './deps.js';
import { type Logs, openLogs } from './logs/open.js';
import { createMetrics } from './ops/metrics.js';
import { readKeyFile } from './ops/secrets.js';
import type { Policy } from './policy/schema.js';
import { SecurityState, stateDir } from './state/index.js';
import type { AccessLogSink, AuditSink } from './types.js';

/** The parts of {@link createDeps}' result a caller may give; the rest is made new. */
export type DepsOverrides = Partial<GatewayDeps>;

/**
 * Makes the long-lived deps from their inputs. Give `security` to use a state opened elsewhere
 * (`startGateway` opens it on the state directory); without it, one is made in memory on first use.
 * @example const deps = createDeps({ now: Date.now, identitySecret, sessionKeys, audit, accessLog })
 */
export function createDeps(input: DepsInput & DepsOverrides): GatewayDeps {
  let security = input.security;
  const deps: GatewayDeps = {
    metrics: createMetrics(),
    upstreamPools: new Map(),
    clientSlots: new Map(),
    admissionRooms: new Map(),
    credentialQueue: new Map(),
    credentialHooks: { onVerified: [] },
    passwordUpgrades: { target: undefined, upgraded: new Map(), running: new Map() },
    httpsPort: undefined,
    ...input,
    // In memory, made when first read: a unit test that never checks a password opens no store.
    get security(): SecurityState {
      security ??= new SecurityState({ now: () => deps.now() });
      return security;
    },
  };
  return deps;
}

/**
 * Closes what the deps hold open: the upstream pools (after the listeners drained). The security
 * state and the log files are closed by whoever opened them.
 */
export async function closeDeps(deps: GatewayDeps): Promise<void> {
  const pools = deps.upstreamPools;
  await Promise.all([...pools.values()].map((p) => p.close().catch(() => p.destroy())));
  pools.clear();
}

/** The deps of a running gateway and what was opened for them. */
export interface OpenedDeps {
  deps: GatewayDeps;
  /** The log files opened from `policy.logs` (absent when `given` had both sinks). */
  logs: Logs | undefined;
  /** Closes the pools, then the log files (every queued line written) and the state opened here. */
  close(): Promise<void>;
}

const noop = { write() {} };

/**
 * The deps `startGateway` runs on, each part unless `given` has it: the secrets from the policy's
 * key files, the log files of `policy.logs`, the security state in the state directory (and, with
 * `sharedState.redis`, Redis). Sign-ins, failures, lockouts and reloads are counted from the audit
 * events as they are written. The directories are read once: moving one needs a restart.
 * @throws an `Error` when a key file or the state directory is unusable
 * @example const { deps, close } = await openDeps(policy); … await close();
 */
export async function openDeps(policy: Policy, given: DepsOverrides = {}): Promise<OpenedDeps> {
  const identitySecret = given.identitySecret ?? (await readKeyFile(policy.identity.secretFile))[0]!;
  const sessionKeys = given.sessionKeys ?? (await readKeyFile(policy.sessions.secretFile));
  // Lockouts, failure windows and logouts: on disk (a restart keeps them), shared with the fleet
  // through Redis when configured.
  const ownState = given.security
    ? undefined
    : new SecurityState({
        dir: stateDir(policy),
        redis: policy.sharedState?.redis,
        now: given.now ?? Date.now,
      });
  const deps = createDeps({
    now: Date.now,
    identitySecret,
    sessionKeys,
    audit: noop,
    accessLog: { write() {}, healthy: true },
    ...(ownState && { security: ownState }),
    ...given,
  });
  const metrics = deps.metrics;
  // The log files, unless the caller supplied both sinks (tests that read lines in memory).
  let logs: Logs | undefined;
  try {
    logs =
      given.accessLog && given.audit
        ? undefined
        : await openLogs(policy.logs, { now: deps.now, registry: metrics.registry });
  } catch (err) {
    await ownState?.close();
    throw err;
  }
  if (logs) {
    if (!given.accessLog) deps.accessLog = logs.accessLog;
    if (!given.audit) deps.audit = logs.audit;
  }
  deps.security.registerMetrics(metrics.registry);
  const auditSink = deps.audit;
  deps.audit = {
    write(event) {
      metrics.audit(event);
      auditSink.write(event);
    },
  };
  return {
    deps,
    logs,
    close: async () => {
      await closeDeps(deps);
      await logs?.close();
      await ownState?.close();
    },
  };
}

/** Deps for tests and embedding: a fixed or given clock, random secrets, sinks that keep records. */
export function memoryDeps(overrides: DepsOverrides = {}): GatewayDeps & {
  auditEvents: Parameters<AuditSink['write']>[0][];
  accessRecords: Parameters<AccessLogSink['write']>[0][];
} {
  const auditEvents: Parameters<AuditSink['write']>[0][] = [];
  const accessRecords: Parameters<AccessLogSink['write']>[0][] = [];
  const deps = createDeps({
    now: () => Date.now(),
    identitySecret: crypto.getRandomValues(new Uint8Array(32)),
    sessionKeys: [crypto.getRandomValues(new Uint8Array(32))],
    audit: { write: (e) => auditEvents.push(e) },
    accessLog: { write: (r) => accessRecords.push(r), healthy: true },
    ...overrides,
  });
  return Object.assign(deps, { auditEvents, accessRecords });
}
