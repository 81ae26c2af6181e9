/**
 * The package README's examples are true: its policy is valid as written (with a real hash in
 * place of `scrypt$…`), `createGateway` on it answers what the README says it answers, and the
 * table of entries names every export of each entry.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createGateway } from './app.js';
import { memoryDeps } from './create-deps.js';
import { parsePolicy } from './policy/load.js';
import { nodeRequest } from './testing/node-request.js';
import { TEST_HASH } from './testing/policy-fixture.js';

const SRC = dirname(fileURLToPath(import.meta.url));
const README = readFileSync(join(SRC, '../README.md'), 'utf8');

/** The names an entry module exports (values and types), read from its `export { … }` lists. */
function exportedNames(file: string): string[] {
  const text = readFileSync(join(SRC, file), 'utf8');
  return [...text.matchAll(/^export (?:type )?\{([^}]*)\}/gm)].flatMap((m) =>
    m[1]!
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map(
        (s) =>
          s
            .replace(/^type /, '')
            .split(/\s+as\s+/)
            .pop()!,
      ),
  );
}

/** The text of every fenced block of `lang` in the README, in order. */
function blocks(lang: string): string[] {
  return [...README.matchAll(new RegExp(`^\`\`\`${lang}\\n([\\s\\S]*?)^\`\`\``, 'gm'))].map((m) => m[1]!);
}

describe('packages/gateway/README.md', () => {
  const policyText = blocks('json')[0]!;

  it('shows a policy that loads as written', () => {
    const policy = parsePolicy(JSON.parse(policyText.replace('scrypt$…', TEST_HASH)));
    expect(Object.keys(policy.tenants)).toEqual(['school-a']);
    expect(policy.tenants['school-a']!.zones.map((z) => z.auth)).toEqual(['form', 'none']);
  });

  it('says what createGateway answers for /admin/ from an address outside the zone', async () => {
    const snippet = blocks('ts').find((b) => b.includes('createGateway('))!;
    const call = "nodeRequest(app, 'https://school-a.example.jp/admin/', {}, '198.51.100.7')";
    expect(snippet).toContain(call);
    const said = /\/\/ (\d{3}) \{ error: \{ code: '([a-z_]+)'/.exec(snippet);
    expect(said, 'the status and code in the snippet').not.toBeNull();

    const policy = parsePolicy(JSON.parse(policyText.replace('scrypt$…', TEST_HASH)));
    const app = createGateway({ policy, deps: memoryDeps() });
    const res = await nodeRequest(app, 'https://school-a.example.jp/admin/', {}, '198.51.100.7');
    const body = (await res.json()) as { error: { code: string } };
    expect([res.status, body.error.code]).toEqual([Number(said![1]), said![2]]);
  });

  it('names every export of the main entry and of /testing in its table, and the document the count', () => {
    for (const [entry, file] of [
      ['`@resultgate/gateway`', 'index.ts'],
      ['`@resultgate/gateway/testing`', 'testing/index.ts'],
    ] as const) {
      const row = README.split('\n').find((line) => line.startsWith(`| ${entry} `));
      expect(row, `a row for ${entry}`).toBeDefined();
      const names = exportedNames(file);
      expect(names.length).toBeGreaterThan(5);
      expect(names.filter((n) => !row!.includes(`\`${n}\``))).toEqual([]);
    }
    const doc = readFileSync(join(SRC, '../../../docs/architecture.md'), 'utf8');
    expect(doc).toContain(`public entry exports ${exportedNames('index.ts').length} names`);
  });
});
