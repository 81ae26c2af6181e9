/**
 * `--profile`: loads the fixed-work floor (`hono-work`) and the all-checks gateway once more, each
 * under `node --cpu-prof`, and ranks where the gateway's CPU goes — per request, next to the floor's
 * figure for the same module, so the difference is what the checks add (the standing target).
 */
import { join } from 'node:path';
import { launchFlags } from '../../packages/gateway/src/cli/launch-flags.js';
import type { HonoTargetConfig } from '../servers/hono-proxy.js';
import type { BenchOptions } from './args.js';
import { measure } from './load.js';
import { pinTarget } from './pin.js';
import { startNodeTarget } from './proc.js';
import { analyseProfile, type ProfileSummary } from './profile.js';
import { benchRequest, gatewayConfig } from './targets.js';

/** One profiled target. */
export interface ProfiledTarget {
  file: string;
  requests: number;
  rps: number;
  summary: ProfileSummary;
}

async function profileOne(
  script: 'gateway' | 'hono-proxy',
  config: unknown,
  o: BenchOptions,
  file: string,
): Promise<ProfiledTarget> {
  const [dir, name] = [join(file, '..'), file.slice(file.lastIndexOf('/') + 1)];
  const t = await startNodeTarget(script, config, {
    nodeArgs: [
      ...launchFlags(),
      ...o.nodeFlags,
      '--cpu-prof',
      '--cpu-prof-dir',
      dir,
      '--cpu-prof-name',
      name,
    ],
  });
  // Under --pin, on the targets' CPU as in the rounds.
  if (o.pin) pinTarget(t.pids());
  let run: Awaited<ReturnType<typeof measure>>;
  try {
    run = await measure(t.port, t.pids, benchRequest(), {
      connections: o.connections,
      pipelining: o.pipelining,
      durationS: Math.max(o.durationS, 5),
      warmupS: Math.max(o.warmupS, o.firstWarmupS), // a fresh process: V8 still compiling (args.ts)
    });
  } finally {
    await t.stop();
  }
  // Leave out start-up (module loading, policy compile) and the warm-up: rank the steady state.
  const summary = await analyseProfile(file, {
    skipMs: t.startupMs + Math.max(o.warmupS, o.firstWarmupS) * 1000,
    top: 25,
  });
  return { file, requests: run.requests, rps: run.rps, summary };
}

/** Profiles the floor and the all-checks gateway, one after the other. */
export async function profileTargets(
  o: BenchOptions,
  upstreamPort: number,
  scratch: string,
  resultsDir: string,
  stamp: string,
): Promise<{ gateway: ProfiledTarget; floor: ProfiledTarget }> {
  const upstream = `http://127.0.0.1:${upstreamPort}`;
  const floorConfig: HonoTargetConfig = {
    upstream,
    connections: 128,
    fixedWork: { dir: join(scratch, 'profile-floor') },
  };
  const floor = await profileOne(
    'hono-proxy',
    floorConfig,
    o,
    join(resultsDir, `hono-work-${stamp}.cpuprofile`),
  );
  const gateway = await profileOne(
    'gateway',
    gatewayConfig('gateway', o, upstream, join(scratch, 'profile')),
    o,
    join(resultsDir, `gateway-${stamp}.cpuprofile`),
  );
  return { gateway, floor };
}

/** The profile section of the report. */
export function profileReport({
  gateway,
  floor,
}: {
  gateway: ProfiledTarget;
  floor: ProfiledTarget;
}): string {
  const us = (ms: number, t: ProfiledTarget) =>
    ((ms * 1000) / Math.max(1, t.requests)).toFixed(1).padStart(6);
  const busy = (t: ProfiledTarget) => t.summary.totalMs - t.summary.idleMs;
  const lines = [
    `profile ${gateway.file}`,
    `  gateway: ${us(busy(gateway), gateway).trim()} µs of CPU per request; the floor, hono-work (${floor.file}): ${us(busy(floor), floor).trim()} µs`,
    '  self time by module, µs per request   gateway   floor',
  ];
  const floorModules = new Map(floor.summary.modules.map((m) => [m.name, m.ms]));
  const gatewayModules = new Map(gateway.summary.modules.map((m) => [m.name, m.ms]));
  const names = [
    ...new Set(
      [...gateway.summary.modules.slice(0, 18), ...floor.summary.modules.slice(0, 18)].map((m) => m.name),
    ),
  ];
  for (const name of names) {
    const g = gatewayModules.get(name);
    const f = floorModules.get(name);
    const cell = (ms: number | undefined, t: ProfiledTarget) => (ms === undefined ? '     -' : us(ms, t));
    lines.push(`    ${name.padEnd(36)} ${cell(g, gateway)}  ${cell(f, floor)}`);
  }
  lines.push('  gateway, self time by function (µs per request, share):');
  for (const f of gateway.summary.functions.slice(0, 15)) {
    lines.push(`    ${us(f.ms, gateway)}  ${(f.share * 100).toFixed(1).padStart(5)}%  ${f.name}`);
  }
  lines.push('  gateway functions, inclusive (synchronous part, with what they call):');
  for (const f of gateway.summary.gateway.slice(0, 15)) {
    lines.push(`    ${us(f.ms, gateway)}  ${(f.share * 100).toFixed(1).padStart(5)}%  ${f.name}`);
  }
  lines.push(
    '  (writev / writeLatin1String are socket writes: kernel time, inflated when the reader on the',
    '   same core preempts the writer; compare them between targets, not in absolute terms)',
  );
  return lines.join('\n');
}
