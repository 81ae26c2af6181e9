import bcrypt from 'bcryptjs';
import { describe, expect, it } from 'vitest';
import { parseHtpasswd } from './htpasswd.js';
import { apr1, legacyHashKind, verifyLegacyHash } from './legacy-hash.js';

describe('apr1', () => {
  // Each expected hash is what `openssl passwd -apr1 -salt S P` prints (the same algorithm as htpasswd -m).
  it.each([
    ['secret', '12345678', '$apr1$12345678$0lqb/6VUFP8JY/s/jTrIk0'],
    ['a', 'xy', '$apr1$xy$T6yk43HTfQwCY.mtbxwJ8/'],
    ['0123456789abcdefghij', 'xy', '$apr1$xy$I8hl.t6gzAYWNjrIcVIt1/'],
    ['pässwörd', 'abcdefgh', '$apr1$abcdefgh$030j6I3f1zNCF9tihqdd11'],
    ['パスワード長いパスワード長いパスワード', 'xy', '$apr1$xy$opLxsLfvLaAyIIALBp0na0'],
  ])('hashes %j with salt %s as openssl does', (password, salt, expected) => {
    expect(apr1(password, salt)).toBe(expected);
  });
});

describe('verifyLegacyHash', () => {
  it('accepts the right password for $apr1$ and bcrypt $2y$/$2b$, refuses a wrong one', async () => {
    const apr = '$apr1$12345678$0lqb/6VUFP8JY/s/jTrIk0';
    expect(await verifyLegacyHash('secret', apr)).toBe(true);
    expect(await verifyLegacyHash('Secret', apr)).toBe(false);
    const b = bcrypt.hashSync('pässwörd', 4);
    for (const hash of [b, b.replace(/^\$2b\$/, '$2y$')]) {
      expect(legacyHashKind(hash)).toBe('bcrypt');
      expect(await verifyLegacyHash('pässwörd', hash)).toBe(true);
      expect(await verifyLegacyHash('passwörd', hash)).toBe(false);
    }
  });

  it('knows nothing of scrypt, {SHA}, crypt or a truncated hash', async () => {
    for (const hash of [
      'scrypt$32768$8$1$c2FsdA==$a2V5',
      '{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=',
      'rqXexS6ZhobKA',
      '$apr1$xy$short',
    ]) {
      expect(legacyHashKind(hash)).toBeUndefined();
      expect(await verifyLegacyHash('secret', hash)).toBe(false);
    }
  });
});

describe('parseHtpasswd', () => {
  it('takes bcrypt and $apr1$ entries and names every other line by number, never by hash', () => {
    const b = bcrypt.hashSync('x', 4).replace(/^\$2b\$/, '$2y$');
    const { entries, problems } = parseHtpasswd(
      [
        '# nginx users',
        `sato:${b}`,
        'ito:$apr1$12345678$0lqb/6VUFP8JY/s/jTrIk0:Ito Hanako',
        '',
        'old:{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=',
        'des:rqXexS6ZhobKA',
        'plain:hunter2',
        'sato:$apr1$12345678$0lqb/6VUFP8JY/s/jTrIk0',
        'no colon',
      ].join('\n'),
    );
    expect(entries).toEqual([
      { line: 2, user: 'sato', hash: b, kind: 'bcrypt' },
      { line: 3, user: 'ito', hash: '$apr1$12345678$0lqb/6VUFP8JY/s/jTrIk0', kind: 'apr1' },
    ]);
    const only = 'cannot be verified; only bcrypt ($2y$, htpasswd -B) and $apr1$ (htpasswd -m) can';
    expect(problems).toEqual([
      `line 5: old: {SHA} (htpasswd -s: unsalted SHA-1) ${only}`,
      `line 6: des: DES crypt (htpasswd -d) ${only}`,
      `line 7: plain: not a hash (plain text?) ${only}`,
      'line 8: sato appears twice',
      'line 9: not user:hash',
    ]);
    expect(problems.join('\n')).not.toContain('hunter2');
  });
});
