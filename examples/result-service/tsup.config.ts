import { defineConfig } from 'tsup';

// The container image's build (Dockerfile beside this file): the service and every dependency in
// one ESM file, so the image needs no node_modules. `source` resolves @resultgate/gateway/identity
// to its TypeScript, as everywhere in this workspace. nodemailer is CommonJS and requires Node's
// built-ins at run time, which an ESM bundle can do only through a `require` of its own.
export default defineConfig({
  entry: { main: 'src/main.ts' },
  format: ['esm'],
  platform: 'node',
  target: 'node24',
  noExternal: [/.*/],
  clean: true,
  sourcemap: true,
  // `node:sqlite` exists only with its prefix, which tsup would otherwise strip.
  removeNodeProtocol: false,
  esbuildOptions(options) {
    options.conditions = ['source'];
  },
  banner: {
    js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
  },
});
