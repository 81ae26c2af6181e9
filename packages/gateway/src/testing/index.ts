/**
 * `@resultgate/gateway/testing`: what tests and the benchmark need beyond the public entry — deps
 * that keep records in memory, a request through Node's HTTP server without a port, the
 * per-request state, and the modules the end-to-end tests and the bench drive directly. Not for
 * production code: nothing under `src/` outside this folder imports it (docs/architecture.md §2).
 */

export { admissionRooms, ROOM_DEFAULTS, Room, roomKey, TicketSigner } from '../admission/index.js';
export { memoryDeps } from '../create-deps.js';
export { AccessLogWriter } from '../logs/access-sink.js';
export { chainHash } from '../logs/chain.js';
export { LogHealth } from '../logs/health.js';
export { type Logs, openLogs } from '../logs/open.js';
export { logsRoute } from '../logs/route.js';
export { rq } from '../request-state.js';
export { type FetchApp, type NodeRequestInit, nodeRequest, type Peer } from './node-request.js';
