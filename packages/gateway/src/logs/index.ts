/**
 * Logs (docs/architecture.md §6): per-tenant access and audit logs, the audit hash chain and its verifier,
 * retention, export and the tenant admin's `/.gateway/logs` route.
 */
export { AccessLogWriter, type AccessLogWriterOptions, accessLine } from './access-sink.js';
export { AuditLogWriter, type AuditLogWriterOptions } from './audit-sink.js';
export { canonicalJson, chainHash, GENESIS } from './chain.js';
export { CSV_COLUMNS, csvHeader, csvRow, type ExportRange, exportLines, parseRange } from './export.js';
export {
  GATEWAY_TENANT,
  isTenantDirName,
  type LogKind,
  listLogFiles,
  listTenantDirs,
  logFile,
} from './files.js';
export { LOST_LINES_METRIC, LogHealth, logLinesLostCounter } from './health.js';
export { accessLog, decisionOf } from './middleware.js';
export { type Logs, type LogsOptions, type LogsRuntime, openLogs } from './open.js';
export { retentionCutoff, sweepRetention } from './retention.js';
export { type LogsRouteOptions, logsRoute } from './route.js';
export {
  type ChainFile,
  checkChain,
  type TenantVerdict,
  type VerifyResult,
  verifyAuditDir,
  verifyTenantDir,
} from './verify.js';
