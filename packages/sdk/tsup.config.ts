import { defineConfig } from 'tsup';

// Three entries, each ESM + CJS with its own .d.ts / .d.cts (checked by attw and publint).
// ky is ESM-only: the CJS build bundles it so `require('@resultgate/sdk')` works on any Node
// that runs CJS; the ESM build keeps it external so apps share one copy.
const entry = { index: 'src/index.ts', webhooks: 'src/webhooks.ts', node: 'src/node.ts' };
const shared = { entry, target: 'es2022', sourcemap: true, dts: true, external: ['undici'] } as const;

export default defineConfig([
  { ...shared, format: ['esm'] },
  { ...shared, format: ['cjs'], noExternal: ['ky'] },
]);
