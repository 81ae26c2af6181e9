/**
 * Target (e): nginx doing what operators do today — `allow` list (the same 20 CIDRs, the client
 * address taken from X-Forwarded-For of the trusted 127.0.0.1 peer, like the gateway),
 * `auth_basic` with an `$apr1$` hash, a JSON access log, `proxy_pass` to a keep-alive upstream.
 * It runs from its own temporary prefix and config on a free loopback port, never as a service.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { allowList, BENCH_USER } from '../servers/policy.js';
import { childPids, type RunningTarget, stopChild } from './proc.js';

/** The nginx binary, or null when it is not installed (the harness then skips this target). */
export function findNginx(): string | null {
  try {
    return execFileSync('sh', ['-c', 'command -v nginx'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

/** A free loopback port (nginx needs a number up front). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => resolve(socket.end() && true));
    socket.once('error', () => resolve(false));
  });
}

function config(prefix: string, port: number, upstreamPort: number, workers: number | 'auto'): string {
  const allow = allowList()
    .map((cidr) => `      allow ${cidr};`)
    .join('\n');
  const runAs = process.getuid?.() === 0 ? 'user root;' : '';
  return `${runAs}
worker_processes ${workers};
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 4096; }
http {
  client_body_temp_path ${prefix}/tmp/body;
  proxy_temp_path ${prefix}/tmp/proxy;
  fastcgi_temp_path ${prefix}/tmp/fastcgi;
  uwsgi_temp_path ${prefix}/tmp/uwsgi;
  scgi_temp_path ${prefix}/tmp/scgi;
  keepalive_requests 1000000;
  log_format json escape=json '{"ts":"$time_iso8601","reqId":"$request_id","ip":"$remote_addr",'
    '"method":"$request_method","path":"$uri","status":$status,"bytes":$body_bytes_sent,'
    '"ms":$request_time,"upstreamMs":"$upstream_response_time","user":"$remote_user","ua":"$http_user_agent"}';
  access_log ${prefix}/access.log json buffer=64k flush=1s;
  upstream app {
    server 127.0.0.1:${upstreamPort};
    keepalive 64;
  }
  server {
    listen 127.0.0.1:${port};
    set_real_ip_from 127.0.0.1;
    real_ip_header X-Forwarded-For;
    location / {
${allow}
      deny all;
      auth_basic "bench";
      auth_basic_user_file ${prefix}/htpasswd;
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Authorization "";
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto https;
    }
  }
}
`;
}

/**
 * Starts nginx in `prefix` in front of the upstream.
 * @throws when nginx exits or does not accept connections within 10 s
 */
export async function startNginx(
  bin: string,
  prefix: string,
  upstreamPort: number,
  /** `auto` (one per core, the Debian default) or a number: 1 for the equal-cores row. */
  workers: number | 'auto' = 'auto',
): Promise<RunningTarget> {
  await mkdir(`${prefix}/tmp`, { recursive: true });
  await chmod(prefix, 0o755);
  const hash = execFileSync('openssl', ['passwd', '-apr1', BENCH_USER.password], { encoding: 'utf8' }).trim();
  await writeFile(`${prefix}/htpasswd`, `${BENCH_USER.name}:${hash}\n`, { mode: 0o644 });
  const port = await freePort();
  await writeFile(`${prefix}/nginx.conf`, config(prefix, port, upstreamPort, workers));
  const spawnedAt = Date.now();
  const child: ChildProcess = spawn(
    bin,
    ['-p', prefix, '-c', `${prefix}/nginx.conf`, '-e', `${prefix}/error.log`, '-g', 'daemon off;'],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  const deadline = spawnedAt + 10_000;
  while (!(await canConnect(port))) {
    if (child.exitCode !== null) throw new Error(`nginx exited (${child.exitCode}); see ${prefix}/error.log`);
    if (Date.now() > deadline) {
      await stopChild(child);
      throw new Error('nginx: not accepting connections after 10 s');
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const master = child.pid!;
  const startupMs = Date.now() - spawnedAt;
  return {
    port,
    startupMs,
    info: { version: spawnSync(bin, ['-v'], { encoding: 'utf8' }).stderr.trim(), prefix },
    pids: () => [master, ...childPids(master)],
    // SIGTERM is nginx's fast shutdown; SIGQUIT would wait for keep-alive clients.
    stop: () => stopChild(child),
  };
}
