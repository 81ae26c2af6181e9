/**
 * Reads a V8 `.cpuprofile` (from `node --cpu-prof`) and ranks functions by self time — where the
 * process actually spent its CPU — and groups the same by module (gateway folder or npm package).
 */
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** One row of the ranking. */
export interface SelfTime {
  name: string;
  ms: number;
  /** Share of the non-idle time. */
  share: number;
}

/** Where a script URL belongs: `gateway/<folder>`, an npm package, `node:<module>` or the URL. */
export function moduleOf(url: string): string {
  if (url === '') return '(native)';
  if (url.startsWith('node:')) return url;
  const gw = /packages\/gateway\/src\/([^/]+)/.exec(url);
  if (gw) return `gateway/${gw[1]!.replace(/\.ts$/, '')}`;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/g;
  let last: string | undefined;
  for (let m = pkg.exec(url); m; m = pkg.exec(url)) last = m[1];
  if (last) return last;
  return url.replace(/^file:\/\/.*\/(?=[^/]+\/[^/]+$)/, '');
}

/** A script URL as a short path (`packages/…`, `node_modules/…`, `bench/…`). */
export function shortUrl(url: string): string {
  return url.replace(/^file:\/\/.*?\/(node_modules|packages|bench)\//, '$1/');
}

/**
 * Points every frame of a bundled target (bench/.build/*.mjs) back at its source file and line,
 * through the bundle's source map, so that modules and functions are ranked by where they live.
 */
export function toSourceFrames(nodes: readonly { callFrame: ProfileNode['callFrame'] }[]): void {
  const maps = new Map<string, SourceMap | undefined>();
  for (const { callFrame: frame } of nodes) {
    if (!frame.url.startsWith('file://')) continue;
    if (!maps.has(frame.url)) {
      const mapFile = `${fileURLToPath(frame.url)}.map`;
      maps.set(
        frame.url,
        existsSync(mapFile) ? new SourceMap(JSON.parse(readFileSync(mapFile, 'utf8'))) : undefined,
      );
    }
    const entry = maps.get(frame.url)?.findEntry(frame.lineNumber, frame.columnNumber);
    if (!entry || !('originalSource' in entry)) continue;
    // Sources are listed relative to the bundle (esbuild's default).
    frame.url = new URL(entry.originalSource, frame.url).href;
    frame.lineNumber = entry.originalLine;
    frame.columnNumber = entry.originalColumn;
  }
}

/** The ranking of one profile. */
export interface ProfileSummary {
  totalMs: number;
  idleMs: number;
  /** Self time by function. */
  functions: SelfTime[];
  /** Self time by module (gateway folder, npm package, node: module). */
  modules: SelfTime[];
  /** Inclusive time of the gateway's own functions (a middleware with all it calls). */
  gateway: SelfTime[];
}

/**
 * Ranks functions and modules by self time, and the gateway's functions by inclusive time.
 * @param skipMs ignore this much at the start (process start-up and module loading)
 * @param top rows per list
 */
export async function analyseProfile(file: string, { skipMs = 0, top = 15 } = {}): Promise<ProfileSummary> {
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  toSourceFrames(profile.nodes);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const label = (n: ProfileNode) => {
    const { functionName, url, lineNumber } = n.callFrame;
    return `${functionName || '(anonymous)'}${url ? ` ${shortUrl(url)}:${lineNumber + 1}` : ''}`;
  };
  const functions = new Map<string, number>();
  const modules = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let totalUs = 0;
  let idleUs = 0;
  let elapsedUs = 0;
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    elapsedUs += us;
    if (elapsedUs < skipMs * 1000) return;
    const node = byId.get(id)!;
    totalUs += us;
    if (node.callFrame.functionName === '(idle)') {
      idleUs += us;
      return;
    }
    const name = label(node);
    functions.set(name, (functions.get(name) ?? 0) + us);
    const mod = node.callFrame.url ? moduleOf(node.callFrame.url) : node.callFrame.functionName;
    modules.set(mod, (modules.get(mod) ?? 0) + us);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const frame = byId.get(cur)!;
      if (!frame.callFrame.url.includes('packages/gateway/src/')) continue;
      const key = label(frame);
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + us);
    }
  });
  const busyUs = Math.max(1, totalUs - idleUs);
  const rank = (m: Map<string, number>): SelfTime[] =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, ms: us / 1000, share: us / busyUs }));
  return {
    totalMs: totalUs / 1000,
    idleMs: idleUs / 1000,
    functions: rank(functions),
    modules: rank(modules),
    gateway: rank(inclusive),
  };
}
