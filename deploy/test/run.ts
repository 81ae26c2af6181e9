/**
 * Runs a command for the deployment tests and returns what it printed; a failure throws with the
 * command and its output. Commands here are our own fixed argument lists (no shell).
 */
import { spawn } from 'node:child_process';

/** What a finished command printed. */
export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Wall time in seconds. */
  seconds: number;
}

/** Options of {@link run}. */
export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  input?: string;
  /** Killed (SIGKILL) after this long. @default 600_000 */
  timeoutMs?: number;
  /** Resolve with a non-zero exit instead of throwing. */
  allowFailure?: boolean;
}

/**
 * @example const { stdout } = await run('docker', ['version'])
 */
export function run(command: string, args: string[], options: RunOptions = {}): Promise<Ran> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 600_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const ran = { code, stdout, stderr, seconds: (performance.now() - started) / 1000 };
      if (code === 0 || options.allowFailure) resolve(ran);
      else {
        const tail = `${stdout}\n${stderr}`.trim().split('\n').slice(-40).join('\n');
        reject(new Error(`${command} ${args.join(' ')}: exit ${code}\n${tail}`));
      }
    });
    // A command that exits without reading its input (one that refuses to start) closes the pipe
    // first: the EPIPE is not the test's failure — the exit code and output say what happened.
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });
}

/** The environment without npm's per-run variables, so a nested npm acts as if started by hand. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^npm_/i.test(k) && k !== 'INIT_CWD' && k !== 'RESULTGATE_POLICY') env[k] = v;
  }
  return { ...env, ...extra };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
