/**
 * Generates `result-api.ts` — TypeScript types of the committed OpenAPI document
 * (examples/result-service/openapi.json) by openapi-typescript — which test/sdk-types.test.ts
 * checks the SDK's public types against. Run by `npm run openapi`; the type test fails while it
 * is stale.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';

export const DOCUMENT = fileURLToPath(new URL('../../examples/result-service/openapi.json', import.meta.url));
export const TYPES = fileURLToPath(new URL('./result-api.ts', import.meta.url));

const HEADER =
  '// Generated from examples/result-service/openapi.json by test/openapi/generate.ts: do not edit.\n';

/** The types file's text for the committed document, before formatting. */
export async function generatedTypes(): Promise<string> {
  const doc = JSON.parse(readFileSync(DOCUMENT, 'utf8'));
  return HEADER + astToString(await openapiTS(doc));
}

/** Whitespace, quotes, commas, semicolons and a union's leading `|` aside: what the formatter may change. */
export function normalised(source: string): string {
  return source
    .replace(/[\s;,]/g, '')
    .replaceAll('"', "'")
    .replace(/([:=(<])\|/g, '$1');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(TYPES, await generatedTypes());
  execFileSync('npx', ['biome', 'format', '--write', TYPES], { stdio: 'ignore' });
  console.log(`wrote ${TYPES}`);
}
