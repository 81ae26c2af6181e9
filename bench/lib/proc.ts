/**
 * Starting and stopping benchmark targets as child processes of the harness, so each target's RSS
 * is its own and load generation never shares its event loop. Only processes started here are
 * ever signalled, each by its own pid.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { ReadyMessage } from '../servers/child.js';
import { buildTargets } from './build.js';

/** A running target. */
export interface RunningTarget {
  port: number;
  /** Extra figures the target reported when ready. */
  info: Record<string, unknown>;
  /** Milliseconds from spawn to ready (start-up and module loading). */
  startupMs: number;
  /** Pids whose RSS is summed (a node target: itself; nginx: master and workers). */
  pids(): number[];
  stop(): Promise<void>;
  /** Heap and RSS before and after a full GC (node targets only). */
  memory?(): Promise<{ before: NodeJS.MemoryUsage; after: NodeJS.MemoryUsage }>;
  /** Sends `{ type }` over IPC and resolves with the target's answer of the same type (node targets only). */
  query?<T>(type: string): Promise<T>;
}

/** Sends SIGTERM, then SIGKILL after `graceMs`; resolves once the child exited. */
export function stopChild(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * Starts `servers/<script>.ts`, bundled as the gateway ships (see build.ts), on plain Node and waits
 * for its ready message.
 * @param nodeArgs extra Node flags, e.g. `--cpu-prof`
 * @param wrapper a command (and its arguments) that runs `node` itself, e.g. valgrind
 * @param withChildren count the target's child processes (cluster workers) in `pids()`
 * @throws when the target exits or stays silent for `timeoutMs`
 */
export async function startNodeTarget(
  script: string,
  config: unknown,
  {
    nodeArgs = [],
    timeoutMs = 60_000,
    wrapper = [],
    withChildren = false,
  }: { nodeArgs?: string[]; timeoutMs?: number; wrapper?: string[]; withChildren?: boolean } = {},
): Promise<RunningTarget> {
  const file = (await buildTargets()).get(script);
  if (!file) throw new Error(`${script}: no such target script`);
  const spawnedAt = Date.now();
  const argv = [process.execPath, ...nodeArgs, file, JSON.stringify(config ?? {})];
  const command = [...wrapper, ...argv];
  const child = spawn(command[0]!, command.slice(1), {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stopChild(child);
      reject(new Error(`${script}: not ready after ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${script}: exited before ready (code ${code}, signal ${signal})`));
    });
    child.on('message', (message: ReadyMessage) => {
      if (message?.type !== 'ready') return;
      clearTimeout(timer);
      resolve({
        port: message.port,
        info: message.info ?? {},
        startupMs: Date.now() - spawnedAt,
        pids: () => (child.pid ? [child.pid, ...(withChildren ? childPids(child.pid) : [])] : []),
        stop: () => stopChild(child),
        query: <T>(type: string) =>
          new Promise<T>((resolveQuery) => {
            const onAnswer = (m: { type?: string }) => {
              if (m?.type !== type) return;
              child.off('message', onAnswer);
              resolveQuery(m as T);
            };
            child.on('message', onAnswer);
            child.send({ type });
          }),
        memory: () =>
          new Promise((resolveMemory) => {
            const onMemory = (m: {
              type?: string;
              before: NodeJS.MemoryUsage;
              after: NodeJS.MemoryUsage;
            }) => {
              if (m?.type !== 'memory') return;
              child.off('message', onMemory);
              resolveMemory({ before: m.before, after: m.after });
            };
            child.on('message', onMemory);
            child.send({ type: 'memory' });
          }),
      });
    });
  });
}

/** VmRSS of one process in bytes, or 0 when it is gone. */
export function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ: 100 on every Linux we run on). */
const USER_HZ = 100;

/**
 * CPU time (user + system) a process has used so far, in microseconds, or 0 when it is gone.
 * Unlike req/s, CPU time per request hardly moves when other processes compete for the cores.
 */
export function cpuOf(pid: number, statFile = `/proc/${pid}/stat`): number {
  try {
    const stat = readFileSync(statFile, 'utf8');
    // Fields after the parenthesised command name (which may hold spaces): utime is 14th, stime 15th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) / USER_HZ) * 1e6;
  } catch {
    return 0;
  }
}

/** Summed CPU time of several processes, in microseconds. */
export function cpuOfAll(pids: number[]): number {
  return pids.reduce((sum, pid) => sum + cpuOf(pid), 0);
}

/**
 * Summed CPU time of each process's main thread (`/proc/<pid>/task/<pid>`), in microseconds: for
 * Node, the event loop alone — the thread that bounds a single-process proxy's req/s — without
 * V8's GC helpers and libuv's pool; for nginx's single-threaded processes, the same as
 * {@link cpuOfAll}.
 */
export function mainThreadCpuOfAll(pids: number[]): number {
  return pids.reduce((sum, pid) => sum + cpuOf(pid, `/proc/${pid}/task/${pid}/stat`), 0);
}

/** Direct children of a process (Linux `/proc/<pid>/task/<pid>/children`). */
export function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/** Samples the summed RSS of `pids()` every `everyMs` until stopped; returns the peak. */
export function sampleRss(pids: () => number[], everyMs = 200): { stop(): number } {
  let peak = 0;
  const sample = () => {
    const total = pids().reduce((sum, pid) => sum + rssOf(pid), 0);
    if (total > peak) peak = total;
  };
  sample();
  const timer = setInterval(sample, everyMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return peak;
    },
  };
}
