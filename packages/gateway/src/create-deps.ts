/**
 * The one place the long-lived deps are made (`createDeps`, and `memoryDeps` for tests and
 * embedding) and closed (`closeDeps`). Every field of `GatewayDeps` (deps.ts) is created here, so
 * a step reads its pools, limiters or metrics from a typed field rather than making them itself.
 */
import type { GatewayDeps, DepsInput } from './deps.js';
import { createMetrics } from './ops/metrics.js';
import { SecurityState } from './state/index.js';
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
