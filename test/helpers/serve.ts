/**
 * `resultgate serve` as a real process (Node 24 + tsx, `source` condition), for tests that need a
 * restart, two gateways on one policy, or workers: a directory with the certificate and policy,
 * the process spawned with its ports read from what it prints, and `stop()` (SIGTERM, then
 * SIGKILL after 15 s). Every listener on 127.0.0.1 port 0. Stop it in `finally`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { PolicyInput } from '@resultgate/gateway';
import { basic } from './credentials.js';
import { writeTestCertificate } from './gateway.js';
import { httpsRequest, type RawResponse } from './request.js';

export const CLI_MAIN = fileURLToPath(new URL('../../packages/gateway/src/cli/main.ts', import.meta.url));
export const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const { RESULTGATE_POLICY: _ignored, ...inherited } = process.env;

// The end-to-end tests' one cheap hash, for the files that import it from here.
export { cheapHash } from './credentials.js';

/** A directory holding a policy for `serve`; `remove()` deletes it. */
export interface ServeDir {
  dir: string;
  policyFile: string;
  policy: PolicyInput;
  writePolicy(input: PolicyInput): Promise<void>;
  remove(): Promise<void>;
}

/** Writes a dev certificate and a policy (logs, keys, state in the directory) to a fresh temp dir. */
export async function serveDir(options: {
  upstream: string;
  tenants: PolicyInput['tenants'];
  extra?: Partial<Omit<PolicyInput, 'server' | 'tenants' | 'version'>>;
}): Promise<ServeDir> {
  const dir = await mkdtemp(join(tmpdir(), 'resultgate-serve-'));
  const https = await writeTestCertificate(dir);
  const policy: PolicyInput = {
    version: 1,
    server: {
      https,
      admin: { port: 0, host: '127.0.0.1' },
      upstream: { url: options.upstream },
    },
    sessions: { secretFile: join(dir, 'session.key') },
    identity: { secretFile: join(dir, 'identity.key') },
    logs: { dir: join(dir, 'log') },
    ...options.extra,
    tenants: options.tenants,
  };
  const policyFile = join(dir, 'policy.json');
  const writePolicy = (input: PolicyInput) => writeFile(policyFile, `${JSON.stringify(input, null, 2)}\n`);
  await writePolicy(policy);
  return { dir, policyFile, policy, writePolicy, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** A running `resultgate serve`. */
export interface ServeProcess {
  child: ChildProcess;
  httpsPort: number;
  adminPort: number | null;
  stdout(): string;
  stderr(): string;
  /** SIGTERM, and the exit code (SIGKILL after 15 s). */
  stop(): Promise<number | null>;
}

/** Spawns `resultgate serve --policy FILE ...args` and waits until it prints its ports. */
export function spawnServe(policyFile: string, args: string[] = []): Promise<ServeProcess> {
  const child = spawn(
    process.execPath,
    ['--conditions=source', '--import', TSX, CLI_MAIN, 'serve', '--policy', policyFile, ...args],
    // The tests' policies use cheap scrypt (N=1024) for speed: serve's preflight would refuse them.
    {
      env: { ...inherited, NODE_NO_WARNINGS: '1', RESULTGATE_ALLOW_WEAK_HASHES: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };
  return new Promise((resolve, reject) => {
    const deadline = setTimeout(() => {
      void stop();
      reject(new Error(`serve did not start in 30 s\n${out}\n${err}`));
    }, 30_000);
    const check = () => {
      const https = /https \S+:(\d+)/.exec(out);
      const ready = args.includes('--workers') ? /workers ready/.test(out) : https !== null;
      if (https && ready) {
        clearTimeout(deadline);
        child.stdout!.off('data', check);
        const admin = /admin \S+:(\d+)/.exec(out);
        resolve({
          child,
          httpsPort: Number(https[1]),
          adminPort: admin ? Number(admin[1]) : null,
          stdout: () => out,
          stderr: () => err,
          stop,
        });
      }
    };
    child.stdout!.on('data', check);
    void exited.then((code) => {
      clearTimeout(deadline);
      reject(new Error(`serve exited (${code}) before it started\n${out}\n${err}`));
    });
  });
}

/** What {@link runCli} gives the process besides its arguments. */
export interface CliRun {
  /** The working directory. @default the test runner's */
  cwd?: string;
  /** Written to stdin, then closed. @default stdin is /dev/null */
  input?: string;
  /** Variables on top of the test runner's environment (less RESULTGATE_POLICY). */
  env?: Record<string, string>;
}

/** Runs `resultgate ...args` to its end (killed after 30 s). */
export function runCli(
  args: string[],
  run: CliRun = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=source', '--import', TSX, CLI_MAIN, ...args], {
      env: { ...inherited, NODE_NO_WARNINGS: '1', ...run.env },
      cwd: run.cwd,
      stdio: [run.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    if (run.input !== undefined) child.stdin!.end(run.input);
  });
}

/** Basic credentials as a header. */
export function basicHeader(user: string, password: string): Record<string, string> {
  return { authorization: basic(user, password) };
}

/**
 * A browser on one tenant host: a cookie jar, form posts with `Origin` (or the given headers,
 * for the tests that forge one), login and logout. The
 * port is read on every request, so the same browser can talk to a restarted gateway.
 */
export function formBrowser(port: () => number, host = 'school-a.localhost') {
  const jar = new Map<string, string>();
  const keep = (res: RawResponse) => {
    for (const line of res.headers['set-cookie'] ?? []) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      if (/max-age=0/i.test(line)) jar.delete(pair!.slice(0, eq));
      else jar.set(pair!.slice(0, eq), pair!.slice(eq + 1));
    }
    return res;
  };
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  const self = {
    jar,
    async get(path: string, headers: Record<string, string> = {}) {
      return keep(
        await httpsRequest({
          port: port(),
          host,
          path,
          headers: { accept: 'text/html', cookie: cookie(), ...headers },
        }),
      );
    },
    async post(path: string, form: Record<string, string>, extra: Record<string, string> = {}) {
      const headers = {
        origin: `https://${host}`,
        cookie: cookie(),
        'content-type': 'application/x-www-form-urlencoded',
        ...extra,
      };
      return keep(
        await httpsRequest({
          port: port(),
          host,
          path,
          method: 'POST',
          headers,
          body: new URLSearchParams(form).toString(),
        }),
      );
    },
    async token(path = '/.gateway/login') {
      const res = await self.get(path);
      const m = /name="csrf" value="([^"]+)"/.exec(res.body);
      if (!m) throw new Error(`no CSRF token on ${path}: ${res.status} ${res.body.slice(0, 200)}`);
      return m[1]!;
    },
    async login(username: string, password: string) {
      const csrf = await self.token();
      return self.post('/.gateway/login', { csrf, username, password });
    },
    async logout() {
      const csrf = await self.token('/.gateway/logout');
      return self.post('/.gateway/logout', { csrf });
    },
  };
  return self;
}
