import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { basicChallenge, parseBasicAuthorization } from './header.js';

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

describe('parseBasicAuthorization', () => {
  it('reads UTF-8 user names and passwords, splitting at the first colon', () => {
    expect(parseBasicAuthorization(`Basic ${b64('先生:パス:ワード')}`)).toEqual({
      kind: 'credentials',
      user: '先生',
      password: 'パス:ワード',
    });
    expect(parseBasicAuthorization(`bAsIc   ${b64('a:')}  `)).toEqual({
      kind: 'credentials',
      user: 'a',
      password: '',
    });
  });

  it('normalises the user name to NFC', () => {
    const parsed = parseBasicAuthorization(`Basic ${b64('\u304b\u3099:x')}`);
    expect(parsed.kind === 'credentials' && parsed.user).toBe('\u304c');
  });

  it('treats no header and other schemes as absent', () => {
    for (const h of [undefined, null, '', 'Bearer abc', 'Basicx abc', 'Digest username="a"']) {
      expect(parseBasicAuthorization(h).kind).toBe('absent');
    }
  });

  it('treats unreadable Basic credentials as malformed', () => {
    const bad = [
      'Basic',
      'Basic ',
      'Basic !!!!',
      'Basic YWxpY2U', // "alice": no colon
      `Basic ${b64(':password')}`, // empty user
      `Basic ${Buffer.from([0x61, 0x3a, 0xff, 0xfe]).toString('base64')}`, // invalid UTF-8
      `Basic ${b64('al\u0000ice:pw')}`,
      `Basic ${b64('alice:pw\n')}`,
      `Basic ${b64('a:b')} extra`,
      `Basic ${'A'.repeat(5000)}`,
      'Basic YQ=a',
    ];
    for (const h of bad) expect(parseBasicAuthorization(h), h.slice(0, 40)).toEqual({ kind: 'malformed' });
  });

  it('never throws, whatever the header', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string().map((s) => `Basic ${s}`),
          fc.string().map((s) => `Basic ${b64(s)}`),
        ),
        (h) => {
          const r = parseBasicAuthorization(h);
          expect(['absent', 'malformed', 'credentials']).toContain(r.kind);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('basicChallenge', () => {
  it('names the realm and the charset, escaping quotes', () => {
    expect(basicChallenge('Acme "HR"', 'acme')).toBe('Basic realm="Acme \\"HR\\"", charset="UTF-8"');
  });

  it('falls back to the tenant id for a name that is not printable ASCII', () => {
    expect(basicChallenge('第一高校', 'school-a')).toBe('Basic realm="school-a", charset="UTF-8"');
    expect(basicChallenge(undefined, 'school-a')).toBe('Basic realm="school-a", charset="UTF-8"');
  });
});
