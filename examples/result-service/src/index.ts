/** @resultgate/example-result-service — the reference result service behind the gateway. */
export { createResultApp, type ResultApp } from './app.js';
export { API_ERRORS, ApiError, type ApiErrorCode, type ValidationIssue } from './errors.js';
export { fileOutbox, type Mailer, type Notification, smtpMailer, webhookNotifier } from './notify/mailer.js';
export { signWebhook, WEBHOOK_RETRY_MS, type WebhookTarget } from './notify/webhooks.js';
export { openApiDocument } from './openapi.js';
export type { TickReport } from './scheduler.js';
export { RESULT_STATUSES, type ResultInput, type ResultResource, type ResultStatus } from './schema.js';
export { type DemoCredential, seedDemo } from './seed.js';
export { type ResultServiceOptions, type RunningResultService, startResultService } from './service.js';
export type { Localized, TenantProfileInput } from './tenants.js';
export type { ResultAppOptions } from './types.js';
