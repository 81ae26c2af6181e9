import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

// One vitest run over every workspace: unit tests beside the code, end-to-end tests in test/.
// The `source` condition makes workspace packages resolve to their TypeScript sources.
// (Tests run in Vite's SSR mode, whose conditions are set apart from the client's.)
const shared = {
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source', ...defaultServerConditions], externalConditions: ['source'] } },
};

export default defineConfig({
  ...shared,
  test: {
    projects: [
      { ...shared, test: { name: 'gateway', root: 'packages/gateway', include: ['src/**/*.test.ts'] } },
      { ...shared, test: { name: 'sdk', root: 'packages/sdk', include: ['src/**/*.test.ts'] } },
      {
        ...shared,
        test: { name: 'examples', root: 'examples', include: ['*/src/**/*.test.ts', '*/test/**/*.test.ts'] },
      },
      {
        ...shared,
        test: {
          name: 'e2e',
          root: 'test',
          include: ['**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
