/**
 * The package README's examples are true: its policy is valid as written (with a real hash in
 * place of `scrypt$…`), and `createGateway` on it answers what the README says it answers.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createGateway } from './app.js';
import { memoryDeps } from './deps.js';
import { parsePolicy } from './policy/load.js';
import { TEST_HASH } from './policy/test-fixture.js';

const README = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '../README.md'), 'utf8');

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

  it('says what createGateway answers for /admin/ without a client address', async () => {
    const snippet = blocks('ts').find((b) => b.includes('createGateway('))!;
    expect(snippet).toContain("app.request('https://school-a.example.jp/admin/')");
    const said = /\/\/ (\d{3}) \{ error: \{ code: '([a-z_]+)'/.exec(snippet);
    expect(said, 'the status and code in the snippet').not.toBeNull();

    const policy = parsePolicy(JSON.parse(policyText.replace('scrypt$…', TEST_HASH)));
    const app = createGateway({ policy, deps: memoryDeps() });
    const res = await app.request('https://school-a.example.jp/admin/');
    const body = (await res.json()) as { error: { code: string } };
    expect([res.status, body.error.code]).toEqual([Number(said![1]), said![2]]);
  });
});
