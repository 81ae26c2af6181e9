import { describe, expect, it } from 'vitest';
import { dummyHashLike, hashPassword, parseHash, passwordProblems, verifyPassword } from './password.js';

const cheap = { N: 1024, r: 8, p: 1 };

describe('password hashes', () => {
  it('verifies the right password and refuses a wrong one', async () => {
    const hash = await hashPassword('Correct-Horse-9', cheap);
    expect(hash).toMatch(/^scrypt\$1024\$8\$1\$/);
    expect(await verifyPassword('Correct-Horse-9', hash)).toBe(true);
    expect(await verifyPassword('Correct-Horse-8', hash)).toBe(false);
  });

  it('treats NFC and NFD forms of a UTF-8 password alike', async () => {
    const hash = await hashPassword('パスワード\u304c', cheap);
    expect(await verifyPassword('パスワード\u304b\u3099', hash)).toBe(true);
  });

  it('refuses an unusable hash instead of throwing', async () => {
    expect(parseHash('scrypt$1000$8$1$c2FsdHNhbHQ=$a2V5')).toBeNull();
    expect(await verifyPassword('x', 'plain')).toBe(false);
  });
});

describe('dummy hashes', () => {
  it('take the cost most of the given hashes use, so unknown users cost what known ones do', async () => {
    const [a, b, c] = await Promise.all([
      hashPassword('x', cheap),
      hashPassword('y', cheap),
      hashPassword('z', { N: 2048, r: 8, p: 1 }),
    ]);
    const dummy = await dummyHashLike([a, c, b, 'not a hash']);
    expect(parseHash(dummy)).toMatchObject(cheap);
    expect(await dummyHashLike([a])).toBe(dummy); // made once per cost
    expect(await verifyPassword('x', dummy)).toBe(false);
  });
});

describe('password policy', () => {
  it('names each rule a password breaks', () => {
    expect(passwordProblems('short', { minLength: 12, minClasses: 3 })).toEqual([
      'shorter than 12 characters',
      'uses 1 of the 3 required character classes (lower, upper, digit, symbol)',
    ]);
    expect(passwordProblems('Long-enough-pass1', { minLength: 12, minClasses: 3 })).toEqual([]);
  });
});
