/**
 * The public entry of `@resultgate/gateway`: what an embedder needs — build the pipeline
 * (`createGateway`) or run it with its listeners (`startGateway`), load a policy, the errors and
 * the types. The upstream's check of the signed identity is `@resultgate/gateway/identity`; what
 * tests and the benchmark need besides is `@resultgate/gateway/testing`.
 */
export { createGateway, type GatewayOptions } from './app.js';
export { hashPassword } from './credentials/password.js';
export type { GatewayDeps } from './deps.js';
export { ERROR_CODES, type ErrorCode, GatewayError, isGatewayError } from './errors.js';
// The key files (`identity.secretFile`, `sessions.secretFile`) read as the gateway reads them: an
// upstream checking the identity needs the same key.
export { readKeyFile } from './ops/secrets.js';
export { loadPolicyFile as loadPolicy, PolicyError, parsePolicy } from './policy/load.js';
export type { Policy, PolicyInput, Tenant, User, Zone } from './policy/schema.js';
// What a `reserved` handler (startGateway's option) reads of its request: `c.var.state`.
export type { RequestState } from './request-state.js';
export { type RunningGateway, type StartGatewayOptions, startGateway } from './server.js';
export type { AccessRecord, AuditEvent, AuditSink, GatewayEnv, GatewayUser } from './types.js';
