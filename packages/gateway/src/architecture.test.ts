/**
 * The folder/import rules of docs/architecture.md §2, enforced. The document's fenced blocks are
 * the source of truth: `imports` (what each folder or top-level module may import),
 * and `import-debts` (today's known violations, each with the #16 item that removes it). Test
 * support lives in `testing/`, which only tests may import. A new import that the table does not
 * allow fails here; so does a debt that no longer exists (delete its line: the list only shrinks),
 * a folder the table does not know, and an import cycle between folders outside the debts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = dirname(fileURLToPath(import.meta.url));
const DOC = join(SRC, '../../../docs/architecture.md');

/** The lines of the fenced block ```name … ``` of the document, comments and blanks dropped. */
function block(text: string, name: string): string[][] {
  const m = new RegExp(`^\`\`\`${name}\\n([\\s\\S]*?)^\`\`\``, 'm').exec(text);
  if (!m) throw new Error(`docs/architecture.md has no \`\`\`${name} block`);
  return m[1]!
    .split('\n')
    .map((line) => line.replace(/#.*/, '').trim())
    .filter(Boolean)
    .map((line) => line.split(/\s+/));
}

interface Rules {
  /** unit → what it may import (units, module paths, or `*` for anything). */
  allow: Map<string, string[]>;
  debts: { from: string; to: string }[];
}

/** Reads the rules; `@group` names on the right are replaced by the group's members. */
function readRules(text: string): Rules {
  const groups = new Map<string, string[]>();
  const allow = new Map<string, string[]>();
  const expand = (items: string[]): string[] =>
    items.flatMap((item) => {
      if (item === '-') return [];
      if (!item.startsWith('@')) return [item];
      const members = groups.get(item);
      if (!members) throw new Error(`unknown group ${item} in docs/architecture.md`);
      return members;
    });
  for (const [unit, ...targets] of block(text, 'imports')) {
    if (unit!.startsWith('@')) groups.set(unit!, expand(targets));
    else allow.set(unit!, expand(targets));
  }
  const debts = block(text, 'import-debts').map(([from, arrow, to]) => {
    if (arrow !== '->' || !from || !to) throw new Error(`bad debt line: ${from} ${arrow} ${to}`);
    return { from, to };
  });
  return { allow, debts };
}

/** A module's unit: its top folder (`session/`) or, at the top level, its file (`app.ts`). */
function unitOf(file: string): string {
  const slash = file.indexOf('/');
  return slash === -1 ? file.replace(/\.test\.ts$/, '.ts') : file.slice(0, slash + 1);
}

/** `pattern` names `file`: the same path, or a folder (`x/`) that contains it, or `*`. */
function covers(pattern: string, file: string): boolean {
  return pattern === '*' || pattern === file || (pattern.endsWith('/') && file.startsWith(pattern));
}

interface Edge {
  from: string;
  to: string;
}

/** Every relative import (static, type-only, re-export or dynamic) of every module under src/. */
function edges(): Edge[] {
  const files = (readdirSync(SRC, { recursive: true }) as string[])
    .map((f) => f.split('\\').join('/'))
    .filter((f) => f.endsWith('.ts'));
  const out: Edge[] = [];
  const spec = /(?:\bfrom|\bimport)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g;
  for (const from of files) {
    const text = readFileSync(join(SRC, from), 'utf8');
    for (const m of text.matchAll(spec)) {
      const to = posix.normalize(posix.join(posix.dirname(from), m[1]!)).replace(/\.js$/, '.ts');
      // Outside src/ (the package's own package.json for its version): not a folder of the table.
      if (!to.startsWith('../')) out.push({ from, to });
    }
  }
  return out;
}

/** A test, or test support (`testing/`): checked against its folder's row and the `(tests)` row. */
const isTest = (file: string) => file.endsWith('.test.ts') || file.startsWith('testing/');

/** Whether the table allows the edge (debts aside). */
function allowed(rules: Rules, edge: Edge): boolean {
  const unit = unitOf(edge.from);
  if (unitOf(edge.to) === unit) return true;
  const may = rules.allow.get(unit) ?? [];
  if (may.some((p) => covers(p, edge.to))) return true;
  if (!isTest(edge.from)) return false;
  // Tests (and test support) may also import what the (tests) row names.
  const tests = rules.allow.get('(tests)') ?? [];
  return tests.some((p) => covers(p, edge.to));
}

const isDebt = (rules: Rules, edge: Edge) =>
  rules.debts.some((d) => covers(d.from, edge.from) && covers(d.to, edge.to));

/** The first cycle of the unit graph, as a path `a -> b -> a`, or undefined. */
function findCycle(graph: Map<string, Set<string>>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  function visit(node: string): string[] | undefined {
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') return [...stack.slice(stack.indexOf(next)), next];
      if (!state.has(next)) {
        const found = visit(next);
        if (found) return found;
      }
    }
    stack.pop();
    state.set(node, 'done');
    return undefined;
  }
  for (const node of [...graph.keys()].sort()) {
    if (!state.has(node)) {
      const found = visit(node);
      if (found) return found;
    }
  }
  return undefined;
}

describe('docs/architecture.md: what each folder may import', () => {
  const rules = readRules(readFileSync(DOC, 'utf8'));
  const all = edges();
  const show = (e: Edge) => `${e.from} -> ${e.to}`;

  it('reads a table that names every folder and top-level module of src/', () => {
    // Every folder, and every top-level module (a top-level test of no module of its own, such as
    // this file, is checked against the (tests) row alone).
    const units = new Set<string>();
    for (const entry of readdirSync(SRC, { withFileTypes: true })) {
      if (entry.isDirectory()) units.add(`${entry.name}/`);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) units.add(entry.name);
    }
    const missing = [...units].filter((u) => !rules.allow.has(u)).sort();
    expect(missing, 'add these to the ```imports block of docs/architecture.md').toEqual([]);
    expect(rules.allow.size).toBeGreaterThan(20);
  });

  it('finds no import the table does not allow, except the listed debts', () => {
    const violations = all.filter((e) => !allowed(rules, e) && !isDebt(rules, e)).map(show);
    expect(violations, 'not allowed by docs/architecture.md §2 (fix the import, or the table)').toEqual([]);
  });

  it('lists no debt that is already paid (delete its line from ```import-debts)', () => {
    const stale = rules.debts
      .filter((d) => !all.some((e) => covers(d.from, e.from) && covers(d.to, e.to) && !allowed(rules, e)))
      .map((d) => `${d.from} -> ${d.to}`);
    expect(stale).toEqual([]);
  });

  it('has no import cycle between folders outside the debts', () => {
    const graph = new Map<string, Set<string>>();
    for (const e of all) {
      const [a, b] = [unitOf(e.from), unitOf(e.to)];
      // Test files are not part of the gateway's graph (their folders' rules still apply to them).
      if (a === b || isDebt(rules, e) || isTest(e.from)) continue;
      if (!graph.has(a)) graph.set(a, new Set());
      graph.get(a)!.add(b);
    }
    expect(findCycle(graph)).toBeUndefined();
    // The table itself is layered: what it allows has no cycle either.
    const table = new Map<string, Set<string>>();
    for (const [unit, may] of rules.allow) {
      if (unit === '(tests)') continue;
      const targets = may.filter((p) => p !== '*').map((p) => unitOf(p));
      table.set(unit, new Set(targets.filter((t) => t !== unit)));
    }
    expect(findCycle(table)).toBeUndefined();
  });

  it('would catch a new violation and a new cycle (the check itself)', () => {
    // A page that imports a step: pages/ may import no step.
    expect(allowed(rules, { from: 'pages/new.ts', to: 'session/index.ts' })).toBe(false);
    expect(isDebt(rules, { from: 'pages/new.ts', to: 'session/index.ts' })).toBe(false);
    // The policy model imports nothing of the gateway.
    expect(allowed(rules, { from: 'policy/load.ts', to: 'errors.ts' })).toBe(false);
    expect(allowed(rules, { from: 'session/index.ts', to: 'session/core.ts' })).toBe(true);
    // Test support is for tests only: no step, nor the public entry, may import it.
    expect(allowed(rules, { from: 'session/index.ts', to: 'testing/node-request.ts' })).toBe(false);
    expect(allowed(rules, { from: 'index.ts', to: 'testing/index.ts' })).toBe(false);
    expect(allowed(rules, { from: 'session/index.test.ts', to: 'testing/session-app.ts' })).toBe(true);
    // A step never imports the runner (the context type lives beside the deps), nor a shared
    // capability a step.
    expect(allowed(rules, { from: 'tls/index.ts', to: 'pipeline.ts' })).toBe(false);
    expect(allowed(rules, { from: 'net/peer.ts', to: 'client-ip/index.ts' })).toBe(false);
    expect(allowed(rules, { from: 'tls/index.ts', to: 'net/peer.ts' })).toBe(true);
    const cyclic = new Map([
      ['a/', new Set(['b/'])],
      ['b/', new Set(['c.ts'])],
      ['c.ts', new Set(['a/'])],
    ]);
    expect(findCycle(cyclic)).toEqual(['a/', 'b/', 'c.ts', 'a/']);
    expect(relative(SRC, DOC)).toBe(join('..', '..', '..', 'docs', 'architecture.md'));
  });
});

describe('docs/architecture.md §2: between packages', () => {
  const ROOT = join(SRC, '../../..');
  /** Every import specifier of every .ts file under `dir` (relative to the repository). */
  function specifiers(dir: string): { file: string; spec: string }[] {
    const base = join(ROOT, dir);
    return (readdirSync(base, { recursive: true }) as string[])
      .map((f) => f.split('\\').join('/'))
      .filter((f) => f.endsWith('.ts') && !f.includes('node_modules/'))
      .flatMap((f) =>
        [
          ...readFileSync(join(base, f), 'utf8').matchAll(/(?:\bfrom|\bimport)\s*\(?\s*['"]([^'"]+)['"]/g),
        ].map((m) => ({ file: `${dir}/${f}`, spec: m[1]! })),
      );
  }
  const gatewayImports = (dir: string) =>
    specifiers(dir).filter(
      ({ spec }) => spec.startsWith('@resultgate/gateway') || spec.includes('packages/gateway'),
    );

  it('the SDK imports nothing of the gateway', () => {
    expect(specifiers('packages/sdk/src').length).toBeGreaterThan(50);
    expect(gatewayImports('packages/sdk/src')).toEqual([]);
  });

  it('the examples import only the gateway’s small subpath entries (/identity, /page-style)', () => {
    const pkg = JSON.parse(readFileSync(join(SRC, '../package.json'), 'utf8')) as { exports: object };
    const subpaths = Object.keys(pkg.exports)
      .filter((k) => k !== '.' && k !== './testing' && !k.endsWith('.json'))
      .map((k) => `@resultgate/gateway${k.slice(1)}`);
    expect(subpaths).toContain('@resultgate/gateway/identity');
    const found = [
      'examples/result-service/src',
      'examples/school-system/src',
      'examples/hr-system/src',
    ].flatMap(gatewayImports);
    expect(found.length).toBeGreaterThan(0);
    expect(found.filter(({ spec }) => !subpaths.includes(spec))).toEqual([]);
  });
});
