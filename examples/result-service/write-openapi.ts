/**
 * Writes `openapi.json` from the service's zod schemas, formatted as the repository's formatter
 * wants it: `npm run openapi -w @resultgate/example-result-service` (src/openapi.test.ts fails
 * while the file is stale).
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openApiDocument } from './src/openapi.js';

const file = fileURLToPath(new URL('./openapi.json', import.meta.url));
writeFileSync(file, `${JSON.stringify(openApiDocument(), null, 2)}\n`);
execFileSync('npx', ['biome', 'format', '--write', file], { stdio: 'ignore' });
console.log(`wrote ${file}`);
