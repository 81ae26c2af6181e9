export { createGateway, type GatewayOptions } from './app.js';
export { type GatewayDeps, memoryDeps } from './deps.js';
export {
  type AuthAttempt,
  type AuthOutcome,
  type CredentialHooks,
  credentialHooks,
  credentials,
  hashPassword,
  type VerifiedHook,
  verifyPassword,
} from './credentials/index.js';
export { ERROR_CODES, type ErrorCode, GatewayError, isGatewayError } from './errors.js';
export { readKeyFile } from './ops/secrets.js';
export { escapeHtml, type Lang, pickLang, renderPage } from './pages/layout.js';
export { type Logs, type LogsOptions, logsRoute, openLogs, verifyAuditDir } from './logs/index.js';
export { loadPolicyFile as loadPolicy, PolicyError, parsePolicy } from './policy/load.js';
export type { Policy, PolicyInput, Tenant, User, Zone } from './policy/schema.js';
export {
  type Identity,
  identityHeaders,
  type SignedRequest,
  signIdentity,
  type VerifyIdentityOptions,
  verifyIdentity,
} from './proxy/identity.js';
// What a `reserved` handler (startGateway's option) reads of its request: rq(c).user, tenantId…
export { type RequestState, rq } from './request-state.js';
export { type RunningGateway, type StartGatewayOptions, startGateway } from './server.js';
// The security state (lockouts, logouts; node:sqlite, Redis) other modules may share.
export { SecurityState, type StateEvent, securityState, stateDir } from './state/index.js';
export type { AccessRecord, AuditEvent, AuditSink, GatewayEnv, GatewayUser } from './types.js';
