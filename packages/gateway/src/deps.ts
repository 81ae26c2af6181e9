/**
 * What outlives one policy load: clocks, secrets, sinks and the long-lived state. `createGateway`
 * is called again on every reload with the same deps, so lockouts, revocations, log chains,
 * metrics, upstream pools and admission queues survive a reload while everything compiled from
 * the policy (matchers, credential cache) is rebuilt.
 *
 * This module only says what the deps are: every field is typed here, and the state that belongs
 * to a step is described by the small interface the rest of the gateway reads. They are made in
 * one place, `createDeps()` / `memoryDeps()` (create-deps.ts), and closed by `closeDeps()`.
 */
import type { Registry } from 'prom-client';
import type { Pool } from 'undici';
import type { Policy } from './policy/schema.js';
import type { SecurityState } from './state/index.js';
import type { AccessLogSink, AuditEvent, AuditSink } from './types.js';

/** What is given from outside: the clock, the secrets, the sinks, the number of workers. */
export interface DepsInput {
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
}

/** Long-lived dependencies of the pipeline: the inputs, and the state kept across reloads. */
export interface GatewayDeps extends DepsInput {
  /** Prometheus metrics (ops/metrics.ts): the per-request numbers, the event counters, `/metrics`. */
  readonly metrics: GatewayMetrics;
  /** Lockouts, failure windows, ended sessions (state/): memory, node:sqlite, optionally Redis. */
  readonly security: SecurityState;
  /**
   * The upstream connection pools (proxy/pool.ts), by origin and pool settings, so a reload that
   * leaves the upstream alone reuses the warm connections. Closed by `closeDeps()`.
   */
  readonly upstreamPools: Map<string, Pool>;
  /** Upstream requests in flight per client address key (proxy/client-slots.ts). */
  readonly clientSlots: Map<string, number>;
  /**
   * The admission rooms of the policy load now serving, by tenant and zone (`roomKey`); each
   * load's admission step takes the previous rooms' limiters over and puts its own here.
   */
  admissionRooms: ReadonlyMap<string, AdmissionRoom>;
  /** The tails of the per-key credential check queue (credentials/queue.ts), shared by every load. */
  readonly credentialQueue: Map<string, Promise<void>>;
  /** Told of every successful password check (`credentialHooks.onVerified.push(fn)`). */
  readonly credentialHooks: CredentialHooks;
  /** Legacy hashes replaced by scrypt at sign-in (credentials/upgrade.ts). */
  readonly passwordUpgrades: PasswordUpgrades;
  /**
   * The HTTPS port actually bound (a policy's port 0 means any), set by `startGateway` once it
   * listens: the port of the plain listener's redirects. Undefined: the policy's port.
   */
  httpsPort: number | undefined;
}

/** A zone's admission room as /metrics and the tests see it (admission/room.ts is the whole of it). */
export interface AdmissionRoom {
  readonly config: { readonly tenantId: string; readonly zoneName: string };
  /** The zone's limiter; absent for a zone with `opensAt` only. */
  readonly limiter?: { readonly active: number; readonly queued: number } | undefined;
}

/**
 * Told of every successful password check (the user, the password typed and the hash it matched),
 * e.g. to re-hash a legacy hash on login. Runs inside the user's queue, before the answer; it must
 * not throw, and must never log the password.
 */
export type VerifiedHook = (event: {
  tenantId: string;
  user: string;
  password: string;
  passwordHash: string;
}) => void | Promise<void>;

/** Long-lived credential hooks (`deps.credentialHooks.onVerified.push(fn)`). */
export interface CredentialHooks {
  onVerified: VerifiedHook[];
}

/** Where password upgrades are written, set by `startGateway` when it runs from a policy file. */
export interface UpgradeTarget {
  file: string;
  /** Swaps the edited policy in, so the next request already sees the scrypt hash. */
  reload(): Promise<void>;
}

/** The state of the legacy-hash upgrades (credentials/upgrade.ts). */
export interface PasswordUpgrades {
  target: UpgradeTarget | undefined;
  /** The scrypt hash each upgraded user got (tenant \0 user), so a session opened by that very sign-in binds to it. */
  upgraded: Map<string, string>;
  /** Upgrades under way, by tenant \0 user: a burst of first requests writes once. */
  running: Map<string, Promise<string | undefined>>;
}

/** How an upstream request failed (the `kind` label of `resultgate_upstream_errors_total`). */
export type UpstreamErrorKind = 'timeout' | 'connect' | 'reset' | 'other';

/** What the scrape-time gauges read from the running gateway; replaced on every policy load. */
export interface GatewayProbe {
  /** Requests waiting in each limited zone's admission queue. */
  admissionQueues(): { tenant: string; zone: string; queued: number }[];
  /** Each tenant's next maintenance window start (ms) and whether one is on now. */
  maintenance(now: number): { tenant: string; nextStart: number | undefined; active: boolean }[];
  /** Session maxAge (ms): a sign-in older than this has surely ended. */
  sessionMaxAge: number;
  now(): number;
}

/** The event-side metrics of one gateway (ops/metrics-events.ts). */
export interface EventMetrics {
  /** Counts what an audit event says (logins, failures, lockouts, reloads, sessions). */
  audit(event: AuditEvent): void;
  /** A Basic-auth credential check that ran the password hash and passed (not a cache hit). */
  basicLogin(tenant: string): void;
  upstreamError(tenant: string, kind: UpstreamErrorKind): void;
  /** The HTTPS certificate's notAfter, in ms. */
  certificateExpiry(notAfterMs: number): void;
  /** Sets what the scrape-time gauges read (the newest policy load's). */
  probe(probe: GatewayProbe): void;
}

/** The gateway's metrics (ops/metrics.ts). */
export interface GatewayMetrics extends EventMetrics {
  registry: Registry;
  /**
   * Counts one answered request and observes its duration (one call per request).
   * @param zone the matched zone's name, or `NO_ZONE` (ops/metrics.ts)
   */
  request(status: number, decision: string, tenant: string, zone: string, seconds: number): void;
  /** Records the time the upstream took to answer with headers. */
  upstream(tenant: string, seconds: number): void;
}

/**
 * What every step's factory is built from: one policy load and the deps that outlive it. It lives
 * here, beside the deps, so the steps, the pages and the logs need nothing of the runner
 * (pipeline.ts) that composes them.
 */
export interface PipelineContext {
  policy: Policy;
  deps: GatewayDeps;
}
