/**
 * "Did you mean" for policy errors, and the offending value echoed back. An operator who writes
 * `"ipAlow"` or `"auth": "basci"` should be told the word they meant, as a compiler would, and
 * every message should show what the file actually says at that path.
 */

/**
 * Edit distance (insertions, deletions, substitutions, and swaps of two neighbours — the
 * commonest typo) between two short strings. Hand-written: twenty lines for keys of a few
 * letters do not earn a dependency.
 */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) =>
    Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      }
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The candidate closest to `word`, if it is close enough to be a typo of it: the same letters in
 * another case, or at most a third of the word's letters (at least 1, at most 3) edited.
 * @example closest('ipAlow', ['ipAllow', 'authBypass']) // 'ipAllow'
 */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  const sameCase = candidates.find((c) => c.toLowerCase() === lower);
  if (sameCase !== undefined) return sameCase;
  const limit = Math.min(3, Math.max(1, Math.floor(word.length / 3)));
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const c of candidates) {
    const distance = editDistance(lower, c.toLowerCase());
    if (distance < bestDistance) {
      best = c;
      bestDistance = distance;
    }
  }
  return best;
}

/** Paths whose values are never echoed: a password pasted into `passwordHash` must not reach a log. */
const SECRET_KEYS = new Set(['passwordHash', 'password', 'url']);
const MAX_ECHO = 80;

/**
 * The value as a message shows it: JSON, cut at 80 characters; `undefined` when there is nothing
 * to show (a missing key) or it must not be shown (a password hash, a URL that may carry one).
 * @param key the last key of the value's path
 */
export function echoValue(value: unknown, key: PropertyKey | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (typeof key === 'string' && SECRET_KEYS.has(key)) {
    if (key !== 'url' || (typeof value === 'string' && /\/\/[^/]*@/.test(value))) return undefined;
  }
  const text = JSON.stringify(value) ?? String(value);
  return text.length > MAX_ECHO ? `${text.slice(0, MAX_ECHO - 1)}…` : text;
}

/** The value at `path` inside a parsed document, or `undefined`. */
export function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let node = root;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    if (!Object.hasOwn(node, key as string)) return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

// biome-ignore lint/suspicious/noExplicitAny: a JSON Schema is walked by keyword
type JsonSchema = Record<string, any>;

/**
 * The property names the JSON Schema allows for the object at `path`, or `[]` when the path
 * leads to a record (any key) or nowhere.
 */
export function knownKeys(schema: JsonSchema, path: readonly PropertyKey[]): string[] {
  let node: JsonSchema | undefined = schema;
  for (const key of path) {
    if (!node) return [];
    if (typeof key === 'number') node = node.items;
    else
      node =
        node.properties?.[key as string] ??
        (typeof node.additionalProperties === 'object' ? node.additionalProperties : undefined);
  }
  return node?.properties ? Object.keys(node.properties) : [];
}
