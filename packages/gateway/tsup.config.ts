import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    identity: 'src/proxy/identity.ts',
    'page-style': 'src/pages/style.ts',
    testing: 'src/testing/index.ts',
    cli: 'src/cli/bin.ts',
  },
  format: ['esm'],
  target: 'node22',
  dts: {
    entry: {
      index: 'src/index.ts',
      identity: 'src/proxy/identity.ts',
      'page-style': 'src/pages/style.ts',
      testing: 'src/testing/index.ts',
    },
  },
  clean: true,
  sourcemap: true,
  // `node:sqlite` (the security state) exists only with its prefix, which tsup would otherwise strip.
  removeNodeProtocol: false,
});
