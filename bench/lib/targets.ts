/**
 * Starts the targets a run asks for, one process each, and the request each one receives. Every
 * target gets the same request bytes (Host, Basic credentials, X-Forwarded-For/Proto) so that only
 * what a front end does with them differs.
 */
import { join } from 'node:path';
import { launchFlags } from '../../packages/gateway/src/cli/launch-flags.js';
import type { GatewayTargetConfig } from '../servers/gateway.js';
import type { HonoTargetConfig } from '../servers/hono-proxy.js';
import { BENCH_PATH, BENCH_USER, CLIENT_IP, tenantHost } from '../servers/policy.js';
import type { BenchOptions, TargetName } from './args.js';
import type { BenchRequest } from './load.js';
import { findNginx, startNginx } from './nginx.js';
import { type RunningTarget, startNodeTarget } from './proc.js';

/** A started target and what to send it. */
export interface Target {
  name: TargetName;
  running: RunningTarget;
  request: BenchRequest;
}

/** The request of every target; `tenant` picks the Host (the 10k-tenant gateway gets a middle one). */
export function benchRequest(tenant = 0): BenchRequest {
  const credentials = Buffer.from(`${BENCH_USER.name}:${BENCH_USER.password}`).toString('base64');
  return {
    path: BENCH_PATH,
    headers: {
      host: tenantHost(tenant),
      authorization: `Basic ${credentials}`,
      accept: 'application/json',
      'x-forwarded-for': CLIENT_IP,
      'x-forwarded-proto': 'https',
    },
  };
}

/** The gateway target's configuration for `name`. */
export function gatewayConfig(
  name: TargetName,
  o: BenchOptions,
  upstream: string,
  dir: string,
): GatewayTargetConfig {
  if (name === 'gateway-open') return { mode: 'none', tenants: 1, upstream, dir, accessLog: false };
  if (name === 'gateway-nolog') return { mode: 'all', tenants: 1, upstream, dir, accessLog: false };
  if (name === 'gateway-10k') return { mode: 'all', tenants: o.tenants, upstream, dir, accessLog: true };
  if (name === 'gateway-workers')
    return { mode: 'all', tenants: 1, upstream, dir, accessLog: true, workers: o.workers };
  return { mode: 'all', tenants: 1, upstream, dir, accessLog: true };
}

/**
 * Starts the upstream (always: the proxies need it) and every requested target.
 * @returns the targets in table order, and why any were skipped
 */
export async function startTargets(
  o: BenchOptions,
  scratch: string,
  /** Runs every target but the upstream under this command (the instruction counts: valgrind). */
  wrapper: string[] = [],
): Promise<{ upstream: RunningTarget; targets: Target[]; skipped: Record<string, string> }> {
  const nodeArgs = o.nodeFlags;
  // Every proxy runs with the Node flags the gateway ships with (the CLI's shebang, the Dockerfile:
  // a 16 MB young generation): with V8's default (up to 64 MB here) the floors would scavenge a
  // quarter as often as the gateway, and the ratios would price the GC setting, not the checks.
  const proxyArgs = [...launchFlags(), ...nodeArgs];
  // Under valgrind a start-up takes minutes on a busy machine.
  const timeoutMs = wrapper.length > 0 ? 600_000 : 120_000;
  const upstream = await startNodeTarget('upstream', {}, { nodeArgs });
  const upstreamUrl = `http://127.0.0.1:${upstream.port}`;
  const targets: Target[] = [];
  const skipped: Record<string, string> = {};
  for (const name of o.only) {
    try {
      let running: RunningTarget;
      if (name === 'upstream') running = upstream;
      else if (name === 'bare') {
        running = await startNodeTarget(
          'bare-proxy',
          { upstream: upstreamUrl, connections: 128 },
          { nodeArgs: proxyArgs, wrapper, timeoutMs },
        );
      } else if (name === 'hono' || name === 'hono-work') {
        const config: HonoTargetConfig = { upstream: upstreamUrl, connections: 128 };
        if (name === 'hono-work') config.fixedWork = { dir: join(scratch, name) };
        running = await startNodeTarget('hono-proxy', config, { nodeArgs: proxyArgs, wrapper, timeoutMs });
      } else if (name === 'nginx' || name === 'nginx-1') {
        const bin = findNginx();
        if (!bin) {
          skipped[name] = 'nginx is not installed (command -v nginx)';
          continue;
        }
        running = await startNginx(bin, join(scratch, name), upstream.port, name === 'nginx-1' ? 1 : 'auto');
      } else {
        const config = gatewayConfig(name, o, upstreamUrl, join(scratch, name));
        running = await startNodeTarget('gateway', config, {
          nodeArgs: [...proxyArgs, '--expose-gc'],
          timeoutMs,
          wrapper,
          // --workers: the primary and its workers, CPU and RSS summed over all of them.
          withChildren: name === 'gateway-workers',
        });
      }
      const tenant = name === 'gateway-10k' ? o.tenants >> 1 : 0;
      targets.push({ name, running, request: benchRequest(tenant) });
    } catch (err) {
      // One target that cannot start (say, a gateway module mid-rewrite) must not sink the others.
      skipped[name] = `did not start: ${(err as Error).message}`;
    }
  }
  return { upstream, targets, skipped };
}
