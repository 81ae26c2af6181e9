/**
 * The upstream connection pools (undici, keep-alive). Kept in the deps (`deps.upstreamPools`),
 * keyed by origin and pool settings, so a policy reload that leaves the upstream alone reuses the
 * warm connections; `closeDeps()` closes them at shutdown.
 */
import { Pool } from 'undici';
import type { GatewayDeps } from '../deps.js';
import type { Policy } from '../policy/schema.js';

type UpstreamConfig = Policy['server']['upstream'];

/**
 * Returns the pool for an upstream origin, creating it on first use.
 * @example const pool = upstreamPool(deps, 'http://127.0.0.1:3000', policy.server.upstream)
 */
export function upstreamPool(deps: GatewayDeps, origin: string, config: UpstreamConfig): Pool {
  const key = `${origin}|${config.connections}|${config.connectTimeout}|${config.timeout}`;
  const all = deps.upstreamPools;
  let pool = all.get(key);
  if (!pool) {
    pool = new Pool(origin, {
      connections: config.connections,
      // An unreachable upstream must turn into 502 quickly: within a second by default.
      connect: { timeout: config.connectTimeout },
      headersTimeout: config.timeout,
      bodyTimeout: config.timeout,
    });
    all.set(key, pool);
  }
  return pool;
}
