/**
 * The gateway's own pages on every tenant host, under `/.gateway/` (DESIGN §5). They pass the
 * tenant-level checks (TLS, tenant, maintenance bypass rules, tenant IP allow-list) but belong to
 * no zone. Each module contributes its handlers; app.ts mounts them in one place.
 */
import type { Handler } from 'hono';
import type { GatewayEnv } from './types.js';

/** Reserved path → handler (any method; the handler answers 405 itself where needed). */
export type ReservedRoutes = Record<string, Handler<GatewayEnv>>;

/** Every reserved path starts with this prefix; no zone ever matches it. */
export const RESERVED_PREFIX = '/.gateway/';
