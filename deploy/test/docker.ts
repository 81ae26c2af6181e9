/**
 * Docker for the deployment tests: which CLI builds with BuildKit here, the stand-in base image,
 * image builds (timed) and sizes.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { run } from './run.js';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The docker CLI: $DOCKER, else `docker` when it has buildx, else Debian's `/usr/bin/docker`
 * (docker.io 20.10 builds with BuildKit built in; a newer CLI without the buildx plugin cannot,
 * and the Dockerfiles' `RUN --mount=type=secret` needs BuildKit).
 */
export async function dockerCli(): Promise<string> {
  if (process.env.DOCKER) return process.env.DOCKER;
  const buildx = await run('docker', ['buildx', 'version'], { allowFailure: true }).catch(() => undefined);
  if (buildx?.code === 0) return 'docker';
  return existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';
}

/** Fails with one clear sentence when no Docker daemon answers. */
export async function ensureDaemon(docker: string): Promise<void> {
  const info = await run(docker, ['info', '--format', '{{.ServerVersion}}'], { allowFailure: true });
  if (info.code !== 0) {
    throw new Error(
      `no Docker daemon answers (${info.stderr.trim().split('\n')[0]}): start one (as root: dockerd &) — .ci/run does`,
    );
  }
}

/**
 * The base the images build on: $NODE_IMAGE (e.g. node:24-slim where a registry is reachable),
 * else the local stand-in (deploy/stand-in-base/build.sh; cached on the machine once built).
 */
export async function baseImage(docker: string): Promise<{ tag: string; seconds: number }> {
  if (process.env.NODE_IMAGE) return { tag: process.env.NODE_IMAGE, seconds: 0 };
  const built = await run('bash', [`${REPO}deploy/stand-in-base/build.sh`], {
    env: { ...process.env, DOCKER: docker },
    timeoutMs: 900_000,
  });
  const tag = built.stdout.trim().split('\n').pop()!;
  return { tag, seconds: built.seconds };
}

/** Builds `dockerfile` (relative to the repository root) as `tag` on `nodeImage`; returns seconds. */
export async function buildImage(docker: string, dockerfile: string, tag: string, nodeImage: string) {
  const built = await run(
    docker,
    ['build', '--build-arg', `NODE_IMAGE=${nodeImage}`, '-f', dockerfile, '-t', tag, '.'],
    { cwd: REPO, env: { ...process.env, DOCKER_BUILDKIT: '1' }, timeoutMs: 900_000 },
  );
  return built.seconds;
}

/** The image's size in MB (10^6 bytes, as `docker images` prints it). */
export async function imageSizeMb(docker: string, tag: string): Promise<number> {
  const { stdout } = await run(docker, ['image', 'inspect', '--format', '{{.Size}}', tag]);
  return Math.round(Number(stdout.trim()) / 1e6);
}
