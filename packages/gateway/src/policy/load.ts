/**
 * Loads and validates a policy file. Every problem is reported with its JSON path, one a line
 * (`tenants.school-a.zones[0].ipAllow[1]: not an IP or CIDR`); an invalid policy never loads.
 */
import { readFile } from 'node:fs/promises';
import type { z } from 'zod';
import { type Policy, policySchema } from './schema.js';

/** A policy that cannot be used; `issues` holds one `path: message` line per problem. */
export class PolicyError extends Error {
  readonly issues: string[];
  constructor(source: string, issues: string[]) {
    super(`invalid policy ${source}:\n${issues.map((i) => `  ${i}`).join('\n')}`);
    this.name = 'PolicyError';
    this.issues = issues;
  }
}

/** `['tenants', 'school-a', 'zones', 0, 'ipAllow', 1]` → `tenants.school-a.zones[0].ipAllow[1]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(root)' : out;
}

/** One `path: message` line per zod issue, in document order. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`);
}

/**
 * Validates a parsed policy object.
 * @throws {PolicyError} listing every problem
 */
export function parsePolicy(value: unknown, source = '(policy)'): Policy {
  const result = policySchema.safeParse(value);
  if (!result.success) throw new PolicyError(source, formatIssues(result.error.issues));
  return result.data;
}

/**
 * Reads, parses and validates a policy file.
 * @throws {PolicyError} when the file is unreadable, not JSON, or invalid
 * @example const policy = await loadPolicyFile('policy.json')
 */
export async function loadPolicyFile(file: string): Promise<Policy> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new PolicyError(file, [
      `(file): cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
    ]);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new PolicyError(file, [`(file): not JSON: ${(err as Error).message}`]);
  }
  return parsePolicy(value, file);
}
