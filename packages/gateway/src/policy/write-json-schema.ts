/**
 * Generates `policy.schema.json` from the zod schema, so editors validate and complete policy
 * files (`"$schema": "./node_modules/@resultgate/gateway/policy.schema.json"`). Run by the
 * package's build; a unit test fails when the committed file is stale.
 *
 * Run: `npx tsx --conditions=source packages/gateway/src/policy/write-json-schema.ts`
 */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { policySchema } from './schema.js';

/** Where the generated schema lives: the gateway package's root, shipped in its `files`. */
export const POLICY_SCHEMA_FILE = fileURLToPath(new URL('../../policy.schema.json', import.meta.url));

/**
 * The JSON Schema of the policy file as written (durations and sizes as text, defaults as a user
 * would write them).
 */
export function policyJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(policySchema, { io: 'input' });
  const { $schema, ...rest } = schema;
  return {
    $schema,
    title: 'resultgate policy',
    description:
      "One JSON file holds every tenant's rules: hosts, IP allow-lists, users, zones and maintenance windows. Check it with `resultgate check`.",
    ...rest,
  };
}

/** The file's exact text: 2-space JSON with a final newline. */
export function policyJsonSchemaText(): string {
  return `${JSON.stringify(policyJsonSchema(), null, 2)}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await writeFile(POLICY_SCHEMA_FILE, policyJsonSchemaText());
  process.stdout.write(`wrote ${POLICY_SCHEMA_FILE}\n`);
}
