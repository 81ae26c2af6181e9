/**
 * Builds the target scripts the way the gateway ships: one esbuild bundle per script, as tsup
 * builds `dist/` — not run through tsx, whose on-the-fly transform keeps function names by wrapping
 * every closure in a `__name()` call (an `Object.defineProperty` per closure made per request),
 * a cost the published gateway does not have. The gateway's sources (and the bench's) are
 * bundled; npm packages stay external and load from node_modules, as they do under `dist/`.
 */
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const SERVERS = [
  'upstream',
  'bare-proxy',
  'hono-proxy',
  'gateway',
  'slow-upstream',
  'spike-gateway',
  'result-service',
] as const;
const OUT_DIR = fileURLToPath(new URL('../.build/', import.meta.url));

/** npm packages stay imports; our own workspace packages are bundled from their sources. */
const externalPackages: Plugin = {
  name: 'external-packages',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) =>
      args.path.startsWith('@resultgate/') ? undefined : { path: args.path, external: true },
    );
  },
};

let built: Promise<Map<string, string>> | undefined;

/**
 * Bundles every target script once per run into `bench/.build/` (git-ignored).
 * @returns the path of each script's bundle, by script name
 */
export function buildTargets(): Promise<Map<string, string>> {
  built ??= (async () => {
    await mkdir(OUT_DIR, { recursive: true });
    const entryPoints = Object.fromEntries(
      SERVERS.map((s) => [s, fileURLToPath(new URL(`../servers/${s}.ts`, import.meta.url))]),
    );
    await build({
      entryPoints,
      outdir: OUT_DIR,
      outExtension: { '.js': '.mjs' },
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node22',
      conditions: ['source'],
      sourcemap: true,
      logLevel: 'warning',
      plugins: [externalPackages],
    });
    return new Map(SERVERS.map((s) => [s, `${OUT_DIR}${s}.mjs`]));
  })();
  return built;
}
