import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, GENESIS, sealRecord } from './chain.js';
import { checkChain } from './verify.js';

/** A sealed chain of `n` events and its head. */
function chain(users: string[]) {
  let head = { seq: 0, hash: GENESIS };
  const lines: string[] = [];
  for (const user of users) {
    const sealed = sealRecord({ type: 'login', tenant: 't', user }, '2026-11-28T00:00:00.000Z', head);
    lines.push(sealed.line.trimEnd());
    head = sealed.head;
  }
  return { lines, head };
}

const verify = (lines: string[], head: { seq: number; hash: string }) =>
  checkChain(
    't',
    [{ name: 'audit-2026-11-28.jsonl', text: `${lines.join('\n')}\n` }],
    { seq: 1, prev: GENESIS },
    head,
  );

describe('canonicalJson', () => {
  it('sorts keys at every level and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { f: 2, e: undefined }], c: null } })).toBe(
      '{"a":{"c":null,"d":[1,{"f":2}]},"b":1}',
    );
  });
});

describe('the chain (property)', () => {
  const users = fc.array(fc.string({ maxLength: 8 }), { minLength: 2, maxLength: 12 });

  it('an untouched chain always verifies', () => {
    fc.assert(
      fc.property(users, (u) => {
        const { lines, head } = chain(u);
        expect(verify(lines, head).ok).toBe(true);
      }),
    );
  });

  it('every single removal, swap, duplication or edit is detected', () => {
    fc.assert(
      fc.property(users, fc.nat(), fc.constantFrom('remove', 'swap', 'duplicate', 'edit'), (u, k, kind) => {
        const { lines, head } = chain(u);
        const i = k % lines.length;
        const t = [...lines];
        if (kind === 'remove') t.splice(i, 1);
        if (kind === 'duplicate') t.splice(i, 0, t[i]!);
        if (kind === 'swap') {
          const j = (i + 1) % t.length;
          [t[i], t[j]] = [t[j]!, t[i]!];
        }
        if (kind === 'edit') {
          const record = JSON.parse(t[i]!);
          record.user = `${record.user}x`;
          t[i] = JSON.stringify(record);
        }
        expect(verify(t, head).ok).toBe(false);
      }),
    );
  });
});
