/**
 * Types shared by the gateway's modules: the Hono environment every middleware sees, and the
 * sinks through which modules emit access and audit records (implemented by `logs/`).
 */
import type { HttpBindings } from '@hono/node-server';
import type { RequestState } from './request-state.js';

/** The identity established by authentication (Basic, session or `authBypass`). */
export interface GatewayUser {
  name: string;
  roles: readonly string[];
  /** How the identity was established. */
  via: 'basic' | 'session' | 'bypass';
}

/**
 * The Hono context variables of the gateway: one, the per-request state (see `rq` in
 * request-state.ts — steps never set variables of their own).
 */
export interface GatewayVariables {
  state: RequestState;
}

/** The Hono environment of the gateway app. */
export interface GatewayEnv {
  Bindings: HttpBindings;
  Variables: GatewayVariables;
}

/** Security events written to the tenant's tamper-evident audit log (docs/architecture.md §6). */
export type AuditEventType =
  | 'auth_failure'
  | 'lockout'
  | 'login'
  | 'logout'
  | 'session_expired'
  | 'policy_reload'
  | 'policy_reload_refused'
  | 'user_added'
  | 'user_removed'
  | 'unlock'
  | 'user_password_changed'
  | 'password_upgraded'
  | 'tenant_purged';

/** One audit event; the audit log adds `ts`, `seq`, `prev` and `hash`. Never a password. */
export interface AuditEvent {
  type: AuditEventType;
  /** Tenant id, or `_gateway` for events without one. */
  tenant: string;
  reqId?: string;
  ip?: string;
  user?: string;
  zone?: string;
  reason?: string;
  [field: string]: unknown;
}

/** Where modules send audit events. Must not block: implementations queue and write later. */
export interface AuditSink {
  write(event: AuditEvent): void;
}

/** One access-log line, exactly the fields of docs/architecture.md §6. */
export interface AccessRecord {
  ts: string;
  reqId: string;
  tenant: string;
  zone: string | null;
  ip: string;
  method: string;
  path: string;
  status: number;
  bytes: number;
  ms: number;
  upstreamMs: number | null;
  user: string | null;
  decision: string;
  ua: string | null;
}

/** Where the pipeline sends access records. Must not block. */
export interface AccessLogSink {
  write(record: AccessRecord): void;
  /** False while writes are failing; with `logs.failClosed` the gateway then answers 503. */
  readonly healthy: boolean;
}
