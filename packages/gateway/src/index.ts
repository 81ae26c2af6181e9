export { createGateway, type GatewayOptions } from './app.js';
export { type GatewayDeps, memoryDeps } from './deps.js';
export { ERROR_CODES, type ErrorCode, GatewayError, isGatewayError } from './errors.js';
export { type Identity, identityHeaders, signIdentity, verifyIdentity } from './proxy/identity.js';
export type { Policy, PolicyInput, Tenant, User, Zone } from './policy/schema.js';
export type { AccessRecord, AuditEvent, AuditSink, GatewayEnv, GatewayUser } from './types.js';
