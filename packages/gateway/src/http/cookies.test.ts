import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { clearedSessionCookie, mergePresetHeaders, sessionCookie } from './cookies.js';

function nodeResponse(): ServerResponse {
  return new ServerResponse(new IncomingMessage(new Socket()));
}

describe('session cookies', () => {
  it('are __Host- cookies: Secure, HttpOnly, SameSite=Lax, Path=/, no Domain', () => {
    expect(sessionCookie('a.b.c')).toBe('__Host-rg-session=a.b.c; Path=/; HttpOnly; Secure; SameSite=Lax');
    expect(clearedSessionCookie()).toBe(
      '__Host-rg-session=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax',
    );
  });
});

describe('mergePresetHeaders', () => {
  it("adds the preset Set-Cookie to the upstream's and replaces the upstream's Cache-Control", () => {
    const out = nodeResponse();
    out.setHeader('Cache-Control', 'no-store');
    out.appendHeader('Set-Cookie', 'mine=1');
    const head = ['Set-Cookie', 'app=1', 'Cache-Control', 'public, max-age=600', 'content-type', 'text/html'];
    mergePresetHeaders(out, head);
    expect(head).toEqual([
      'Set-Cookie',
      'app=1',
      'content-type',
      'text/html',
      'cache-control',
      'no-store',
      'set-cookie',
      'mine=1',
    ]);
  });

  it('leaves the head alone without preset headers', () => {
    const head = ['cache-control', 'public'];
    mergePresetHeaders(nodeResponse(), head);
    expect(head).toEqual(['cache-control', 'public']);
  });
});
