import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { validPolicy } from '../testing/policy-fixture.js';
import { POLICY_SCHEMA_FILE, policyJsonSchemaText } from './write-json-schema.js';

// biome-ignore lint/suspicious/noExplicitAny: a JSON Schema is walked by keyword
type Schema = Record<string, any>;

/**
 * Just enough of JSON Schema 2020-12 for the keywords z.toJSONSchema emits for our policy: it
 * proves an editor would accept a valid policy and flag the mistakes the schema can express.
 */
function validate(schema: Schema, value: unknown, path = ''): string[] {
  const errors: string[] = [];
  const types = [schema.type ?? []].flat() as string[];
  const typeOf = (v: unknown) =>
    Array.isArray(v) ? 'array' : v === null ? 'null' : Number.isInteger(v) ? 'integer' : typeof v;
  const actual = typeOf(value);
  if (types.length && !types.some((t) => t === actual || (t === 'number' && actual === 'integer'))) {
    return [`${path}: type ${actual}`];
  }
  if ('const' in schema && value !== schema.const) errors.push(`${path}: const`);
  if (schema.enum && !schema.enum.includes(value)) errors.push(`${path}: enum`);
  if (typeof value === 'string' && schema.pattern && !new RegExp(schema.pattern, 'u').test(value)) {
    errors.push(`${path}: pattern`);
  }
  if (typeof value === 'number' && schema.minimum !== undefined && value < schema.minimum) {
    errors.push(`${path}: minimum`);
  }
  if (Array.isArray(value)) {
    if (schema.minItems && value.length < schema.minItems) errors.push(`${path}: minItems`);
    for (const [i, v] of value.entries()) errors.push(...validate(schema.items ?? {}, v, `${path}[${i}]`));
  } else if (actual === 'object') {
    const obj = value as Record<string, unknown>;
    for (const key of schema.required ?? []) if (!(key in obj)) errors.push(`${path}.${key}: required`);
    for (const [key, v] of Object.entries(obj)) {
      const sub = schema.properties?.[key] ?? schema.additionalProperties;
      if (sub === false || (sub === undefined && schema.additionalProperties === false)) {
        errors.push(`${path}.${key}: additional`);
      } else if (sub) errors.push(...validate(sub, v, `${path}.${key}`));
      if (schema.propertyNames?.pattern && !new RegExp(schema.propertyNames.pattern).test(key)) {
        errors.push(`${path}.${key}: propertyNames`);
      }
    }
  }
  return errors;
}

const schema = JSON.parse(readFileSync(POLICY_SCHEMA_FILE, 'utf8')) as Schema;

describe('policy.schema.json', () => {
  it('is what the zod schema generates now (run write-json-schema.ts when this fails)', () => {
    expect(readFileSync(POLICY_SCHEMA_FILE, 'utf8')).toBe(policyJsonSchemaText());
  });

  it('has a title and accepts a complete policy, $schema included', () => {
    expect(schema.title).toBe('resultgate policy');
    const policy: Schema = {
      $schema: './node_modules/@resultgate/gateway/policy.schema.json',
      ...validPolicy(),
      sessions: { idleTimeout: '1h', maxAge: 43_200 },
    };
    policy.server.upstream = { url: 'http://127.0.0.1:3000', timeout: '30s', maxBodySize: '10MiB' };
    policy.tenants['school-a'].lockout = { maxFailures: 5, window: '15m', duration: '15m' };
    policy.tenants['school-a'].maintenance = [
      { start: '2026-12-01T01:00:00Z', end: '2026-12-01T03:00:00Z', announced: '2026-11-20T00:00:00Z' },
    ];
    expect(validate(schema, policy)).toEqual([]);
  });

  it('flags what an editor can see: misspelt keys, bad durations and sizes, bad tenant ids', () => {
    const policy = validPolicy();
    policy.server.upstream.timeout = '30 seconds';
    policy.server.upstream.maxBodySize = '10 megs';
    policy.tenants['school-a'].zones[0].auth = 'password';
    policy.tenants['school-a'].users.admin.password = 'hunter2';
    policy.tenants.School = policy.tenants['school-a'];
    expect(validate(schema, policy)).toEqual(
      expect.arrayContaining([
        '.server.upstream.timeout: pattern',
        '.server.upstream.maxBodySize: pattern',
        '.tenants.school-a.zones[0].auth: enum',
        '.tenants.school-a.users.admin.password: additional',
        '.tenants.School: propertyNames',
      ]),
    );
  });

  it('describes every field, so an editor explains each key while the policy is written', () => {
    const undescribed: string[] = [];
    const walk = (node: Schema | undefined, path: string) => {
      if (!node || typeof node !== 'object') return;
      for (const [key, sub] of Object.entries((node.properties ?? {}) as Record<string, Schema>)) {
        if (typeof sub.description !== 'string' || sub.description.length < 10)
          undescribed.push(`${path}.${key}`);
        walk(sub, `${path}.${key}`);
      }
      if (typeof node.additionalProperties === 'object') walk(node.additionalProperties, `${path}.*`);
      walk(node.items, `${path}[]`);
      for (const branch of [...(node.anyOf ?? []), ...(node.oneOf ?? [])]) walk(branch, path);
    };
    walk(schema, '');
    expect(undescribed).toEqual([]);
    expect(
      schema.properties.tenants.additionalProperties.properties.zones.items.properties.auth.description,
    ).toMatch(/^"none": no sign-in; "basic"/);
  });

  it('is where "$schema": "./node_modules/@resultgate/gateway/policy.schema.json" points', () => {
    const root = fileURLToPath(new URL('../../../../', import.meta.url));
    const linked = `${root}node_modules/@resultgate/gateway/policy.schema.json`;
    expect(existsSync(linked)).toBe(true);
    expect(readFileSync(linked, 'utf8')).toBe(readFileSync(POLICY_SCHEMA_FILE, 'utf8'));
  });
});
