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
    copyRequestHeaders([...raw, 'Authorization', 'Bearer app-token'], false, out);
    expect(pairs(out)).toEqual({
      Authorization: 'Bearer app-token',
      Cookie: 'theme=dark',
      Accept: 'application/json',
    });
  });

  it('drops a Basic Authorization on every zone, any Authorization when the zone consumed it', () => {
    const basic: string[] = [];
    copyRequestHeaders(['authorization', 'basic dXNlcjpwdw=='], false, basic);
    expect(basic).toEqual([]);
    const consumed: string[] = [];
    copyRequestHeaders(['Authorization', 'Bearer app-token'], true, consumed);
    expect(consumed).toEqual([]);
  });

  it('drops the headers some upstreams route or dispatch on', () => {
    const out: string[] = [];
    copyRequestHeaders(
      [...raw, 'X-Original-URL', '/admin', 'X-Rewrite-URL', '/admin', 'X-HTTP-Method-Override', 'DELETE'],
      false,
      out,
    );
    expect(out).not.toContain('Authorization');
    expect(out.map((h) => h.toLowerCase())).not.toContain('x-original-url');
    expect(out.map((h) => h.toLowerCase())).not.toContain('x-rewrite-url');
    expect(out.map((h) => h.toLowerCase())).not.toContain('x-http-method-override');
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
