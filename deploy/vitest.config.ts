import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

// `npm run test:deploy`: the deployment tests, apart from `npm test` — they build images (Docker),
// pack and install the packages from the npm registry, and take minutes, not seconds.
// The `source` condition as in the root config (workspace packages resolve to TypeScript).
export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source', ...defaultServerConditions], externalConditions: ['source'] } },
  test: {
    root: 'deploy',
    include: ['test/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 900_000,
  },
});
