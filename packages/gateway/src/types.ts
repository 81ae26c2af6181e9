/**
 * Types shared by the gateway's modules: the Hono environment every middleware sees, and the
 * sinks through which modules emit access and audit records (implemented by `logs/`).
 */
import type { HttpBindings } from '@hono/node-server';
import type { Tenant, Zone } from './policy/schema.js';

/** The identity established by authentication (Basic, session or `authBypass`). */
export interface GatewayUser {
  name: string;
  roles: readonly string[];
  /** How the identity was established. */
  via: 'basic' | 'session' | 'bypass';
}

/** Per-request variables, set by the pipeline in order (DESIGN §4). */
export interface GatewayVariables {
  requestId: string;
  /** Start of the request, from `deps.now()`. */
  startedAt: number;
  /** The client address the decisions use (IPv4-mapped IPv6 already unmapped). */
  clientIp: string;
  /** True when the request came over TLS (directly, or from a trusted TLS-terminating proxy). */
  secure: boolean;
  tenantId?: string;
  tenant?: Tenant;
  zone?: Zone;
  /** The normalised path: what zones match and what the upstream receives. */
  path?: string;
  /** The original query string including `?`, or ''. */
  search?: string;
  user?: GatewayUser;
  /** Time the upstream took to answer with headers, for the access log. */
  upstreamMs?: number;
  /** Response body bytes sent by the proxy's fast path, for the access log. */
  bytesSent?: number;
  /** The error code that denied the request (set by the error handler); absent when allowed. */
  decision?: string;
}

/** The Hono environment of the gateway app. */
export interface GatewayEnv {
  Bindings: HttpBindings;
  Variables: GatewayVariables;
}

/** Security events written to the tenant's tamper-evident audit log (DESIGN §6). */
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

/** One access-log line, exactly the fields of DESIGN §6. */
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
