/**
 * The upstream connection pools (undici, keep-alive). Kept in the deps, keyed by origin and pool
 * settings, so a policy reload that leaves the upstream alone reuses the warm connections.
 */
import { Pool } from 'undici';
import { type GatewayDeps, moduleState } from '../deps.js';
import type { Policy } from '../policy/schema.js';

type UpstreamConfig = Policy['server']['upstream'];

function pools(deps: GatewayDeps): Map<string, Pool> {
  return moduleState(deps, 'proxy.pools', () => new Map<string, Pool>());
}

/**
 * Returns the pool for an upstream origin, creating it on first use.
 * @example const pool = upstreamPool(deps, 'http://127.0.0.1:3000', policy.server.upstream)
 */
export function upstreamPool(deps: GatewayDeps, origin: string, config: UpstreamConfig): Pool {
  const key = `${origin}|${config.connections}|${config.connectTimeout}|${config.timeout}`;
  const all = pools(deps);
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

/** Closes every upstream pool of these deps (at shutdown, after the listeners drained). */
export async function closeUpstreamPools(deps: GatewayDeps): Promise<void> {
  const all = pools(deps);
  await Promise.all([...all.values()].map((p) => p.close().catch(() => p.destroy())));
  all.clear();
}
