/**
 * Types shared by the gateway's modules: the Hono environment every middleware sees (defined
 * beside the request state), and the sinks through which modules emit access and audit records
 * (implemented by `logs/`).
 */

// The Hono environment and the user live beside the per-request state they describe
// (request-state.ts); re-exported here, where the other shared types are.
export type { GatewayEnv, GatewayUser, GatewayVariables } from './request-state.js';

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
