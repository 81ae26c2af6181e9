/**
 * Loads and validates a policy file. Every problem is reported with its JSON path, one a line, in
 * the order the file is written (`tenants.school-a.zones[0].ipAllow[1]: not an IP or CIDR`); a
 * JSON syntax error says its line and column. An invalid policy never loads.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { type Policy, policySchema } from './schema.js';
import { closest, echoValue, knownKeys, valueAt } from './suggest.js';

/** A policy that cannot be used; `issues` holds one `path: message` line per problem. */
export class PolicyError extends Error {
  readonly issues: string[];
  constructor(source: string, issues: string[]) {
    super(`invalid policy ${source}:\n${issues.map((i) => `  ${i}`).join('\n')}`);
    this.name = 'PolicyError';
    this.issues = issues;
  }
}

const PLAIN_KEY = /^[A-Za-z0-9_$-]+$/;

/**
 * `['tenants', 'school-a', 'zones', 0, 'ipAllow', 1]` → `tenants.school-a.zones[0].ipAllow[1]`;
 * a key that would read ambiguously (`taro.yamada`) is quoted: `users["taro.yamada"]`.
 */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (!PLAIN_KEY.test(String(key))) out += `[${JSON.stringify(String(key))}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(root)' : out;
}

type Issue = z.core.$ZodIssue;

/** One issue's message, reworded where zod's default says less than it could. */
function issueMessage(issue: Issue, value: unknown, shown: string | undefined): string {
  switch (issue.code) {
    case 'invalid_key':
      return issue.issues.map((i) => i.message).join('; ');
    case 'invalid_union': {
      // A union of primitives (durations, sizes): say which types would do.
      const types = issue.errors.map((branch) => branch[0]).filter((i) => i?.code === 'invalid_type');
      if (types.length === issue.errors.length && types.length > 0) {
        const received = /received (\w+)/.exec(types[0]!.message)?.[1];
        const expected = types.map((i) => (i as z.core.$ZodIssueInvalidType).expected).join(' or ');
        return received === 'undefined' ? 'required' : `expected ${expected}, received ${received}`;
      }
      return issue.message;
    }
    case 'invalid_type':
      return /received undefined$/.test(issue.message) ? `required (${issue.expected})` : issue.message;
    case 'invalid_value': {
      const options = issue.values.map((v) => JSON.stringify(v));
      const near = typeof value === 'string' ? closest(value, issue.values.map(String)) : undefined;
      const hint = near !== undefined ? `; did you mean "${near}"?` : '';
      if (options.length === 1) return `must be ${options[0]}`;
      const got = shown === undefined ? 'must be' : `${shown} is not`;
      return `${got} one of ${options.join(', ')}${hint}`;
    }
    default:
      return issue.message;
  }
}

let jsonSchema: Record<string, unknown> | undefined;
/** The policy's JSON Schema (input side), made on the first misspelt key only. */
function policyJsonSchema(): Record<string, unknown> {
  jsonSchema ??= z.toJSONSchema(policySchema, { io: 'input' }) as Record<string, unknown>;
  return jsonSchema;
}

/** `unknown key`, with the key the author probably meant, or the keys allowed there. */
function unknownKeyMessage(path: readonly PropertyKey[], key: string): string {
  const keys = knownKeys(policyJsonSchema(), path);
  const near = closest(key, keys);
  if (near !== undefined) return `unknown key; did you mean "${near}"?`;
  return keys.length > 0 ? `unknown key; allowed here: ${keys.join(', ')}` : 'unknown key';
}

/**
 * The value the file holds at the issue's path, as the message shows it: primitives and arrays,
 * not whole objects (the path names those), never a secret (see {@link echoValue}).
 */
function shownValue(issue: Issue, document: unknown): string | undefined {
  if (document === undefined || issue.code === 'invalid_key') return undefined;
  const value = valueAt(document, issue.path);
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) return undefined;
  return echoValue(value, issue.path.at(-1));
}

/** Where a path points in the parsed document, as key indexes, so issues sort in file order. */
function documentPosition(root: unknown, path: readonly PropertyKey[]): number[] {
  const position: number[] = [];
  let node = root;
  for (const key of path) {
    if (Array.isArray(node) && typeof key === 'number') {
      position.push(key);
      node = node[key];
    } else if (node !== null && typeof node === 'object') {
      const keys = Object.keys(node);
      const index = keys.indexOf(String(key));
      // A missing (required) key sorts after its siblings: that is where one would add it.
      position.push(index === -1 ? keys.length : index);
      if (index === -1) break;
      node = (node as Record<string, unknown>)[String(key)];
    } else break;
  }
  return position;
}

function compare(a: number[], b: number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/**
 * One `path: message` line per zod issue, in the order of `document` (the parsed file) when given;
 * an unknown key gets its own line with the key in the path.
 */
export function formatIssues(issues: readonly Issue[], document?: unknown): string[] {
  const lines: { path: PropertyKey[]; text: string }[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const path = [...issue.path, key];
        lines.push({ path, text: `${formatPath(path)}: ${unknownKeyMessage(issue.path, key)}` });
      }
    } else {
      const value = document === undefined ? undefined : valueAt(document, issue.path);
      const shown = shownValue(issue, document);
      const message = issueMessage(issue, value, shown);
      // An enum message already starts with the value; every other one ends with it.
      const inline = issue.code === 'invalid_value' && issue.values.length > 1;
      // A message that already quotes the value (a host claimed twice) does not repeat it.
      const echo = shown === undefined || inline || message.includes(shown) ? '' : ` (got ${shown})`;
      lines.push({ path: issue.path, text: `${formatPath(issue.path)}: ${message}${echo}` });
    }
  }
  if (document === undefined) return lines.map((l) => l.text);
  return lines
    .map((l) => ({ ...l, at: documentPosition(document, l.path) }))
    .sort((a, b) => compare(a.at, b.at))
    .map((l) => l.text);
}

/**
 * Validates a parsed policy object.
 * @param value the parsed JSON
 * @param source a name for messages (the file path)
 * @throws {PolicyError} listing every problem
 */
export function parsePolicy(value: unknown, source = '(policy)'): Policy {
  const proto = protoKeyPath(value);
  if (proto !== undefined) throw new PolicyError(source, [`${proto}: the key "__proto__" is not allowed`]);
  const result = policySchema.safeParse(value);
  if (!result.success) throw new PolicyError(source, formatIssues(result.error.issues, value));
  return result.data;
}

/**
 * The path of a `"__proto__"` key anywhere in the value, if any: JSON keeps it as a key, but a
 * schema copying objects would drop it silently (a user of that name would just vanish). The path
 * is spelled only when one is found: spelling it at every node cost a 10,000-tenant policy ~0.3 s.
 */
function protoKeyPath(value: unknown): string | undefined {
  const keys = protoKeys(value);
  if (keys === undefined) return undefined;
  let path = '';
  for (const key of keys) path += typeof key === 'number' ? `[${key}]` : path ? `.${key}` : key;
  return path;
}

/** The keys (array indices as numbers) down to the first `"__proto__"` key, or `undefined`. */
function protoKeys(value: unknown): (string | number)[] | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = protoKeys(value[i]);
      if (found) return [i, ...found];
    }
    return undefined;
  }
  if (Object.hasOwn(value, '__proto__')) return ['__proto__'];
  for (const key of Object.keys(value)) {
    const found = protoKeys((value as Record<string, unknown>)[key]);
    if (found) return [key, ...found];
  }
  return undefined;
}

/**
 * Parses JSON text, reporting a syntax error as `line:column: message`.
 * @throws {PolicyError} when the text is not JSON
 */
export function parsePolicyJson(text: string, source = '(policy)'): unknown {
  // Editors on Windows may save a byte-order mark; JSON.parse rejects it.
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  try {
    return JSON.parse(body);
  } catch (err) {
    const message = (err as Error).message;
    const at = /at position (\d+)/.exec(message);
    const offset = at ? Number(at[1]) : body.length;
    const before = body.slice(0, offset).split('\n');
    const where = `${before.length}:${before[before.length - 1]!.length + 1}`;
    const reason = message.replace(/ in JSON at position \d+.*$| at position \d+.*$/, '');
    throw new PolicyError(source, [`${where}: not JSON: ${reason}`]);
  }
}

/** Reads a policy file's text. @throws {PolicyError} when it cannot be read */
export async function readPolicyText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new PolicyError(file, [
      `(file): cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
    ]);
  }
}

/**
 * Reads, parses and validates a policy file.
 * @throws {PolicyError} when the file is unreadable, not JSON, or invalid
 * @example const policy = await loadPolicyFile('policy.json')
 */
export async function loadPolicyFile(file: string): Promise<Policy> {
  return parsePolicy(parsePolicyJson(await readPolicyText(file), file), file);
}
