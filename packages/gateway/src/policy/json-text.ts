/**
 * Minimal edits of JSON text that keep everything else byte for byte: comments-free JSON as people
 * write it, with its own line breaks, indentation and one-line objects. Used by `resultgate users`
 * so that adding a user does not reformat the tenant's whole policy file.
 */

interface JsonNode {
  start: number;
  end: number;
  props?: JsonProp[];
}

interface JsonProp {
  key: string;
  keyStart: number;
  value: JsonNode;
}

/** Offsets of every value in `text`, which must already be valid JSON (JSON.parse accepted it). */
function scan(text: string, from = 0): JsonNode {
  let i = from;
  const ws = () => {
    while (/\s/.test(text[i] ?? '')) i++;
  };
  const string = () => {
    const start = i++;
    while (text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
    return start;
  };
  const value = (): JsonNode => {
    ws();
    const start = i;
    const c = text[i];
    if (c === '{' || c === '[') {
      i++;
      const props: JsonProp[] = [];
      for (;;) {
        ws();
        if (text[i] === '}' || text[i] === ']') break;
        if (c === '{') {
          const keyStart = string();
          const key = JSON.parse(text.slice(keyStart, i)) as string;
          ws();
          i++; // ':'
          props.push({ key, keyStart, value: value() });
        } else value();
        ws();
        if (text[i] === ',') i++;
      }
      i++;
      return c === '{' ? { start, end: i, props } : { start, end: i };
    }
    if (c === '"') string();
    else while (i < text.length && !/[\s,\]}]/.test(text[i]!)) i++;
    return { start, end: i };
  };
  return value();
}

function lineIndent(text: string, offset: number): string {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  return /^[ \t]*/.exec(text.slice(lineStart))![0];
}

/** `{ "a": 1, "b": ["x"] }`: the one-line style of hand-written policy files. */
function renderCompact(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(renderCompact).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return '{}';
    return `{ ${entries.map(([k, v]) => `${JSON.stringify(k)}: ${renderCompact(v)}`).join(', ')} }`;
  }
  return JSON.stringify(value);
}

function find(root: JsonNode, path: readonly string[]): JsonNode {
  let node = root;
  for (const key of path) {
    // JSON.parse keeps the last of duplicate keys; so do we.
    const prop = node.props?.findLast((p) => p.key === key);
    if (!prop) throw new Error(`no object at ${path.join('.')}`);
    node = prop.value;
  }
  if (!node.props) throw new Error(`${path.join('.')} is not an object`);
  return node;
}

/**
 * Sets `key` in the object at `path` to `value`: replaces the value if the key exists, otherwise
 * appends the property in the style of its siblings (one-line values stay one-line).
 * @throws {Error} when `path` does not lead to an object
 */
export function setJsonProperty(text: string, path: readonly string[], key: string, value: unknown): string {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const object = find(scan(text), path);
  const props = object.props!;
  const existing = props.findLast((p) => p.key === key);
  const siblings = props.filter((p) => /^[[{]/.test(text[p.value.start]!));
  const multiline =
    siblings.length === 0 || siblings.some((p) => text.slice(p.value.start, p.value.end).includes('\n'));
  const render = (indent: string) =>
    multiline ? JSON.stringify(value, null, 2).split('\n').join(`${eol}${indent}`) : renderCompact(value);

  if (existing) {
    const indent = lineIndent(text, existing.keyStart);
    return text.slice(0, existing.value.start) + render(indent) + text.slice(existing.value.end);
  }
  const last = props.at(-1);
  if (!last) {
    const outer = lineIndent(text, object.start);
    const indent = `${outer}  `;
    const body = `{${eol}${indent}${JSON.stringify(key)}: ${render(indent)}${eol}${outer}}`;
    return text.slice(0, object.start) + body + text.slice(object.end);
  }
  const before = text.slice(text.lastIndexOf('\n', last.keyStart - 1) + 1, last.keyStart);
  const ownLine = /^[ \t]*$/.test(before);
  const indent = ownLine ? before : lineIndent(text, last.keyStart);
  const separator = ownLine ? `,${eol}${indent}` : ', ';
  const insert = `${separator}${JSON.stringify(key)}: ${ownLine ? render(indent) : renderCompact(value)}`;
  return text.slice(0, last.value.end) + insert + text.slice(last.value.end);
}

/**
 * Removes `key` from the object at `path`, with its separating comma and line.
 * @throws {Error} when `path` does not lead to an object or the key is absent
 */
export function removeJsonProperty(text: string, path: readonly string[], key: string): string {
  const object = find(scan(text), path);
  const props = object.props!;
  const i = props.findLastIndex((p) => p.key === key);
  if (i === -1) throw new Error(`no ${key} in ${path.join('.')}`);
  if (props.length === 1) return `${text.slice(0, object.start)}{}${text.slice(object.end)}`;
  if (i > 0) return text.slice(0, props[i - 1]!.value.end) + text.slice(props[i]!.value.end);
  return text.slice(0, props[0]!.keyStart) + text.slice(props[1]!.keyStart);
}
