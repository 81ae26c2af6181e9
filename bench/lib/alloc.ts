/**
 * `--alloc`: the bytes each Node target allocates per request, and where. V8's sampling heap
 * profiler runs in the target over one measured load and counts the objects the GC has already
 * collected too — a proxied request's objects all die young, so they are nearly all of it.
 *
 * Why it is measured: CPU time per request follows allocation more than instruction counts show
 * (each byte is written, scavenged and missed in cache), so two targets 6 % apart in instructions
 * can be 20 % apart in time. The profile's sizes are V8's estimate of the total, unbiased by the
 * sampling (each sample is scaled by its chance of being taken).
 */
import { writeFile } from 'node:fs/promises';
import type { LoadOptions } from './load.js';
import { measure } from './load.js';
import { moduleOf, shortUrl, toSourceFrames } from './profile.js';
import type { Target } from './targets.js';

interface HeapNode {
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  selfSize: number;
  children: HeapNode[];
}

/** Bytes per request of one function or module. */
export interface AllocationSite {
  name: string;
  bytes: number;
}

/** One target's allocation. */
export interface AllocationFigures {
  name: string;
  requests: number;
  bytesPerRequest: number;
  /** The raw profile (Chrome DevTools → Memory opens it), frames mapped to the source files. */
  file: string;
  /** By allocating function (self), bytes per request, largest first. */
  functions: AllocationSite[];
  /** By module (gateway folder, npm package, node: module). */
  modules: AllocationSite[];
}

function flatten(head: HeapNode): HeapNode[] {
  const out: HeapNode[] = [];
  const stack = [head];
  for (let n = stack.pop(); n; n = stack.pop()) {
    out.push(n);
    stack.push(...n.children);
  }
  return out;
}

function rank(m: Map<string, number>, requests: number, top: number): AllocationSite[] {
  return [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, bytes]) => ({ name, bytes: bytes / requests }));
}

/**
 * Measures `t` once (no warm-up: the rounds before warmed it) with the heap sampler on.
 * @param file where the raw profile is written (`.heapprofile`)
 * @returns `undefined` for a target that cannot be sampled (nginx)
 */
export async function measureAllocation(
  t: Target,
  opts: LoadOptions,
  file: string,
  top = Number(process.env.BENCH_TOP ?? 20),
): Promise<AllocationFigures | undefined> {
  const query = t.running.query;
  if (!query) return undefined;
  await query('alloc-start');
  let requests = 0;
  let profile: { head: HeapNode };
  try {
    const run = await measure(t.running.port, t.running.pids, t.request, { ...opts, warmupS: 0 });
    requests = Math.max(1, run.requests);
  } finally {
    // Stopped even when the load failed: a sampler left on would slow every later run.
    profile = (await query<{ profile: { head: HeapNode } }>('alloc-stop')).profile;
  }
  const nodes = flatten(profile.head);
  toSourceFrames(nodes);
  await writeFile(file, JSON.stringify(profile));
  const functions = new Map<string, number>();
  const modules = new Map<string, number>();
  let total = 0;
  for (const n of nodes) {
    if (n.selfSize === 0) continue;
    total += n.selfSize;
    const { functionName, url, lineNumber } = n.callFrame;
    const name = `${functionName || '(anonymous)'}${url ? ` ${shortUrl(url)}:${lineNumber + 1}` : ''}`;
    functions.set(name, (functions.get(name) ?? 0) + n.selfSize);
    const mod = url ? moduleOf(url) : functionName || '(native)';
    modules.set(mod, (modules.get(mod) ?? 0) + n.selfSize);
  }
  return {
    name: t.name,
    file,
    requests,
    bytesPerRequest: total / requests,
    functions: rank(functions, requests, top),
    modules: rank(modules, requests, Math.min(top, 12)),
  };
}

/** The allocation section of the report: bytes per request of each target, then where. */
export function allocationReport(figures: AllocationFigures[]): string {
  const kb = (bytes: number) => (bytes / 1024).toFixed(2).padStart(7);
  const lines = ['allocation per request (V8 sampling heap profiler, collected objects included):'];
  const floor = figures.find((f) => f.name === 'hono-work');
  for (const f of figures) {
    const ratio =
      floor && f !== floor ? `  ${(f.bytesPerRequest / floor.bytesPerRequest).toFixed(2)}× hono-work` : '';
    lines.push(`  ${f.name.padEnd(16)} ${kb(f.bytesPerRequest)} KB over ${f.requests} requests${ratio}`);
  }
  for (const f of figures) {
    lines.push(`  ${f.name} (${f.file}), by module (KB per request):`);
    for (const m of f.modules) lines.push(`    ${kb(m.bytes)}  ${m.name}`);
    lines.push(`  ${f.name}, by allocating function (KB per request):`);
    for (const s of f.functions) lines.push(`    ${kb(s.bytes)}  ${s.name}`);
  }
  return lines.join('\n');
}
