/**
 * The two images, built and run as a user would (README "Deploy"): the stand-in base (or
 * $NODE_IMAGE), the gateway and result-service images, both containers on a private network
 * with the demo policy, published on loopback ports only. Checks the admin endpoints and the
 * image's own HEALTHCHECK, HTTPS through the gateway container to the result service with a
 * signed identity, the HTTP redirect, a policy edit in the mounted folder picked up live,
 * non-root and read-only, and `docker stop` draining an in-flight request and exiting 0.
 * Then compose.yaml, up with the same images, its own folder and ports.
 */
import { randomBytes } from 'node:crypto';
import { chmod, cp, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashPassword } from '@resultgate/gateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoSecrets } from '../../scripts/demo-secrets.js';
import { baseImage, buildImage, dockerCli, ensureDaemon, imageSizeMb, REPO } from './docker.js';
import { request } from './https.js';
import { run, sleep } from './run.js';

const VERSION = JSON.parse(await readFile(join(REPO, 'packages/gateway/package.json'), 'utf8')).version;
const GATEWAY_IMAGE = `resultgate-gateway:${VERSION}`;
const RESULTS_IMAGE = `resultgate-result-service:${VERSION}`;
const SYNC = { user: 'school-sync', password: 'SchoolSync-2026!' };
/** Not the default 9090: the image's HEALTHCHECK must follow the policy. */
const ADMIN_PORT = 9191;

let docker: string;
const suffix = `${process.pid}-${randomBytes(3).toString('hex')}`;
const network = `rg-deploy-${suffix}`;
const gatewayName = `rg-deploy-gateway-${suffix}`;
const resultsName = `rg-deploy-results-${suffix}`;
let dir: string;
let ca: string;
const report: string[] = [];

async function publishedPort(container: string, port: number): Promise<number> {
  const { stdout } = await run(docker, ['port', container, `${port}/tcp`]);
  const m = /127\.0\.0\.1:(\d+)/.exec(stdout);
  if (!m) throw new Error(`${container}: ${port} not published on 127.0.0.1 (${stdout.trim()})`);
  return Number(m[1]);
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`${what}: not within ${ms / 1000} s`);
    await sleep(250);
  }
}

const logs = async (container: string) => {
  const { stdout, stderr } = await run(docker, ['logs', container], { allowFailure: true });
  return stdout + stderr;
};
const inspect = async (container: string, format: string) =>
  (await run(docker, ['inspect', '--format', format, container])).stdout.trim();

beforeAll(async () => {
  docker = await dockerCli();
  await ensureDaemon(docker);
  const base = await baseImage(docker);
  report.push(`base ${base.tag}: ${base.seconds.toFixed(0)} s (${await imageSizeMb(docker, base.tag)} MB)`);
  const g = await buildImage(docker, 'packages/gateway/Dockerfile', GATEWAY_IMAGE, base.tag);
  report.push(`${GATEWAY_IMAGE}: built in ${g.toFixed(0)} s, ${await imageSizeMb(docker, GATEWAY_IMAGE)} MB`);
  const r = await buildImage(docker, 'examples/result-service/Dockerfile', RESULTS_IMAGE, base.tag);
  report.push(`${RESULTS_IMAGE}: built in ${r.toFixed(0)} s, ${await imageSizeMb(docker, RESULTS_IMAGE)} MB`);

  // The demo's policy and files in a folder of their own (mounted read-only), readable by uid 1000.
  dir = await mkdtemp(join(tmpdir(), 'rg-deploy-'));
  await chmod(dir, 0o755);
  const policy = JSON.parse(await readFile(join(REPO, 'deploy/demo/policy.json'), 'utf8'));
  delete policy.$schema;
  policy.server.admin.port = ADMIN_PORT;
  await writeFile(join(dir, 'policy.json'), `${JSON.stringify(policy, null, 2)}\n`);
  await chmod(join(dir, 'policy.json'), 0o644);
  await demoSecrets(dir);
  ca = await readFile(join(dir, 'tls/cert.pem'), 'utf8');

  await run(docker, ['network', 'create', network]);
  await run(docker, [
    ...['run', '-d', '--name', resultsName, '--network', network, '--network-alias', 'results'],
    ...['--read-only', '--tmpfs', '/tmp', '--tmpfs', '/var/lib/results:uid=1000,gid=1000'],
    ...['-v', `${join(dir, 'keys')}:/run/secrets/resultgate:ro`, '-e', 'DEMO_TENANTS=school-a'],
    RESULTS_IMAGE,
  ]);
  await run(docker, [
    ...['run', '-d', '--name', gatewayName, '--network', network],
    ...[
      '--read-only',
      '--tmpfs',
      '/tmp',
      '--tmpfs',
      '/var/log/resultgate:uid=1000,gid=1000',
      '--tmpfs',
      '/var/lib/resultgate:uid=1000,gid=1000',
    ],
    ...['-v', `${dir}:/etc/resultgate:ro`, '--health-interval', '2s', '--health-start-period', '2s'],
    ...['-p', '127.0.0.1::8443', '-p', '127.0.0.1::8080', '-p', `127.0.0.1::${ADMIN_PORT}`],
    GATEWAY_IMAGE,
  ]);
});

afterAll(async () => {
  if (docker) {
    for (const c of [gatewayName, resultsName])
      await run(docker, ['rm', '-f', '-v', c], { allowFailure: true });
    await run(docker, ['network', 'rm', network], { allowFailure: true });
  }
  if (dir) await rm(dir, { recursive: true, force: true });
  console.log(`images:\n  ${report.join('\n  ')}`);
});

describe('the gateway and result-service images', () => {
  it('answer /healthz and /readyz on the admin port the policy names, and the HEALTHCHECK agrees', async () => {
    const admin = await publishedPort(gatewayName, ADMIN_PORT);
    const health = await until('/healthz', async () => {
      const a = await request({ port: admin, path: '/healthz' });
      return a.status === 200 ? a : undefined;
    });
    expect(JSON.parse(health.body)).toEqual({ status: 'ok' });
    const ready = await request({ port: admin, path: '/readyz' });
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.body)).toMatchObject({ status: 'ready', draining: false });
    // The image's own HEALTHCHECK (run by dockerd inside the container every 2 s here).
    const status = await until('healthy', async () => {
      const s = await inspect(gatewayName, '{{.State.Health.Status}}');
      return s === 'healthy' ? s : s === 'unhealthy' ? `unhealthy ${await logs(gatewayName)}` : undefined;
    });
    expect(status).toBe('healthy');
  });

  it('proxies HTTPS to the result-service container with a signed identity; plain HTTP redirects', async () => {
    const port = await publishedPort(gatewayName, 8443);
    const auth = `${SYNC.user}:${SYNC.password}`;
    const answer = await request({ port, path: '/api/v1/results', host: 'school-a.localhost', ca, auth });
    expect(answer.status, answer.body).toBe(200);
    // The service seeded three demo results for school-a; it serves only signed requests…
    const externalIds = (JSON.parse(answer.body).data as { externalId: string }[]).map((r) => r.externalId);
    expect(externalIds.sort()).toEqual(['demo-001', 'demo-002', 'demo-003']);
    // …which the same request straight to it, without the gateway's signature, is not.
    const direct = await run(docker, [
      ...['exec', resultsName, 'node', '-e'],
      "fetch('http://127.0.0.1:3000/api/v1/results').then(r=>process.stdout.write(String(r.status)))",
    ]);
    expect(direct.stdout).toBe('401');
    // Wrong password: the gateway answers, the service is never asked.
    const denied = await request({
      port,
      path: '/api/v1/results',
      host: 'school-a.localhost',
      ca,
      auth: 'school-sync:nope-nope-nope',
    });
    expect(denied.status).toBe(401);

    const plain = await request({
      port: await publishedPort(gatewayName, 8080),
      path: '/r',
      host: 'school-a.localhost',
    });
    expect(plain.status).toBe(308);
    // To the policy's HTTPS port: publish it as the same number (compose.yaml does), or bind 443.
    expect(plain.headers.location).toBe('https://school-a.localhost:8443/r');
  });

  it('runs as uid 1000 on a read-only root filesystem', async () => {
    expect((await run(docker, ['exec', gatewayName, 'id', '-u'])).stdout.trim()).toBe('1000');
    expect((await run(docker, ['exec', resultsName, 'id', '-u'])).stdout.trim()).toBe('1000');
    expect(await inspect(gatewayName, '{{.HostConfig.ReadonlyRootfs}}')).toBe('true');
    const write = await run(docker, ['exec', gatewayName, 'sh', '-c', 'touch /app/x'], {
      allowFailure: true,
    });
    expect(write.code).not.toBe(0);
    expect(write.stderr).toMatch(/Read-only file system/);
    // The policy folder is mounted read-only too.
    const edit = await run(
      docker,
      ['exec', gatewayName, 'sh', '-c', 'echo {} > /etc/resultgate/policy.json'],
      {
        allowFailure: true,
      },
    );
    expect(edit.code).not.toBe(0);
  });

  it('picks up an edit of the mounted policy file (replaced by rename, as editors do)', async () => {
    const port = await publishedPort(gatewayName, 8443);
    const policy = JSON.parse(await readFile(join(dir, 'policy.json'), 'utf8'));
    const newPassword = 'Rotated-Sync-2026!';
    policy.tenants['school-a'].users[SYNC.user].passwordHash = await hashPassword(newPassword);
    await writeFile(join(dir, 'policy.json.new'), JSON.stringify(policy, null, 2), { mode: 0o644 });
    await rename(join(dir, 'policy.json.new'), join(dir, 'policy.json'));
    await until(
      'policy reloaded',
      async () => ((await logs(gatewayName)).includes('policy reloaded') ? true : undefined),
      30_000,
    );
    const get = (password: string) =>
      request({
        port,
        path: '/api/v1/results',
        host: 'school-a.localhost',
        ca,
        auth: `${SYNC.user}:${password}`,
      });
    expect((await get(SYNC.password)).status).toBe(401);
    expect((await get(newPassword)).status).toBe(200);
  });

  it('drains an in-flight request on docker stop, then exits 0', async () => {
    const port = await publishedPort(gatewayName, 8443);
    const body = JSON.stringify({ externalId: 'drain-1' });
    let stopping: Promise<unknown> | undefined;
    const started = Date.now();
    // A request whose body is still coming when SIGTERM arrives: it must be answered, not cut.
    const answer = request({
      port,
      path: '/api/v1/results',
      method: 'POST',
      host: 'school-a.localhost',
      ca,
      auth: `${SYNC.user}:Rotated-Sync-2026!`,
      body: async (req) => {
        req.setHeader('content-type', 'application/json');
        req.write(body.slice(0, 5));
        await sleep(500);
        stopping = run(docker, ['stop', '--time', '30', gatewayName]);
        await until(
          'draining',
          async () => ((await logs(gatewayName)).includes('draining') ? true : undefined),
          20_000,
        );
        await sleep(1000);
        req.write(body.slice(5));
      },
    });
    const a = await answer;
    // Whatever the service thinks of the body, the answer is its own (JSON), not a cut connection.
    expect(a.status).toBeGreaterThanOrEqual(200);
    expect(a.headers['content-type']).toMatch(/json/);
    await stopping;
    expect(await inspect(gatewayName, '{{.State.ExitCode}}')).toBe('0');
    expect(Date.now() - started).toBeLessThan(25_000);
    const out = await logs(gatewayName);
    expect(out).toMatch(/draining…[\s\S]*stopped/);
  });
});

/**
 * `n` distinct free loopback ports (closed again at once; compose binds them a moment later). All
 * are held open until the last is chosen: closed one by one, the kernel may hand the same port out
 * twice, and compose then fails with "port is already allocated" (seen in CI on 2026-12-07).
 */
async function freePorts(n: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve());
      });
    }
    return servers.map((s) => (s.address() as AddressInfo).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

/** `docker compose` where the plugin is installed, else `docker-compose` (Debian's package). */
async function composeCli(): Promise<string[]> {
  const plugin = await run(docker, ['compose', 'version'], { allowFailure: true }).catch(() => undefined);
  return plugin?.code === 0 ? [docker, 'compose'] : ['docker-compose'];
}

describe('compose.yaml', () => {
  it('names the images this version builds', async () => {
    const text = await readFile(join(REPO, 'compose.yaml'), 'utf8');
    expect(text).toContain(`image: ${GATEWAY_IMAGE}`);
    expect(text).toContain(`image: ${RESULTS_IMAGE}`);
  });

  it('docker compose up: HTTPS through the gateway to the result service; stop exits 0', async () => {
    const [cmd, ...pre] = await composeCli();
    const project = `rg-compose-${suffix}`;
    const demo = await mkdtemp(join(tmpdir(), 'rg-compose-'));
    await chmod(demo, 0o755);
    await cp(join(REPO, 'deploy/demo/policy.json'), join(demo, 'policy.json'));
    await chmod(join(demo, 'policy.json'), 0o644);
    await demoSecrets(demo);
    const [https, http, admin] = await freePorts(3);
    const ports = { https: https!, http: http!, admin: admin! };
    const env = {
      ...process.env,
      RESULTGATE_DEMO_DIR: demo,
      RESULTGATE_HTTPS_PORT: String(ports.https),
      RESULTGATE_HTTP_PORT: String(ports.http),
      RESULTGATE_ADMIN_PORT: String(ports.admin),
    };
    const compose = (...args: string[]) =>
      run(cmd!, [...pre, '-p', project, '-f', join(REPO, 'compose.yaml'), ...args], { cwd: REPO, env });
    try {
      await compose('up', '-d', '--no-build');
      await until('compose /readyz', async () => {
        const a = await request({ port: ports.admin, path: '/readyz' });
        return a.status === 200 ? a : undefined;
      });
      const demoCa = await readFile(join(demo, 'tls/cert.pem'), 'utf8');
      const auth = `${SYNC.user}:${SYNC.password}`;
      const answer = await until('results through compose', async () => {
        const a = await request({
          port: ports.https,
          path: '/api/v1/results',
          host: 'school-a.localhost',
          ca: demoCa,
          auth,
        });
        return a.status === 200 ? a : undefined;
      });
      expect(JSON.parse(answer.body).data.length).toBe(3);
      await compose('stop');
      const { stdout } = await compose('ps', '-q', 'gateway');
      expect(await inspect(stdout.trim(), '{{.State.ExitCode}}')).toBe('0');
    } finally {
      await compose('down', '-v').catch(() => {});
      await rm(demo, { recursive: true, force: true });
    }
  });
});
