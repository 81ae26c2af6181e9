import { describe, expect, it } from 'vitest';
import { copyRequestHeaders, copyResponseHeaders } from './headers.js';

const pairs = (list: string[]) =>
  Object.fromEntries(list.flatMap((_, i) => (i % 2 ? [] : [[list[i], list[i + 1]]])));

describe('copyRequestHeaders', () => {
  const raw = [
    'Host',
    'school-a.localhost',
    'Connection',
    'close, X-Secret',
    'X-Secret',
    's',
    'Keep-Alive',
    '5',
    'Proxy-Authorization',
    'Basic x',
    'X-Gateway-User',
    'admin',
    'X-Forwarded-For',
    '1.2.3.4',
    'Authorization',
    'Basic dXNlcjpwdw==',
    'Cookie',
    '__Host-rg-session=abc; theme=dark',
    'Accept',
    'application/json',
  ];

  it('keeps end-to-end headers and drops hop-by-hop, Connection-listed, Proxy-* and X-Gateway-*', () => {
    const out: string[] = [];
    copyRequestHeaders(raw, false, out);
    expect(pairs(out)).toEqual({
      Authorization: 'Basic dXNlcjpwdw==',
      Cookie: 'theme=dark',
      Accept: 'application/json',
    });
  });

  it('drops Authorization when the zone consumed it', () => {
    const out: string[] = [];
    copyRequestHeaders(raw, true, out);
    expect(out).not.toContain('Authorization');
  });

  it('drops a Cookie header that held only gateway cookies', () => {
    const out: string[] = [];
    copyRequestHeaders(['Cookie', '__Host-rg-session=abc'], false, out);
    expect(out).toEqual([]);
  });
});

describe('copyResponseHeaders', () => {
  it('drops hop-by-hop response headers and attempts to set gateway cookies', () => {
    const out: string[] = [];
    copyResponseHeaders(
      {
        'content-type': 'text/plain',
        connection: 'x-internal',
        'x-internal': '1',
        'transfer-encoding': 'chunked',
        'set-cookie': ['a=1', '__Host-rg-session=forged'],
      },
      out,
    );
    expect(out).toEqual(['content-type', 'text/plain', 'set-cookie', 'a=1']);
  });
});
